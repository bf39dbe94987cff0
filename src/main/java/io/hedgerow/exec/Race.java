package io.hedgerow.exec;

import io.hedgerow.config.ApiKey;
import io.hedgerow.config.HedgeSettings;
import io.hedgerow.health.CandidateHealth;
import io.hedgerow.health.HealthRegistry;
import io.hedgerow.health.LatencyBaseline;
import io.hedgerow.model.ChatRequest;
import io.hedgerow.model.ChatResponse;
import io.hedgerow.model.Failure;
import io.hedgerow.model.FailureKind;
import io.hedgerow.model.StreamEvent;
import io.hedgerow.provider.ChatStream;
import io.hedgerow.provider.FailureClassifier;
import io.hedgerow.provider.ProviderCall;
import io.hedgerow.provider.ProviderException;
import io.hedgerow.route.Candidate;
import io.hedgerow.route.PromptSize;
import io.hedgerow.route.RoutePlan;
import io.hedgerow.route.RoutePolicy;
import io.hedgerow.time.Deadline;
import io.hedgerow.time.Ticker;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.random.RandomGenerator;

/**
 * One request's attempts and the loop that decides between them. Confined to the request's thread; attempts
 * report through a queue.
 *
 * <p>The loop, until an attempt wins or nothing is left to try:
 * <ol>
 *     <li>Candidates are tried in the route's order with demoted ones moved to the back; a candidate whose breaker
 *     is open, whose keys are all cooling down, or whose declared context window cannot hold the prompt is
 *     skipped without a call, and so is one whose provider's bulkhead is full (too many attempts in flight to it).</li>
 *     <li>A failure is handed to the {@link RetryPolicy}: another key now, the same candidate after a wait, the
 *     next candidate now, or stop.</li>
 *     <li>While the running attempt has no first token after the hedge delay, the next candidate (preferably on
 *     another provider) is started beside it, if the hedge budget allows and fewer than {@code max-in-flight}
 *     attempts run.</li>
 *     <li>With probability {@code probe-share}, a demoted candidate is also started at once, to keep measuring it.</li>
 * </ol>
 * The first attempt to produce a token (or a whole answer) wins; the others are cancelled at once, except a
 * probe, which is left to finish measuring.
 */
final class Race {
    private static final long NONE = Long.MAX_VALUE;
    private static final long BACKSTOP_NANOS = TimeUnit.SECONDS.toNanos(5);

    private final ChatRequest request;
    private final RoutePlan plan;
    private final RoutePolicy policy;
    private final boolean streaming;
    private final Deadline deadline;
    private final Ticker ticker;
    private final StallWatchdog watchdog;
    private final HealthRegistry health;
    private final RetryPolicy retryPolicy;
    private final RandomGenerator random;
    private final ExecutionListener listener;
    private final Bulkheads bulkheads;

    private final LinkedBlockingQueue<AttemptSignal> signals = new LinkedBlockingQueue<>();
    private final List<Slot> slots = new ArrayList<>();
    private final List<Object> journal = new ArrayList<>();
    private final Map<Attempt, Failure> failures = new HashMap<>();
    private final List<Failure> failureOrder = new ArrayList<>();
    private final List<Attempt> running = new ArrayList<>();
    private final PriorityQueue<Pending> pending = new PriorityQueue<>(Comparator.comparingLong(Pending::due));
    private final long promptTokens;
    private long hedgeDue = NONE;
    private long contextCeiling = -1;
    private int attempts;

    Race(ChatRequest request, RoutePlan plan, boolean streaming, Duration timeout, Ticker ticker,
         StallWatchdog watchdog, HealthRegistry health, RetryPolicy retryPolicy, RandomGenerator random,
         ExecutionListener listener, Bulkheads bulkheads) {
        this.request = request;
        this.plan = plan;
        this.policy = plan.policy();
        this.streaming = streaming;
        this.deadline = Deadline.after(ticker, timeout);
        this.ticker = ticker;
        this.watchdog = watchdog;
        this.health = health;
        this.retryPolicy = retryPolicy;
        this.random = random;
        this.listener = listener;
        this.bulkheads = bulkheads;
        this.promptTokens = PromptSize.estimateTokens(request);
        List<Slot> demoted = new ArrayList<>();
        for (Candidate candidate : plan.candidates()) {
            Slot slot = new Slot(candidate, health.candidate(candidate.label()));
            (slot.health.demoted() ? demoted : slots).add(slot);
        }
        slots.addAll(demoted);
    }

