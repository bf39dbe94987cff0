package io.hedgerow.exec;

import io.hedgerow.config.RecoverySettings;
import io.hedgerow.health.HealthRegistry;
import io.hedgerow.model.ChatRequest;
import io.hedgerow.model.ChatResponse;
import io.hedgerow.model.EmbeddingRequest;
import io.hedgerow.model.EmbeddingResponse;
import io.hedgerow.route.RoutePlan;
import io.hedgerow.time.Deadline;
import io.hedgerow.time.Ticker;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.random.RandomGenerator;

/**
 * Runs one client request against a route's candidates: retries, key rotation, fallback, hedging and probes of
 * demoted candidates, all inside the request's deadline. Each attempt runs on its own virtual thread and reports
 * to the request's {@link Race}; the first good answer wins (for streams, the first attempt to produce a token)
 * and the others are cancelled at once. A failure never wins.
 */
public final class ChatExecutor {
    private final RaceTime time;
    private final StallWatchdog watchdog;
    private final HealthRegistry health;
    private final RetryPolicy retryPolicy;
    private final RandomGenerator random;
    private final Duration requestTimeout;
    private final ExecutionListener listener;
    private final Bulkheads bulkheads;

    /**
     * @param ticker         time for deadlines and hedge delays
     * @param watchdog       enforces attempt time limits
     * @param health         breakers, key cooldowns, baselines and the hedge budget
     * @param random         jitter and probe sampling; used from many threads at once, so it must be thread-safe
     * @param requestTimeout the server's deadline for a whole request
     * @param listener       told what the executor does (metrics, events, traces)
     */
    public ChatExecutor(Ticker ticker, StallWatchdog watchdog, HealthRegistry health, RandomGenerator random,
                        Duration requestTimeout, ExecutionListener listener) {
        this(ticker, watchdog, health, random, requestTimeout, listener, new Bulkheads(ticker));
    }

    /**
     * @param bulkheads per-provider adaptive limits of attempts in flight, shared by the executors of successive
     *                  config generations so that a reload does not reset them
     */
    public ChatExecutor(Ticker ticker, StallWatchdog watchdog, HealthRegistry health, RandomGenerator random,
                        Duration requestTimeout, ExecutionListener listener, Bulkheads bulkheads) {
        this(RaceTime.of(ticker), watchdog, health, random, requestTimeout, listener, bulkheads);
    }

    /** With the races' time and threads given: a simulated clock in tests. */
    ChatExecutor(RaceTime time, StallWatchdog watchdog, HealthRegistry health, RandomGenerator random,
                 Duration requestTimeout, ExecutionListener listener, Bulkheads bulkheads) {
        this.time = time;
        this.bulkheads = bulkheads;
        this.watchdog = watchdog;
        this.health = health;
        this.retryPolicy = new RetryPolicy(random);
        this.random = random;
        this.requestTimeout = requestTimeout;
        this.listener = listener;
    }

    /** Attempts in flight to this provider now (its bulkhead's count). */
    public int attemptsInFlight(String provider) {
        return bulkheads.inFlight(provider);
    }

    /** Serves a non-streamed request. */
    public Served<ChatResponse> complete(ChatRequest request, RoutePlan plan, Optional<Duration> clientTimeout)
            throws ChainFailedException {
        return whole(new Job.Chat(request), ChatResponse.class, plan, clientTimeout);
    }

    /**
     * Serves an embeddings request with the same keys, breakers, cooldowns, retries, hedges and bulkheads as chat,
     * split into batches within the route's limits when it is larger ({@link EmbeddingBatches}). The route's
     * candidates must produce comparable vectors: config checks that they declare one embedding space.
     */
    public Served<EmbeddingResponse> embed(EmbeddingRequest request, RoutePlan plan, Optional<Duration> clientTimeout)
            throws ChainFailedException {
        Duration timeout = timeout(plan, clientTimeout);
        List<EmbeddingRequest> batches = EmbeddingBatches.split(request, EmbeddingBatches.limits(plan));
        if (batches.size() == 1) {
            return whole(new Job.Embedding(request), EmbeddingResponse.class, plan, timeout);
        }
        // One deadline for the whole request: each batch's race gets what is left of it.
        Deadline deadline = Deadline.after(time.ticker(), timeout);
        return EmbeddingBatches.run(plan.alias(), batches, batch -> whole(
                new Job.Embedding(batch), EmbeddingResponse.class, plan,
                Duration.ofNanos(Math.max(1, deadline.remainingNanos()))));
    }

    private <T> Served<T> whole(Job<T> job, Class<T> type, RoutePlan plan, Optional<Duration> clientTimeout)
            throws ChainFailedException {
        return whole(job, type, plan, timeout(plan, clientTimeout));
    }

    private <T> Served<T> whole(Job<T> job, Class<T> type, RoutePlan plan, Duration timeout)
            throws ChainFailedException {
        Race race = new Race(job, plan, false, timeout, time, watchdog, health, retryPolicy, random, listener,
                             bulkheads);
        AttemptSignal.Answered answered = (AttemptSignal.Answered) race.run();
        return new Served<>(type.cast(answered.response()), answered.attempt().candidate(),
                            race.records(answered.attempt()));
    }

    /**
     * Starts a streamed request; returns once an attempt has produced its first token. The caller relays the rest
     * and must close the stream.
     */
    public Served<LiveStream> stream(ChatRequest request, RoutePlan plan, Optional<Duration> clientTimeout)
            throws ChainFailedException {
        Duration timeout = timeout(plan, clientTimeout);
        Deadline deadline = Deadline.after(time.ticker(), timeout);
        Race race = race(request, plan, true, timeout);
        AttemptSignal.Producing producing = (AttemptSignal.Producing) race.run();
        AttemptStream first = attemptStream(producing);
        LiveStream live = plan.policy().recovery().mode() == RecoverySettings.Mode.OFF ? first
                : new RecoveringStream(first, request, plan, deadline, this::continuation, listener);
        return new Served<>(live, producing.attempt().candidate(), race.records(producing.attempt()));
    }

    /** A race for the rest of a broken answer; it has no recovery of its own. */
    private AttemptStream continuation(ChatRequest request, RoutePlan plan, Duration timeout)
            throws ChainFailedException {
        return attemptStream((AttemptSignal.Producing) race(request, plan, true, timeout).run());
    }

    private AttemptStream attemptStream(AttemptSignal.Producing producing) {
        return new AttemptStream(producing.attempt(), producing.stream(), producing.head(), watchdog);
    }

    private Race race(ChatRequest request, RoutePlan plan, boolean streaming, Duration timeout) {
        return new Race(new Job.Chat(request), plan, streaming, timeout, time, watchdog, health, retryPolicy, random, listener,
                        bulkheads);
    }

    /** The request's deadline: the server's, or shorter when the route or the client says so. */
    private Duration timeout(RoutePlan plan, Optional<Duration> clientTimeout) {
        Duration timeout = requestTimeout;
        for (Optional<Duration> shorter : List.of(plan.policy().timeout(), clientTimeout)) {
            if (shorter.isPresent() && shorter.get().compareTo(timeout) < 0) {
                timeout = shorter.get();
            }
        }
        return timeout;
    }
}
