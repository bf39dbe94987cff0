package io.hedgerow.exec;

import io.hedgerow.config.RecoverySettings;
import io.hedgerow.model.ChatRequest;
import io.hedgerow.model.Failure;
import io.hedgerow.model.FailureKind;
import io.hedgerow.model.Message;
import io.hedgerow.model.Role;
import io.hedgerow.model.StreamEvent;
import io.hedgerow.model.Usage;
import io.hedgerow.route.Candidate;
import io.hedgerow.route.PromptSize;
import io.hedgerow.route.RoutePlan;
import io.hedgerow.time.Deadline;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * A streamed answer that survives its upstream breaking after the first tokens reached the client. It records
 * what was delivered; when the stream breaks (cut, stall, malformed chunk, error event) and the route, the
 * deadline and the resumption count allow, it finishes the answer on another candidate:
 * <ol>
 *     <li><b>Prefill</b>, where a candidate continues a trailing assistant message (declared per provider): the
 *     conversation plus the delivered text is sent, and only the continuation is relayed. Trailing whitespace is
 *     not sent (Anthropic refuses it) and is dropped from the continuation's start instead.</li>
 *     <li><b>Splice</b>, where prefill is refused or unsupported: the original request is restarted and its output
 *     held back by a {@link SpliceFilter} until it has reproduced the delivered reasoning, text, refusal and
 *     tool-call arguments exactly; only what comes after is relayed. If the regenerated answer diverges, nothing is
 *     stitched: the stream ends with an error saying the answer was interrupted after N tokens.</li>
 * </ol>
 * Tool-call arguments and refusals are never continued by prefill, and a prefilled continuation's reasoning is not
 * relayed (the client's answer is past its reasoning). {@code usage} at the end is the sum over all attempts (the
 * broken one estimated); the envelope ({@code model}, fingerprint, tier) stays the one that started the answer:
 * continuations' {@link StreamEvent.Metadata} is dropped. Logprobs are relayed with every piece passed on whole; a
 * piece cut at the seam loses them, as they cannot be split with its text. A {@link StreamEvent.Notice} tells the
 * client where the answer was resumed. A failed prefill is never what the client is told: the error names the
 * original break.
 *
 * <p>Confined to the client's thread.
 */
final class RecoveringStream implements LiveStream {
    private final Continuations continuations;
    private final ChatRequest request;
    private final RoutePlan plan;
    private final RecoverySettings settings;
    private final Deadline deadline;
    private final ExecutionListener listener;
    private final Set<Candidate> used = new HashSet<>();
    private final Set<Candidate> tried = new HashSet<>();
    private final ArrayDeque<StreamEvent> pending = new ArrayDeque<>();
    private final StringBuilder text = new StringBuilder();
    private final StringBuilder reasoning = new StringBuilder();
    private final StringBuilder refusal = new StringBuilder();
    private final Map<Integer, DeliveredCall> calls = new TreeMap<>();

    private LiveStream current;
    private Candidate currentCandidate;
    private int resumptions;
    private int contentEvents;
    private int segmentContentEvents;
    private Usage usage = new Usage(0, 0);
    private boolean usageSeen;
    private boolean ended;
    private Failure firstBreak;

    /** Starts continuation races; the executor, without recovery of its own. */
    interface Continuations {
        AttemptStream race(ChatRequest request, RoutePlan plan, Duration timeout) throws ChainFailedException;
    }

    RecoveringStream(AttemptStream first, ChatRequest request, RoutePlan plan, Deadline deadline,
                     Continuations continuations, ExecutionListener listener) {
        this.current = first;
        this.currentCandidate = first.candidate();
        this.request = request;
        this.plan = plan;
        this.settings = plan.policy().recovery();
        this.deadline = deadline;
        this.continuations = continuations;
        this.listener = listener;
        used.add(currentCandidate);
    }

    @Override
    public Optional<StreamEvent> next() throws StreamFailedException {
        while (true) {
            if (!pending.isEmpty()) {
                return Optional.of(delivered(pending.poll()));
            }
            if (ended) {
                return Optional.empty();
            }
            Optional<StreamEvent> event;
            try {
                event = current.next();
            } catch (StreamFailedException e) {
                if (firstBreak == null) {
                    firstBreak = e.failure();
                }
                if (!resume()) {
                    // The client is told of the break itself, never of a refused prefill or a diverged retry.
                    throw new StreamFailedException(interrupted(firstBreak), e);
                }
                continue;
            }
            if (event.isEmpty()) {
                ended = true;
                if (usageSeen) {
                    pending.add(new StreamEvent.UsageReported(usage));
                }
                continue;
            }
            if ((event.get() instanceof StreamEvent.Metadata || event.get() instanceof StreamEvent.WireFrame)
                    && resumptions > 0) {
                // The answer keeps the envelope it started with, whoever finishes it; a continuation is filtered, so
                // its upstream's own frames no longer say what the client is sent: the API encodes it instead.
                continue;
            }
            if (event.get() instanceof StreamEvent.UsageReported reported) {
                // Held to the end: after a resumption the client is told the sum over every attempt.
                usage = usage.plus(reported.usage());
                usageSeen = true;
                continue;
            }
            return Optional.of(delivered(event.get()));
        }
    }

