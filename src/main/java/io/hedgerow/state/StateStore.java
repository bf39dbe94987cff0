package io.hedgerow.state;

import java.util.function.Consumer;

/**
 * Where health state lives beyond one process's memory: a snapshot file ({@link LocalStore}) or, for a fleet, Redis
 * ({@link RedisStore}, which keeps the file too). The router's health objects stay the one copy requests read; the
 * store is told of each change ({@link #publish}) and tells of changes made elsewhere, or before a restart.
 *
 * <p>Nothing here may make a request wait beyond the configured bound: {@link #publish} and the probe permits
 * never block; only a fleet-wide rate limit ({@link #rateLimits()}) asks Redis while the request waits, within
 * {@code state.timeout}.
 */
public interface StateStore extends AutoCloseable {

    /**
     * Starts: reads what was saved (and, for Redis, connects in the background). Every record learned, now or later,
     * from the file, from Redis or from another replica, goes to {@code learned}, one at a time, never on a request's
     * thread; records this store was given through {@link #publish} are not handed back.
     */
    void start(Consumer<StateRecord> learned);

    /** A change made here. Returns at once; saving and sharing happen in the background. */
    void publish(StateRecord record);

    /** The newest records known, saved or not (for a re-sync and for tests). */
    java.util.Collection<StateRecord> records();

    /**
     * Whether this replica may probe the upstream behind {@code breaker} now (see
     * {@link io.hedgerow.health.ProbeGate}): always in one process; in a fleet, when it holds the breaker's permit.
     * Never blocks.
     */
    boolean tryProbe(String breaker);

    /** Gives the breaker's probe permit back. */
    void releaseProbe(String breaker);

    /** Client rate limits: fleet-wide through Redis, per process otherwise. */
    RateLimits rateLimits();

    /**
     * Where Responses API conversations are kept: {@code local} (this process's memory) unless the store shares them
     * (Redis: the fleet's, with {@code local} kept as this replica's fallback).
     */
    default ConversationStore conversations(MemoryConversationStore local,
                                            io.hedgerow.config.ConversationSettings settings) {
        return local;
    }

    /** How the store is doing now. */
    StoreStatus status();

    /** Told of each change of {@link #status()} (Redis lost, Redis back). */
    void onStatus(Consumer<StoreStatus> listener);

    /** The threads this store runs (saver, keeper), for readiness: a dead or stuck one shows there. */
    default java.util.List<io.hedgerow.time.Daemon> daemons() {
        return java.util.List.of();
    }

    /**
     * Records saved to this process's state file beside the published ones, gathered at each save (and at least
     * every minute): what is this replica's own and changes all the time, such as long-run latency baselines. Never
     * shared with other replicas; handed to {@link #start}'s consumer when read back.
     */
    default void onSave(java.util.function.Supplier<java.util.Collection<StateRecord>> records) {
    }

    /**
     * Runs {@code task} on the store's own thread every beat (Redis: every heartbeat, Redis up or not; a local store
     * with a file: every {@code save-every}), for time-driven upkeep such as leases. Never on a request's thread.
     */
    default void onBeat(Runnable task) {
    }

    /** This replica's config hash (shown to the other replicas). */
    default void configHash(String hash) {
    }

    /** Saves and lets go of connections. */
    @Override
    void close();
}
