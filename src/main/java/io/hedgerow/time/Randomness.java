package io.hedgerow.time;

import java.util.concurrent.ThreadLocalRandom;
import java.util.random.RandomGenerator;

/**
 * The randomness seam: policy code takes a {@link RandomGenerator} (tests pass a seeded one, confined to the test's
 * thread). The router's own is {@link #shared()}: one generator used from every request and attempt thread at once.
 * {@code RandomGenerator.getDefault()} is not thread-safe (its state is a plain field: concurrent draws repeat and
 * lose values), so it must not be that.
 */
public final class Randomness {
    private static final RandomGenerator SHARED = new RandomGenerator() {
        @Override
        public long nextLong() {
            return ThreadLocalRandom.current().nextLong();
        }

        @Override
        public String toString() {
            return "Randomness.shared()";
        }
    };

    private Randomness() {
    }

    /** A generator safe to share between threads: each thread draws from its own {@link ThreadLocalRandom}. */
    public static RandomGenerator shared() {
        return SHARED;
    }
}