    @Override
    public void close() {
        current.close();
    }

    private StreamEvent delivered(StreamEvent event) {
        switch (event) {
        case StreamEvent.TextDelta delta -> {
            text.append(delta.text());
            contentEvents++;
            segmentContentEvents++;
        }
        case StreamEvent.ReasoningDelta delta -> {
            reasoning.append(delta.text());
            contentEvents++;
            segmentContentEvents++;
        }
        case StreamEvent.RefusalDelta delta -> {
            refusal.append(delta.text());
            contentEvents++;
            segmentContentEvents++;
        }
        case StreamEvent.ToolCallDelta delta -> {
            DeliveredCall call = calls.computeIfAbsent(delta.index(), i -> new DeliveredCall());
            delta.name().ifPresent(name -> call.name = name);
            call.arguments.append(delta.argumentsFragment());
            contentEvents++;
            segmentContentEvents++;
        }
        default -> {
        }
        }
        return event;
    }

    /** Tries to finish the answer elsewhere; true when {@link #current} now continues it. */
    private boolean resume() {
        if (settings.mode() == RecoverySettings.Mode.OFF || resumptions >= settings.maxResumptions()
                || deadline.remainingNanos() <= 0 || firstBreak.kind() == FailureKind.SHUTDOWN) {
            return false;
        }
        current.close();
        // The broken attempt reported no usage: count its prompt and what it delivered.
        usage = usage.plus(new Usage(promptEstimate(), segmentContentEvents));
        usageSeen = true;
        resumptions++;
        List<Candidate> others = new ArrayList<>();
        for (Candidate candidate : plan.candidates()) {
            if (!used.contains(candidate)) {
                others.add(candidate);
            }
        }
        Candidate from = currentCandidate;
        if (calls.isEmpty() && refusal.isEmpty() && !text.isEmpty()) {
            List<Candidate> prefillers = others.stream().filter(c -> c.provider().prefill()).toList();
            if (!prefillers.isEmpty()) {
                Optional<AttemptStream> continued = race(prefillRequest(), prefillers);
                if (continued.isPresent()) {
                    install(continued.get(), new PrefillFilter(continued.get(), trailingWhitespace()), from, "prefill");
                    return true;
                }
                // A refused or failed prefill is not the client's concern: splice on the next candidates, or
                // report the original break.
                others.removeAll(tried);
            }
        }
        if (settings.mode() == RecoverySettings.Mode.PREFILL_OR_SPLICE && !others.isEmpty()) {
            Optional<AttemptStream> restarted = race(request, others);
            if (restarted.isPresent()) {
                install(restarted.get(), new SpliceFilter(restarted.get(), reasoning.toString(), text.toString(),
                                                          refusal.toString(), calls), from, "splice");
                return true;
            }
        }
        return false;
    }

    private Optional<AttemptStream> race(ChatRequest continuation, List<Candidate> candidates) {
        try {
            return Optional.of(continuations.race(continuation, new RoutePlan(plan.alias(), candidates, plan.policy()),
                                                  Duration.ofNanos(Math.max(1, deadline.remainingNanos()))));
        } catch (ChainFailedException e) {
            e.attempts().stream().filter(AttemptRecord::called).forEach(a -> tried.add(a.candidate()));
            return Optional.empty();
        }
    }

    private void install(AttemptStream stream, LiveStream filtered, Candidate from, String how) {
        current = filtered;
        currentCandidate = stream.candidate();
        used.add(currentCandidate);
        segmentContentEvents = 0;
        String note = "hedgerow resumed on " + currentCandidate.label() + " after " + contentEvents + " tokens ("
                + how + ")";
        pending.add(new StreamEvent.Notice(note));
        Journal.deliver(listener, new ExecutionEvent.StreamResumed(plan.alias(), from, currentCandidate, contentEvents,
                                                                   how));
    }

