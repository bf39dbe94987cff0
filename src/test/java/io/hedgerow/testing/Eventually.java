package io.hedgerow.testing;

import java.time.Duration;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/**
 * Waits for a state the router reaches just after the client has its answer (a bulkhead place given back, a
 * request counted as ended): the client cannot observe that moment, so the test polls for it, with a bound. The
 * bound is a liveness bound, not a speed claim: a state reached in 10 ms costs 10 ms whatever the bound, and a
 * loaded two-core machine may take seconds to schedule the thread that gets there.
 */
public final class Eventually {
    private Eventually() {
    }

    /** Polls every 10 ms; fails after 30 s. */
    public static void eventually(BooleanSupplier condition) {
        eventually(Duration.ofSeconds(30), condition);
    }

    /** Polls every 10 ms; fails after {@code bound} (for what a loaded machine may take long to reach, a connect). */
    public static void eventually(Duration bound, BooleanSupplier condition) {
        long deadline = System.nanoTime() + bound.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("condition not reached within " + bound.toMillis() + " ms");
            }
            LockSupport.parkNanos(Duration.ofMillis(10).toNanos());
        }
    }

    /** Until {@code thread} parks: a reader blocked waiting for its upstream, say. */
    public static void eventuallyParked(Thread thread) {
        eventually(() -> thread.getState() == Thread.State.WAITING
                || thread.getState() == Thread.State.TIMED_WAITING);
    }
}
