package io.hedgerow.exec;

import io.hedgerow.config.RecoverySettings;
import io.hedgerow.health.HealthRegistry;
import io.hedgerow.model.ChatRequest;
import io.hedgerow.model.ChatResponse;
import io.hedgerow.time.Deadline;
import io.hedgerow.time.Ticker;

import java.time.Duration;
import java.util.Optional;
import java.util.random.RandomGenerator;

/**
 * Runs one client request against a route's candidates: retries, key rotation, fallback, hedging and probes of
 * demoted candidates, all inside the request's deadline. Each attempt runs on its own virtual thread and reports
 * to the request's {@link Race}; the first good answer wins (for streams, the first attempt to produce a token)
 * and the others are cancelled at once. A failure never wins.
 */
public final class ChatExecutor {
    private final Ticker ticker;
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
     * @param random         jitter and probe sampling
     * @param requestTimeout the server's deadline for a whole request
     * @param listener       told about hedges and budget refusals (metrics, events)
     */
    public ChatExecutor(Ticker ticker, StallWatchdog watchdog, HealthRegistry health, RandomGenerator random,
                        Duration requestTimeout, ExecutionListener listener) {
        this(ticker, watchdog, health, random, requestTimeout, listener, new Bulkheads());
    }

    /**
     * @param bulkheads per-provider limits of attempts in flight, shared by the executors of successive config
     *                  generations so that a reload does not reset them
     */
    public ChatExecutor(Ticker ticker, StallWatchdog watchdog, HealthRegistry health, RandomGenerator random,
                        Duration requestTimeout, ExecutionListener listener, Bulkheads bulkheads) {
        this.bulkheads = bulkheads;
        this.ticker = ticker;
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
    public Served<ChatResponse> complete(ChatRequest request, io.hedgerow.route.RoutePlan plan,
                                         Optional<Duration> clientTimeout) throws ChainFailedException {
        Race race = race(request, plan, false, clientTimeout);
        AttemptSignal.Answered answered = (AttemptSignal.Answered) race.run();
        return new Served<>(answered.response(), answered.attempt().candidate(), race.records(answered.attempt()));
    }

    /**
     * Starts a streamed request; returns once an attempt has produced its first token. The caller relays the rest
     * and must close the stream.
     */
    public Served<LiveStream> stream(ChatRequest request, io.hedgerow.route.RoutePlan plan,
                                     Optional<Duration> clientTimeout) throws ChainFailedException {
        Duration timeout = timeout(plan, clientTimeout);
        Deadline deadline = Deadline.after(ticker, timeout);
        Race race = new Race(request, plan, true, timeout, ticker, watchdog, health, retryPolicy, random, listener,
                             bulkheads);
        AttemptSignal.Producing producing = (AttemptSignal.Producing) race.run();
        AttemptStream first = attemptStream(producing);
        LiveStream live = plan.policy().recovery().mode() == RecoverySettings.Mode.OFF ? first
                : new RecoveringStream(first, request, plan, deadline, this::continuation, listener);
        return new Served<>(live, producing.attempt().candidate(), race.records(producing.attempt()));
    }

    /** A race for the rest of a broken answer; it has no recovery of its own. */
    private AttemptStream continuation(ChatRequest request, io.hedgerow.route.RoutePlan plan, Duration timeout)
            throws ChainFailedException {
        Race race = new Race(request, plan, true, timeout, ticker, watchdog, health, retryPolicy, random, listener,
                             bulkheads);
        return attemptStream((AttemptSignal.Producing) race.run());
    }

    private AttemptStream attemptStream(AttemptSignal.Producing producing) {
        return new AttemptStream(producing.attempt(), producing.stream(), producing.head(), watchdog);
    }

    private Race race(ChatRequest request, io.hedgerow.route.RoutePlan plan, boolean streaming,
                      Optional<Duration> clientTimeout) {
        return new Race(request, plan, streaming, timeout(plan, clientTimeout), ticker, watchdog, health, retryPolicy,
                        random, listener, bulkheads);
    }

    /** The request's deadline: the server's, or shorter when the route or the client says so. */
    private Duration timeout(io.hedgerow.route.RoutePlan plan, Optional<Duration> clientTimeout) {
        Duration timeout = requestTimeout;
        for (Optional<Duration> shorter : java.util.List.of(plan.policy().timeout(), clientTimeout)) {
            if (shorter.isPresent() && shorter.get().compareTo(timeout) < 0) {
                timeout = shorter.get();
            }
        }
        return timeout;
    }
}
