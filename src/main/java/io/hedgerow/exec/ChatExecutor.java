package io.hedgerow.exec;

import io.hedgerow.config.ApiKey;
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
import io.hedgerow.route.RoutePlan;
import io.hedgerow.time.Deadline;
import io.hedgerow.time.Ticker;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Runs one client request against a route's candidates. Each attempt runs on its own virtual thread and
 * reports to this coordinator through a queue; the coordinator picks the winner (the first complete answer, or
 * for streams the first attempt to produce a token), moves on to the next candidate when an attempt fails in a
 * way another candidate might not, and aborts whatever is still running once it has decided. A failure never
 * wins: only {@link AttemptSignal.Answered} or {@link AttemptSignal.Producing} ends the race.
 *
 * <p>Today the race has one attempt in flight at a time (fallback); hedging adds concurrent attempts to the
 * same loop.
 */
public final class ChatExecutor {
    private final Ticker ticker;
    private final StallWatchdog watchdog;
    private final Duration requestTimeout;

    public ChatExecutor(Ticker ticker, StallWatchdog watchdog, Duration requestTimeout) {
        this.ticker = ticker;
        this.watchdog = watchdog;
        this.requestTimeout = requestTimeout;
    }

    /** Serves a non-streamed request. */
    public Served<ChatResponse> complete(ChatRequest request, RoutePlan plan) throws ChainFailedException {
        Race race = new Race(request, plan, false);
        AttemptSignal won = race.run();
        AttemptSignal.Answered answered = (AttemptSignal.Answered) won;
        watchdog.unwatch(answered.attempt());
        return new Served<>(answered.response(), answered.attempt().candidate(), race.records(won));
    }

    /**
     * Starts a streamed request; returns once an attempt has produced its first token. The caller relays
     * the rest and must close the stream.
     */
    public Served<LiveStream> stream(ChatRequest request, RoutePlan plan) throws ChainFailedException {
        Race race = new Race(request, plan, true);
        AttemptSignal won = race.run();
        AttemptSignal.Producing producing = (AttemptSignal.Producing) won;
        LiveStream live = new LiveStream(producing.attempt(), producing.stream(), producing.head(), watchdog);
        return new Served<>(live, producing.attempt().candidate(), race.records(won));
    }

    /** One request's attempts and the loop that decides between them. Confined to the caller's thread. */
    private final class Race {
        private final ChatRequest request;
        private final RoutePlan plan;
        private final boolean streaming;
        private final Deadline deadline;
        private final LinkedBlockingQueue<AttemptSignal> signals = new LinkedBlockingQueue<>();
        private final List<Attempt> launched = new ArrayList<>();
        private final List<Failure> failures = new ArrayList<>();
        private final java.util.Map<Attempt, Failure> failedAttempts = new java.util.HashMap<>();
        private final Iterator<Candidate> remaining;
        private int inFlight;

        Race(ChatRequest request, RoutePlan plan, boolean streaming) {
            this.request = request;
            this.plan = plan;
            this.streaming = streaming;
            this.deadline = Deadline.after(ticker, requestTimeout);
            this.remaining = plan.candidates().iterator();
        }

        AttemptSignal run() throws ChainFailedException {
            if (!launchNext()) {
                throw new ChainFailedException(plan.alias(), List.of(),
                                               Failure.of(FailureKind.SERVER_ERROR, "route has no candidates"));
            }
            while (true) {
                AttemptSignal signal = awaitSignal();
                inFlight--;
                switch (signal) {
                case AttemptSignal.Failed failed -> {
                    failures.add(failed.failure());
                    failedAttempts.put(failed.attempt(), failed.failure());
                    watchdog.unwatch(failed.attempt());
                    if (!FailoverPolicy.movesOn(failed.failure().kind())) {
                        abortAll(failed.attempt(), Failure.of(FailureKind.CANCELLED, "chain stopped"));
                        throw new ChainFailedException(plan.alias(), records(null), failed.failure());
                    }
                    if (!deadline.passed() && launchNext()) {
                        continue;
                    }
                    if (inFlight == 0) {
                        throw new ChainFailedException(plan.alias(), records(null), decisive());
                    }
                }
                default -> {
                    abortAll(signal.attempt(), Failure.of(FailureKind.CANCELLED, "another attempt won"));
                    return signal;
                }
                }
            }
        }

