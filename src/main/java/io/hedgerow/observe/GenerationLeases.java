package io.hedgerow.observe;

import io.hedgerow.api.Engine;
import io.hedgerow.api.EngineLeases;
import io.hedgerow.provider.ProviderClient;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Lends each chat request the {@link Generation} in use when it starts, for as long as it runs, and closes a provider
 * client once no generation holding it can serve a request any more (a reload replaced or removed its provider).
 *
 * <p>Algorithm. A generation counts its holds: one for being in use, one per request running on it. A request takes a
 * hold on the generation in use with a compare-and-set that never raises a count from 0, so it cannot revive a
 * generation already let go (it takes the next one instead), and gives the hold back when it ends. Swapping in the
 * next generation gives back the previous one's "in use" hold. A generation whose count reaches 0 is finished: no
 * request runs on it and none can start. Each client counts the unfinished generations holding it; a client kept
 * across a reload is held by both, so it lives on, and when the last generation holding it finishes it is closed:
 * its idle connections at once, any still lent (to a probe that outlived its request) when their exchange ends.
 * {@link #close() Closing} (on shutdown, after the drain) gives back the "in use" hold of the generation in use as a
 * swap would, so its clients are closed too, at once or when the last request still on it ends. After it a request
 * still gets the last generation (its clients work, closing each connection after use) but holds nothing, and a
 * generation swapped in late is let go at once.
 *
 * <p>Thread-safety: holds are atomic counters; the generation in use is a volatile field; client counts change under
 * this object's lock (swaps and finished generations, never per request); clients are closed outside it, on the
 * thread that finished the last generation holding them (a request's, or the reload's).
 */
public final class GenerationLeases implements EngineLeases {
    private static final System.Logger LOG = System.getLogger(GenerationLeases.class.getName());

    /** For each client, how many unfinished generations hold it; guarded by this. */
    private final Map<ProviderClient, Integer> holders = new IdentityHashMap<>();
    private volatile Held inUse;
    /** Set once by {@link #close()}; guarded by this. */
    private boolean closed;

    /** Lends {@code first} until the next generation is {@link #swapped} in. */
    public GenerationLeases(Generation first) {
        Objects.requireNonNull(first, "first");
        synchronized (this) {
            hold(first);
            inUse = new Held(first);
        }
    }

    @Override
    public EngineLeases.Lease acquire() {
        while (true) {
            Held generation = inUse;
            if (generation.take()) {
                return new Lease(generation);
            }
            if (generation == inUse) {
                // Finished while still the one in use: only close() does that. A request slipping in after the
                // drain runs on it unheld; its closed clients still work, leaving no connection open behind them.
                return new Lease(generation, false);
            }
            // Swapped out and finished between the read and the take: the next one is in use already.
        }
    }

    /** {@code next} is in use from now on; the previous generation finishes once its last request has. */
    public void swapped(Generation next) {
        Objects.requireNonNull(next, "next");
        Held letGo;
        synchronized (this) {
            // Counted before the previous one can finish, so a client both hold never drops to 0 on the way.
            hold(next);
            Held previous = inUse;
            inUse = new Held(next);
            // After close() the previous one's "in use" hold is given back already: let the new one go instead.
            letGo = closed ? inUse : previous;
        }
        letGo.giveBack();
    }

    /**
     * No generation is in use any more (the router is stopping, its drain done): the one in use finishes once the
     * requests still on it have ended (at once if none is), and its provider clients are closed then, as are those
     * of older generations as their last requests end. Idempotent.
     */
    public void close() {
        Held last;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            last = inUse;
        }
        last.giveBack();
    }

    private void hold(Generation generation) {
        for (ProviderClient client : generation.clients().values()) {
            holders.merge(client, 1, Integer::sum);
        }
    }

    private void finished(Generation generation) {
        List<ProviderClient> unused = new ArrayList<>();
        synchronized (this) {
            for (ProviderClient client : generation.clients().values()) {
                if (holders.merge(client, -1, (count, minusOne) -> count + minusOne == 0 ? null
                        : count + minusOne) == null) {
                    unused.add(client);
                }
            }
        }
        for (ProviderClient client : unused) {
            try {
                client.close();
                LOG.log(System.Logger.Level.INFO, "provider {0}: its client is closed, no generation in use holding "
                        + "it and its last request done (generation {1} finished)", client.name(), generation.number());
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "provider " + client.name() + ": closing its client failed", e);
            }
        }
    }

    /** A generation and its holds: 1 while it is in use, plus one per request running on it. */
    private final class Held {
        final Generation generation;
        final AtomicInteger holds = new AtomicInteger(1);

        Held(Generation generation) {
            this.generation = generation;
        }

        /** One more request on it; false when it has finished. */
        boolean take() {
            while (true) {
                int n = holds.get();
                if (n == 0) {
                    return false;
                }
                if (holds.compareAndSet(n, n + 1)) {
                    return true;
                }
            }
        }

        void giveBack() {
            if (holds.decrementAndGet() == 0) {
                finished(generation);
            }
        }
    }

    /** One request's hold; given back once. */
    private static final class Lease implements EngineLeases.Lease {
        private final Held held;
        private boolean closed;

        Lease(Held held) {
            this(held, true);
        }

        /** A lease that holds nothing (after {@link GenerationLeases#close()}) is given back as if already. */
        Lease(Held held, boolean holding) {
            this.held = held;
            this.closed = !holding;
        }

        @Override
        public Engine engine() {
            return held.generation.engine();
        }

        @Override
        public void close() {
            if (!closed) {
                closed = true;
                held.giveBack();
            }
        }
    }
}
