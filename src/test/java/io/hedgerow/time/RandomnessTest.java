package io.hedgerow.time;

import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.random.RandomGenerator;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.is;

/** The router's shared generator is used from every request thread at once: concurrent draws must not collide. */
class RandomnessTest {
    private static final int THREADS = 4;
    private static final int DRAWS = 100_000;

    /** Distinct values among THREADS x DRAWS 64-bit draws made at once (all distinct, barring a 1e-8 chance). */
    static int distinctDrawsAtOnce(RandomGenerator random) throws InterruptedException {
        long[][] drawn = new long[THREADS][DRAWS];
        CountDownLatch start = new CountDownLatch(1);
        Thread[] threads = new Thread[THREADS];
        for (int t = 0; t < THREADS; t++) {
            int index = t;
            threads[t] = Thread.ofPlatform().start(() -> {
                try {
                    start.await();
                } catch (InterruptedException e) {
                    return;
                }
                for (int i = 0; i < DRAWS; i++) {
                    drawn[index][i] = random.nextLong();
                }
            });
        }
        start.countDown();
        for (Thread thread : threads) {
            thread.join();
        }
        Set<Long> distinct = new HashSet<>(THREADS * DRAWS * 2);
        for (long[] values : drawn) {
            for (long v : values) {
                distinct.add(v);
            }
        }
        return distinct.size();
    }

    @Test
    void concurrentDrawsFromTheSharedGeneratorNeverRepeatEachOther() throws InterruptedException {
        // RandomGenerator.getDefault() keeps its state in plain fields: threads drawing at once read the same state
        // and repeat each other's values (and lose updates), so jitter and probe sampling clump.
        assertThat(distinctDrawsAtOnce(Randomness.shared()), is(THREADS * DRAWS));
        assertThat(Randomness.shared().nextDouble() < 1.0, is(true));
    }
}
