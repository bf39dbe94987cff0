package io.hedgerow.health;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.IntConsumer;

/** Runs a task on many virtual threads released together, and waits for all of them. */
final class Concurrently {
    private Concurrently() {
    }

    static void run(int threads, IntConsumer task) throws Exception {
        CountDownLatch start = new CountDownLatch(1);
        Future<?>[] futures = new Future<?>[threads];
        try (ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < threads; i++) {
                int index = i;
                futures[i] = executor.submit(() -> {
                    start.await();
                    task.accept(index);
                    return null;
                });
            }
            start.countDown();
            for (Future<?> f : futures) {
                f.get(); // rethrows a task's failure
            }
        }
    }
}