    private ChatRequest prefillRequest() {
        List<Message> messages = new ArrayList<>(request.messages());
        messages.add(Message.text(Role.ASSISTANT, text.toString().stripTrailing()));
        return request.withMessages(messages);
    }

    private String trailingWhitespace() {
        String all = text.toString();
        return all.substring(all.stripTrailing().length());
    }

    private int promptEstimate() {
        return (int) Math.max(0, PromptSize.estimateTokens(request) - request.sampling().maxTokens().orElse(0));
    }

    private Failure interrupted(Failure cause) {
        if (contentEvents == 0) {
            return cause;
        }
        return new Failure(cause.kind(), cause.status(), "the answer was interrupted after " + contentEvents
                + " tokens (" + cause.summary() + ": " + cause.message() + ")", cause.retryAfter());
    }

    /** What the client has of one tool call. */
    static final class DeliveredCall {
        String name = "";
        final StringBuilder arguments = new StringBuilder();
    }

    /**
     * Drops from a prefilled continuation the whitespace the client already has, and any reasoning: the client's
     * answer is past its reasoning, and a continuation's thinking would land in the middle of it.
     */
    private static final class PrefillFilter implements LiveStream {
        private final LiveStream inner;
        private String toDrop;

        PrefillFilter(LiveStream inner, String toDrop) {
            this.inner = inner;
            this.toDrop = toDrop;
        }

        @Override
        public Optional<StreamEvent> next() throws StreamFailedException {
            while (true) {
                Optional<StreamEvent> event = inner.next();
                if (event.isPresent() && event.get() instanceof StreamEvent.ReasoningDelta) {
                    continue;
                }
                if (toDrop.isEmpty() || event.isEmpty() || !(event.get() instanceof StreamEvent.TextDelta delta)) {
                    return event;
                }
                int same = 0;
                while (same < delta.text().length() && same < toDrop.length()
                        && delta.text().charAt(same) == toDrop.charAt(same)) {
                    same++;
                }
                toDrop = same == delta.text().length() ? toDrop.substring(same) : "";
                if (same == 0) {
                    return event;
                }
                if (same < delta.text().length()) {
                    return Optional.of(new StreamEvent.TextDelta(delta.text().substring(same)));
                }
            }
        }

        @Override
        public void close() {
            inner.close();
        }
    }

    /**
     * Holds a regenerated answer back until it has reproduced what the client already has, then relays only what
     * comes after. Reasoning, text, refusal and each delivered tool call's name and arguments must match exactly, in
     * the answer's order (reasoning before the rest, text before tool calls), and nothing new passes before all of
     * it is reproduced; any difference is a {@code BAD_RESPONSE} ("diverged"), raised before anything of the new
     * answer reached the client. One exception: when the client got an answer without reasoning (its model keeps it
     * to itself), a regeneration's reasoning is dropped rather than shown in the middle of that answer.
     */
    static final class SpliceFilter implements LiveStream {
        private final LiveStream inner;
        private final Channel reasoning;
        private final Channel text;
        private final Channel refusal;
        private final Map<Integer, DeliveredCall> deliveredCalls;
        private final Map<Integer, Channel> arguments = new TreeMap<>();
        private final boolean answerDelivered;

        SpliceFilter(LiveStream inner, String deliveredReasoning, String deliveredText, String deliveredRefusal,
                     Map<Integer, DeliveredCall> deliveredCalls) {
            this.inner = inner;
            this.reasoning = new Channel("reasoning", deliveredReasoning);
            this.text = new Channel("text", deliveredText);
            this.refusal = new Channel("refusal", deliveredRefusal);
            this.deliveredCalls = Map.copyOf(deliveredCalls);
            deliveredCalls.forEach((index, call) -> arguments.put(index, new Channel(
                    "tool call " + index + " arguments", call.arguments.toString())));
            this.answerDelivered = !deliveredText.isEmpty() || !deliveredRefusal.isEmpty() || !deliveredCalls.isEmpty();
        }

        @Override
        public Optional<StreamEvent> next() throws StreamFailedException {
            while (true) {
                Optional<StreamEvent> event = inner.next();
                if (event.isEmpty()) {
                    return event;
                }
                Optional<StreamEvent> beyond = beyondDelivered(event.get());
                if (beyond.isPresent()) {
                    return beyond;
                }
            }
        }

