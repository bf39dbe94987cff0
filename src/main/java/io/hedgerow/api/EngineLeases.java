package io.hedgerow.api;

import java.util.Objects;

/**
 * Lends each chat request the engine in use when it starts, for as long as it runs: a config reload swaps in a new
 * engine, and what the old one holds (its provider clients) is let go once every request that took it has given it
 * back. A request thus finishes on the config it started with.
 */
@FunctionalInterface
public interface EngineLeases {

    /** The engine in use now, held until the lease is closed. */
    Lease acquire();

    /** One request's hold on an engine. Confined to that request's thread. */
    interface Lease extends AutoCloseable {
        Engine engine();

        /** Gives the engine back. Idempotent; never throws. */
        @Override
        void close();
    }

    /** Always this engine, which nothing ever lets go of (a service on a fixed router and executor). */
    static EngineLeases fixed(Engine engine) {
        Objects.requireNonNull(engine, "engine");
        Lease lease = new Lease() {
            @Override
            public Engine engine() {
                return engine;
            }

            @Override
            public void close() {
            }
        };
        return () -> lease;
    }
}
