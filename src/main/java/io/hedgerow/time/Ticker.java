package io.hedgerow.time;

/**
 * A source of monotonic nanoseconds: the one seam through which policy code reads time.
 * Production uses {@link #system()}; tests pass a {@link FakeTicker}-like implementation and advance it.
 */
@FunctionalInterface
public interface Ticker {

    /** Nanoseconds from an arbitrary origin; only differences are meaningful. */
    long read();

    /** The JVM's monotonic clock. */
    static Ticker system() {
        return System::nanoTime;
    }
}