        /** The part of an event the client does not have yet, or empty when all of it is a reproduction. */
        private Optional<StreamEvent> beyondDelivered(StreamEvent event) throws StreamFailedException {
            switch (event) {
            case StreamEvent.ReasoningDelta delta -> {
                String beyond = reasoning.beyond(delta.text());
                if (beyond.isEmpty() || answerDelivered && reasoning.delivered.isEmpty()) {
                    return Optional.empty();
                }
                if (answerDelivered) {
                    throw diverged("reasoning (it went on where the delivered answer had stopped reasoning)");
                }
                requireAllReproduced();
                return Optional.of(beyond.length() == delta.text().length() ? delta
                                           : new StreamEvent.ReasoningDelta(beyond));
            }
            case StreamEvent.TextDelta delta -> {
                requireReasoningReproduced();
                String beyond = text.beyond(delta.text());
                if (beyond.isEmpty()) {
                    return Optional.empty();
                }
                requireAllReproduced();
                // Logprobs belong to the whole piece: a piece cut at the seam goes without them.
                return Optional.of(beyond.length() == delta.text().length() ? delta
                                           : new StreamEvent.TextDelta(beyond));
            }
            case StreamEvent.RefusalDelta delta -> {
                requireReasoningReproduced();
                String beyond = refusal.beyond(delta.text());
                if (beyond.isEmpty()) {
                    return Optional.empty();
                }
                requireAllReproduced();
                return Optional.of(beyond.length() == delta.text().length() ? delta
                                           : new StreamEvent.RefusalDelta(beyond, Optional.empty()));
            }
            case StreamEvent.ToolCallDelta delta -> {
                requireReasoningReproduced();
                if (!text.reproduced()) {
                    throw diverged("text (a tool call came before the delivered text was reproduced)");
                }
                DeliveredCall delivered = deliveredCalls.get(delta.index());
                if (delivered == null) {
                    requireAllReproduced();
                    return Optional.of(delta);
                }
                if (delta.name().isPresent() && !delta.name().get().equals(delivered.name)) {
                    throw diverged("tool call " + delta.index() + " name");
                }
                String beyond = arguments.get(delta.index()).beyond(delta.argumentsFragment());
                if (beyond.isEmpty()) {
                    return Optional.empty();
                }
                requireAllReproduced();
                return Optional.of(new StreamEvent.ToolCallDelta(delta.index(), Optional.empty(), Optional.empty(),
                                                                 beyond));
            }
            case StreamEvent.Finished finished -> {
                for (Channel channel : List.of(reasoning, text, refusal)) {
                    if (!channel.reproduced()) {
                        throw diverged("length (it ended before reproducing the delivered " + channel.what + ")");
                    }
                }
                for (Map.Entry<Integer, Channel> call : arguments.entrySet()) {
                    if (!call.getValue().reproduced()) {
                        throw diverged("tool call " + call.getKey() + " (it ended before reproducing it)");
                    }
                }
                return Optional.of(finished);
            }
            default -> {
                return Optional.of(event);
            }
            }
        }

        private void requireReasoningReproduced() throws StreamFailedException {
            if (!reasoning.reproduced()) {
                throw diverged("reasoning (the answer began before the delivered reasoning was reproduced)");
            }
        }

        /** Something new may reach the client only once all it already has was reproduced. */
        private void requireAllReproduced() throws StreamFailedException {
            for (Channel channel : List.of(reasoning, text, refusal)) {
                if (!channel.reproduced()) {
                    throw diverged(channel.what + " (the answer went on before it was reproduced)");
                }
            }
            for (Map.Entry<Integer, Channel> call : arguments.entrySet()) {
                if (!call.getValue().reproduced()) {
                    throw diverged("tool call " + call.getKey() + " (the answer went on before it was reproduced)");
                }
            }
        }

        private static StreamFailedException diverged(String what) {
            return new StreamFailedException(Failure.of(FailureKind.BAD_RESPONSE, "the regenerated answer diverged from "
                    + "the delivered one in its " + what + ", so it was not stitched"));
        }

        @Override
        public void close() {
            inner.close();
        }

        /** One delivered text (reasoning, answer, refusal, a tool call's arguments) and how far it was reproduced. */
        private static final class Channel {
            final String what;
            final String delivered;
            private int regenerated;

            Channel(String what, String delivered) {
                this.what = what;
                this.delivered = delivered;
            }

            boolean reproduced() {
                return regenerated >= delivered.length();
            }

            /** The part of a regenerated piece beyond the delivered text; empty while it is a reproduction. */
            String beyond(String piece) throws StreamFailedException {
                int before = regenerated;
                regenerated += piece.length();
                int overlap = Math.min(piece.length(), Math.max(0, delivered.length() - before));
                if (overlap > 0 && !delivered.regionMatches(before, piece, 0, overlap)) {
                    throw diverged(what);
                }
                return piece.substring(overlap);
            }
        }
    }
}