        private AttemptSignal awaitSignal() throws ChainFailedException {
            try {
                // The watchdog ends overdue attempts; this bound is a backstop should an attempt ignore its abort.
                long waitNanos = Math.max(deadline.remainingNanos(), 0) + TimeUnit.SECONDS.toNanos(5);
                AttemptSignal signal = signals.poll(waitNanos, TimeUnit.NANOSECONDS);
                if (signal != null) {
                    return signal;
                }
                Failure timeout = Failure.of(FailureKind.TIMEOUT, "no answer within the request deadline");
                abortAll(null, timeout);
                failures.add(timeout);
                throw new ChainFailedException(plan.alias(), records(null), timeout);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                Failure cancelled = Failure.of(FailureKind.CANCELLED, "request cancelled");
                abortAll(null, cancelled);
                throw new ChainFailedException(plan.alias(), records(null), cancelled);
            }
        }

        private boolean launchNext() {
            if (!remaining.hasNext()) {
                return false;
            }
            Candidate candidate = remaining.next();
            Optional<ApiKey> key = candidate.provider().keys().stream().findFirst();
            Attempt attempt = new Attempt(candidate, key, streaming, ticker, deadline);
            launched.add(attempt);
            inFlight++;
            watchdog.watch(attempt);
            ProviderCall call = new ProviderCall(request, candidate.model(), key);
            Thread.ofVirtual().name("attempt-" + candidate.label()).start(() -> runAttempt(attempt, call));
            return true;
        }

        private void runAttempt(Attempt attempt, ProviderCall call) {
            attempt.bindWorker(Thread.currentThread());
            ChatStream stream = null;
            try {
                if (!streaming) {
                    ChatResponse response = attempt.candidate().client().complete(call);
                    attempt.releaseWorker();
                    signals.add(new AttemptSignal.Answered(attempt, response));
                    return;
                }
                stream = attempt.candidate().client().stream(call);
                if (!attempt.attach(stream)) {
                    stream.close();
                    signals.add(new AttemptSignal.Failed(attempt, attempt.abortReason().orElseThrow()));
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
                attempt.releaseWorker();
                signals.add(new AttemptSignal.Producing(attempt, stream, head));
            } catch (ProviderException e) {
                closeQuietly(stream);
                signals.add(new AttemptSignal.Failed(attempt, attempt.failureOf(e)));
            } catch (RuntimeException e) {
                // An adapter bug must still end as one clean failure, never a lost signal.
                closeQuietly(stream);
                Failure failure = attempt.abortReason().orElseGet(() -> FailureClassifier.fromException(e, false));
                signals.add(new AttemptSignal.Failed(attempt, failure));
            }
        }

        private void abortAll(Attempt except, Failure reason) {
            for (Attempt attempt : launched) {
                if (attempt != except) {
                    attempt.abort(reason);
                    watchdog.unwatch(attempt);
                }
            }
        }

        /** The failure that speaks for the chain: the shared class when all agree, else the last one. */
        private Failure decisive() {
            FailureKind first = failures.getFirst().kind();
            if (failures.stream().allMatch(f -> f.kind() == first)) {
                return failures.stream()
                        .filter(f -> f.retryAfter().isPresent())
                        .min(Comparator.comparing(f -> f.retryAfter().get()))
                        .orElse(failures.getLast());
            }
            return failures.getLast();
        }

        /** One record per launched attempt, the winner's without failure. */
        List<AttemptRecord> records(AttemptSignal won) {
            List<AttemptRecord> records = new ArrayList<>(launched.size());
            for (Attempt attempt : launched) {
                if (won != null && attempt == won.attempt()) {
                    records.add(attempt.record(Optional.empty()));
                } else {
                    Failure failure = failedAttempts.get(attempt);
                    records.add(attempt.record(Optional.of(failure != null ? failure
                            : attempt.abortReason().orElseThrow())));
                }
            }
            return records;
        }

        private static void closeQuietly(ChatStream stream) {
            if (stream != null) {
                stream.close();
            }
        }
    }
}