    /** Runs the race; returns the winning signal ({@link AttemptSignal.Answered} or {@link AttemptSignal.Producing}). */
    AttemptSignal run() throws ChainFailedException {
        health.budget().onRequest();
        try {
            maybeProbe();
            startNext(AttemptRole.PRIMARY, false);
            while (true) {
                long now = ticker.read();
                firePending(now);
                if (hedgeDue <= now) {
                    hedge();
                }
                if (running.isEmpty() && pending.isEmpty()) {
                    if (!startNext(AttemptRole.FALLBACK, false)) {
                        throw chainFailed(decisive());
                    }
                    continue;
                }
                AttemptSignal signal = signals.poll(waitNanos(now), TimeUnit.NANOSECONDS);
                if (signal == null) {
                    if (deadline.remainingNanos() < -BACKSTOP_NANOS) {
                        // The watchdog ends overdue attempts; this is the backstop should one ignore its abort.
                        throw chainFailed(Failure.of(FailureKind.TIMEOUT, "no answer within the request deadline"));
                    }
                    continue;
                }
                if (signal instanceof AttemptSignal.Failed failed) {
                    onFailure(failed);
                } else {
                    finish(signal, Failure.of(FailureKind.CANCELLED, "another attempt won"));
                    return signal;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw chainFailed(Failure.of(FailureKind.CANCELLED, "request cancelled"));
        }
    }

    /** One record per candidate tried or skipped, in the order it happened; the winner's without failure. */
    List<AttemptRecord> records(Attempt winner) {
        List<AttemptRecord> records = new ArrayList<>(journal.size());
        for (Object entry : journal) {
            if (entry instanceof AttemptRecord skipped) {
                records.add(skipped);
            } else {
                Attempt attempt = (Attempt) entry;
                Failure failure = attempt == winner ? null : failures.get(attempt);
                if (attempt != winner && failure == null) {
                    failure = attempt.abortReason().orElse(Failure.of(FailureKind.CANCELLED, "still measuring"));
                }
                records.add(attempt.record(Optional.ofNullable(failure)));
            }
        }
        return records;
    }

    // ---- decisions ----

    private void onFailure(AttemptSignal.Failed failed) throws ChainFailedException {
        Attempt attempt = failed.attempt();
        Failure failure = failed.failure();
        running.remove(attempt);
        watchdog.unwatch(attempt);
        failures.put(attempt, failure);
        attempt.failed(failure);
        notifyEnded(attempt.record(Optional.of(failure)));
        if (attempt.role() == AttemptRole.PROBE) {
            return;
        }
        failureOrder.add(failure);
        Slot slot = slotOf(attempt);
        RetryPolicy.Decision decision = retryPolicy.decide(failure, slot.attempts, otherKeyAvailable(slot),
                                                           deadline.remainingNanos(), policy.retry(),
                                                           policy.routeAroundContentFilter());
        switch (decision) {
        case RetryPolicy.Decision.Stop stop -> throw chainFailed(failure);
        case RetryPolicy.Decision.NextKey next -> {
            Optional<ApiKey> key = health.keys().pick(slot.candidate.provider().keys(), slot.triedKeys,
                                                      slot.candidate.provider().keyRotation());
            if (key.isEmpty() || !launch(slot, AttemptRole.RETRY, key)) {
                startNextIfRoom();
            }
        }
        case RetryPolicy.Decision.Retry retry ->
                pending.add(new Pending(slot, attempt.key(), ticker.read() + retry.after().toNanos()));
        case RetryPolicy.Decision.NextCandidate next -> {
            if (failure.kind() == FailureKind.CONTEXT_LENGTH) {
                // Candidates declaring no larger a window cannot hold it either.
                contextCeiling = Math.max(contextCeiling,
                                          slot.candidate.provider().contextWindow(slot.candidate.model()).orElse(-1));
            }
            startNextIfRoom();
        }
        }
    }

    private void startNextIfRoom() {
        if (nonProbeRunning() < maxInFlight()) {
            startNext(AttemptRole.FALLBACK, false);
        }
    }

    private void firePending(long now) {
        while (!pending.isEmpty() && pending.peek().due() <= now) {
            Pending due = pending.poll();
            if (deadline.passed() || !launch(due.slot(), AttemptRole.RETRY, due.key())) {
                startNextIfRoom();
            }
        }
    }

    private void hedge() {
        hedgeDue = NONE;
        if (nonProbeRunning() >= maxInFlight() || nextSlot(true).isEmpty()) {
            return;
        }
        if (!health.budget().tryWithdraw()) {
            safely(() -> listener.hedgeRefused(plan.alias()));
            return;
        }
        startNext(AttemptRole.HEDGE, true);
    }

    private void maybeProbe() {
        if (slots.isEmpty() || slots.getFirst().health.demoted() || policy.hedge().maxInFlight() < 2) {
            return;
        }
        double share = health.hedging().demotion().probeShare();
        if (share <= 0 || random.nextDouble() >= share) {
            return;
        }
        for (Slot slot : slots) {
            if (slot.health.demoted() && !slot.started && !slot.closed && admissible(slot)) {
                Optional<ApiKey> key = pickKey(slot);
                if ((key.isPresent() || slot.candidate.provider().keys().isEmpty())
                        && health.budget().tryWithdraw()) {
                    launch(slot, AttemptRole.PROBE, key);
                }
                return;
            }
        }
    }

    /** Starts the next admissible candidate; false when none is left (or the deadline has passed). */
    private boolean startNext(AttemptRole role, boolean hedging) {
        while (!deadline.passed()) {
            Optional<Slot> slot = nextSlot(hedging);
            if (slot.isEmpty()) {
                return false;
            }
            Optional<ApiKey> key = pickKey(slot.get());
            if (key.isEmpty() && !slot.get().candidate.provider().keys().isEmpty()) {
                skip(slot.get(), "every key cooling down" + health.keys()
                        .nextAvailableIn(slot.get().candidate.provider().keys())
                        .map(d -> ", next in " + io.hedgerow.config.Checks.human(d)).orElse(""));
                continue;
            }
            if (launch(slot.get(), role, key)) {
                return true;
            }
        }
        return false;
    }

    /**
     * The first candidate not yet started that may be tried; candidates that can never be tried for this request
     * are recorded as skipped on the way. A hedge passes over candidates on a provider already in flight (unless
     * the route allows same-provider hedges) without closing them: they remain for fallback.
     */
    private Optional<Slot> nextSlot(boolean hedging) {
        for (Slot slot : slots) {
            if (slot.started || slot.closed) {
                continue;
            }
            if (hedging && !policy.hedge().sameProvider() && providerInFlight(slot)) {
                continue;
            }
            if (admissible(slot)) {
                return Optional.of(slot);
            }
        }
        return Optional.empty();
    }

    /** Checks that need no call: the prompt fits, the breaker is not open. Records a skip when not. */
    private boolean admissible(Slot slot) {
        Optional<Integer> window = slot.candidate.provider().contextWindow(slot.candidate.model());
        if (window.isPresent() && (promptTokens > window.get() || window.get() <= contextCeiling)) {
            skip(slot, promptTokens > window.get()
                    ? "prompt ~" + promptTokens + " tokens > context window " + window.get()
                    : "context window " + window.get() + " too small after a context-length error");
            return false;
        }
        Optional<Duration> retryIn = slot.health.breaker().retryIn();
        if (retryIn.isPresent() && !retryIn.get().isZero()) {
            skip(slot, "breaker open, retry in " + io.hedgerow.config.Checks.human(retryIn.get()));
            return false;
        }
        return true;
    }

    private Optional<ApiKey> pickKey(Slot slot) {
        List<ApiKey> keys = slot.candidate.provider().keys();
        return keys.isEmpty() ? Optional.empty()
                : health.keys().pick(keys, slot.triedKeys, slot.candidate.provider().keyRotation());
    }

    private boolean otherKeyAvailable(Slot slot) {
        for (ApiKey key : slot.candidate.provider().keys()) {
            if (!slot.triedKeys.contains(key) && health.keys().available(key)) {
                return true;
            }
        }
        return false;
    }

    private void skip(Slot slot, String why) {
        slot.closed = true;
        AttemptRecord record = AttemptRecord.skipped(slot.candidate, why);
        journal.add(record);
        notifyEnded(record);
    }

    // ---- attempts ----

    private boolean launch(Slot slot, AttemptRole role, Optional<ApiKey> key) {
        io.hedgerow.config.ProviderConfig provider = slot.candidate.provider();
        // Admitted like a breaker's probe: a full bulkhead skips the candidate at zero cost, it never queues.
        if (!bulkheads.tryAcquire(provider)) {
            skip(slot, "bulkhead full");
            return false;
        }
        if (!slot.health.breaker().tryAcquire()) {
            bulkheads.release(provider);
            skip(slot, "breaker open");
            return false;
        }
        slot.started = true;
        slot.attempts++;
        key.ifPresent(slot.triedKeys::add);
        Attempt attempt = new Attempt(++attempts, role, slot.candidate, slot.health, health.keys(), key, streaming,
                                      ticker, deadline, () -> bulkheads.release(provider));
        running.add(attempt);
        journal.add(attempt);
        watchdog.watch(attempt);
        notify(() -> listener.attemptStarted(plan.alias(), attempt.record(Optional.empty())));
        ProviderCall call = new ProviderCall(request, slot.candidate.model(), key);
        Thread.ofVirtual().name("attempt-" + slot.candidate.label()).start(() -> runAttempt(attempt, call));
        if (role != AttemptRole.PROBE) {
            scheduleHedge(slot);
        }
        return true;
    }

    private void scheduleHedge(Slot running) {
        HedgeSettings hedge = policy.hedge();
        if (!hedge.enabled() || nonProbeRunning() >= maxInFlight()) {
            hedgeDue = NONE;
            return;
        }
        OptionalLong delay = HedgeDelay.nanos(hedge, running.health.baseline(streaming),
                                              health.hedging().budget().ratio());
        hedgeDue = delay.isPresent() ? ticker.read() + delay.getAsLong() : NONE;
    }

    /** The attempt's own thread: call the provider, hand the first token (or answer) over, or report failure. */
    private void runAttempt(Attempt attempt, ProviderCall call) {
        ChatStream stream = null;
        try {
            if (!attempt.bindWorker(Thread.currentThread())) {
                // Aborted before it started (the race was decided, or the router is shutting down): no call.
                report(attempt, attempt.abortReason().orElseThrow());
                return;
            }
            if (!streaming) {
                ChatResponse response;
                try {
                    response = attempt.candidate().client().complete(call);
                } finally {
                    attempt.release();
                }
                long latency = attempt.elapsedNanos();
                if (!attempt.handOver(signals, new AttemptSignal.Answered(attempt, response, latency))) {
                    endDetached(attempt, latency);
                }
                return;
            }
            stream = new ReleasingStream(attempt.candidate().client().stream(call), attempt);
            if (!attempt.attach(stream)) {
                stream.close();
                report(attempt, attempt.abortReason().orElseThrow());
                return;
            }
            List<StreamEvent> head = new ArrayList<>(4);
            while (true) {
                Optional<StreamEvent> event = stream.next();
                attempt.touch();
                if (event.isEmpty()) {
                    break;
                }
                head.add(event.get());
                if (event.get().isContent() || event.get() instanceof StreamEvent.Finished) {
                    break;
                }
            }
            long latency = attempt.elapsedNanos();
            if (!attempt.handOver(signals, new AttemptSignal.Producing(attempt, stream, head, latency))) {
                stream.close();
                endDetached(attempt, latency);
            }
        } catch (ProviderException e) {
            closeQuietly(stream);
            report(attempt, attempt.failureOf(e));
        } catch (RuntimeException e) {
            // An adapter bug must still end as one clean failure, never a lost signal.
            closeQuietly(stream);
            report(attempt, attempt.abortReason().orElseGet(() -> FailureClassifier.fromException(e, false)));
        } finally {
            if (stream == null) {
                // No stream was opened (a whole answer, a failure, or an abort before the call): nothing left to close.
                attempt.release();
            }
        }
    }

    private void report(Attempt attempt, Failure failure) {
        if (!attempt.offer(signals, new AttemptSignal.Failed(attempt, failure))) {
            watchdog.unwatch(attempt);
            attempt.failed(failure);
        }
    }

    private void endDetached(Attempt attempt, long latencyNanos) {
        watchdog.unwatch(attempt);
        attempt.succeeded(latencyNanos);
    }

    /**
     * The race is decided (a winner, or a failure for the client). Every other attempt is detached so it will not
     * report again; signals already posted are settled here; the still-running attempts are aborted, except probes,
     * which finish measuring on their own threads.
     */
    private void finish(AttemptSignal won, Failure reason) {
        Attempt winner = won == null ? null : won.attempt();
        for (Object entry : journal) {
            if (entry instanceof Attempt attempt && attempt != winner) {
                attempt.detach();
            }
        }
        List<AttemptSignal> late = new ArrayList<>();
        signals.drainTo(late);
        for (AttemptSignal signal : late) {
            Attempt attempt = signal.attempt();
            running.remove(attempt);
            watchdog.unwatch(attempt);
            switch (signal) {
            case AttemptSignal.Producing producing -> {
                producing.stream().close();
                attempt.succeeded(producing.latencyNanos());
            }
            case AttemptSignal.Answered answered -> attempt.succeeded(answered.latencyNanos());
            case AttemptSignal.Failed failed -> {
                failures.put(attempt, failed.failure());
                attempt.failed(failed.failure());
            }
            }
        }
        for (Attempt attempt : running) {
            if (attempt != winner && attempt.role() != AttemptRole.PROBE) {
                watchdog.unwatch(attempt);
                attempt.abort(reason);
                attempt.lost();
                notifyEnded(attempt.record(Optional.of(reason)));
            }
        }
        pending.clear();
        if (won != null) {
            running.remove(winner);
            winner.succeeded(won instanceof AttemptSignal.Producing p ? p.latencyNanos()
                    : ((AttemptSignal.Answered) won).latencyNanos());
            notifyEnded(winner.record(Optional.empty()));
            if (!streaming) {
                watchdog.unwatch(winner);
            }
        }
    }

    private ChainFailedException chainFailed(Failure decisive) {
        finish(null, decisive.kind() == FailureKind.TIMEOUT ? decisive
                : Failure.of(FailureKind.CANCELLED, "chain stopped"));
        return new ChainFailedException(plan.alias(), records(null), decisive);
    }

    /**
     * The failure that speaks for the chain: when candidates were tried, the shared class if all agree (with the
     * shortest Retry-After), else the last; when every candidate was skipped, an {@code UNAVAILABLE} naming why.
     */
    private Failure decisive() {
        if (failureOrder.isEmpty()) {
            Optional<Duration> soonest = Optional.empty();
            for (Slot slot : slots) {
                for (Optional<Duration> wait : List.of(slot.health.breaker().retryIn(),
                                                       health.keys().nextAvailableIn(slot.candidate.provider().keys()))) {
                    if (wait.isPresent() && (soonest.isEmpty() || wait.get().compareTo(soonest.get()) < 0)) {
                        soonest = wait;
                    }
                }
            }
            return new Failure(FailureKind.UNAVAILABLE, 0, "no candidate of '" + plan.alias() + "' can be tried now",
                               soonest);
        }
        FailureKind first = failureOrder.getFirst().kind();
        if (failureOrder.stream().allMatch(f -> f.kind() == first)) {
            return failureOrder.stream()
                    .filter(f -> f.retryAfter().isPresent())
                    .min(Comparator.comparing(f -> f.retryAfter().get()))
                    .orElse(failureOrder.getLast());
        }
        return failureOrder.getLast();
    }

    private long waitNanos(long now) {
        long until = deadline.atNanos() + BACKSTOP_NANOS;
        if (!pending.isEmpty()) {
            until = Math.min(until, pending.peek().due());
        }
        if (hedgeDue != NONE) {
            until = Math.min(until, hedgeDue);
        }
        return Math.max(until - now, 0);
    }

    private int maxInFlight() {
        return policy.hedge().enabled() ? Math.max(1, policy.hedge().maxInFlight()) : 1;
    }

    private int nonProbeRunning() {
        int n = 0;
        for (Attempt attempt : running) {
            if (attempt.role() != AttemptRole.PROBE) {
                n++;
            }
        }
        return n;
    }

    private boolean providerInFlight(Slot slot) {
        for (Attempt attempt : running) {
            if (attempt.candidate().provider().name().equals(slot.candidate.provider().name())) {
                return true;
            }
        }
        return false;
    }

    private Slot slotOf(Attempt attempt) {
        for (Slot slot : slots) {
            if (slot.candidate == attempt.candidate()) {
                return slot;
            }
        }
        throw new IllegalStateException("attempt of unknown candidate " + attempt.candidate());
    }

    private void notifyEnded(AttemptRecord record) {
        notify(() -> listener.attemptEnded(plan.alias(), record));
    }

    private static void notify(Runnable call) {
        safely(call);
    }

    private static void safely(Runnable call) {
        try {
            call.run();
        } catch (RuntimeException e) {
            System.getLogger(Race.class.getName()).log(System.Logger.Level.WARNING, "execution listener failed", e);
        }
    }

    private static void closeQuietly(ChatStream stream) {
        if (stream != null) {
            stream.close();
        }
    }

    /** A candidate's state within this request. */
    private static final class Slot {
        final Candidate candidate;
        final CandidateHealth health;
        final Set<ApiKey> triedKeys = new HashSet<>();
        boolean started;
        boolean closed;
        int attempts;

        Slot(Candidate candidate, CandidateHealth health) {
            this.candidate = candidate;
            this.health = health;
        }
    }

    /** A retry waiting for its time. */
    private record Pending(Slot slot, Optional<ApiKey> key, long due) {
    }
}
