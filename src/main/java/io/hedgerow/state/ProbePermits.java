package io.hedgerow.state;

import io.hedgerow.time.Ticker;

import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.SetArgs;
import io.lettuce.core.api.async.RedisAsyncCommands;

import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Half-open probe permits granted once across the fleet: when a breaker's open time is up on several replicas at
 * once, only the one holding {@code P probe:LABEL} turns half-open and probes; the others keep refusing until they
 * hear the outcome (the breaker closed, or open again for longer), which the prober publishes.
 *
 * <p>Never blocks a request: the first ask starts {@code SET P probe:LABEL ID NX PX lease} in the background and
 * answers no; once Redis granted it, the next ask answers yes. A permit is given back (deleted if still ours) when the
 * breaker leaves half-open, and lapses by itself after {@link #LEASE} if its holder died. A refused replica asks
 * again after {@link #RETRY}. While Redis is down every replica decides alone, as a single router would.
 *
 * <p>Thread-safe: one atomic state per breaker.
 */
final class ProbePermits {
    /** How long a permit lasts without being given back: longer than a probe normally takes. */
    static final Duration LEASE = Duration.ofSeconds(30);
    /** How soon a replica refused a permit asks again (the holder may have died). */
    static final Duration RETRY = Duration.ofSeconds(1);
    private static final String RELEASE_IF_OURS = """
            if redis.call('GET', KEYS[1]) == ARGV[1] then
              return redis.call('DEL', KEYS[1])
            end
            return 0
            """;

    private final RedisStore store;
    private final Ticker ticker;
    private final ConcurrentHashMap<String, AtomicReference<Permit>> permits = new ConcurrentHashMap<>();

    ProbePermits(RedisStore store, Ticker ticker) {
        this.store = store;
        this.ticker = ticker;
    }

    boolean tryProbe(String breaker) {
        if (!store.up()) {
            return true;
        }
        AtomicReference<Permit> ref = permits.computeIfAbsent(breaker, b -> new AtomicReference<>(Permit.NONE));
        long now = ticker.read();
        Permit p = ref.get();
        switch (p.state) {
            case HELD -> {
                if (now - p.untilNanos < 0) {
                    return true;
                }
            }
            case ASKING -> {
                if (now - p.untilNanos < 0) {
                    return false;
                }
            }
            case REFUSED -> {
                if (now - p.untilNanos < 0) {
                    return false;
                }
            }
            case NONE -> {
            }
        }
        Permit asking = new Permit(State.ASKING, now + RedisStore.KEEPER_TIMEOUT.toNanos());
        if (!ref.compareAndSet(p, asking)) {
            return false;
        }
        RedisAsyncCommands<String, String> async = store.commands();
        if (async == null) {
            ref.compareAndSet(asking, Permit.NONE);
            return true;
        }
        async.set(store.key("probe:" + breaker), store.replica(), SetArgs.Builder.nx().px(LEASE.toMillis()))
                .whenComplete((ok, error) -> {
                    long at = ticker.read();
                    if (error != null) {
                        ref.compareAndSet(asking, Permit.NONE);
                        store.markDown("cannot ask for a probe permit: " + RedisStore.rootCause(error));
                    } else if ("OK".equals(ok)) {
                        ref.compareAndSet(asking, new Permit(State.HELD, at + LEASE.toNanos()));
                    } else {
                        ref.compareAndSet(asking, new Permit(State.REFUSED, at + RETRY.toNanos()));
                    }
                });
        return false;
    }

    /** The breaker left half-open here: the permit goes back. */
    void release(String breaker) {
        AtomicReference<Permit> ref = permits.get(breaker);
        if (ref == null) {
            return;
        }
        Permit p = ref.getAndSet(Permit.NONE);
        if (p.state == State.HELD) {
            RedisAsyncCommands<String, String> async = store.commands();
            if (async != null && store.up()) {
                async.<Long>eval(RELEASE_IF_OURS, ScriptOutputType.INTEGER,
                                 new String[]{store.key("probe:" + breaker)}, store.replica())
                        .exceptionally(e -> 0L);
            }
        }
    }

    /** News of a breaker (opened or closed, here or elsewhere): a replica refused may ask again at once. */
    void heard(StateRecord record) {
        if (record instanceof StateRecord.Breaker b) {
            AtomicReference<Permit> ref = permits.get(b.candidate());
            if (ref != null) {
                Permit p = ref.get();
                if (p.state == State.REFUSED) {
                    ref.compareAndSet(p, Permit.NONE);
                }
            }
        }
    }

    void releaseAll() {
        permits.keySet().forEach(this::release);
    }

    private enum State { NONE, ASKING, HELD, REFUSED }

    /** A permit's state here, and until when it holds (ticker time). */
    private record Permit(State state, long untilNanos) {
        static final Permit NONE = new Permit(State.NONE, 0);
    }
}
