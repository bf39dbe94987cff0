package io.hedgerow.api;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The heap the router lets requests in flight hold for their bodies and parsed trees, all requests together: a
 * request reserves what its body will cost before reading it, and what its tree will cost before building it, and
 * gives it back when it ends. When the budget is spent the request is refused at once (a 503 with
 * {@code Retry-After}), so a crowd of large bodies meets a clear "not now" instead of an {@link OutOfMemoryError}.
 *
 * <p>Reservations never wait. Thread-safe: one atomic counter.
 */
final class MemoryBudget {
    private final long capacity;
    private final AtomicLong used = new AtomicLong();

    MemoryBudget(long capacity) {
        if (capacity <= 0) {
            throw new IllegalArgumentException("capacity: " + capacity + " (expected: positive)");
        }
        this.capacity = capacity;
    }

    /** A quarter of the JVM's maximum heap, at least 32 MiB: room for the rest of the router besides. */
    static MemoryBudget forHeap() {
        return new MemoryBudget(Math.max(32L << 20, Runtime.getRuntime().maxMemory() / 4));
    }

    long capacity() {
        return capacity;
    }

    /** Bytes reserved now. */
    long used() {
        return used.get();
    }

    /** An empty reservation, to grow as a request learns what it needs. */
    Reservation open() {
        return new Reservation();
    }

    /** Bytes held by one request; {@link #close} gives them all back. Used by one thread at a time. */
    final class Reservation implements AutoCloseable {
        private long held;
        private boolean closed;

        /** Reserves {@code bytes} more; false (and nothing reserved) when the budget cannot spare them. */
        boolean grow(long bytes) {
            if (closed || bytes < 0) {
                return false;
            }
            while (true) {
                long now = used.get();
                if (now + bytes > capacity) {
                    return false;
                }
                if (used.compareAndSet(now, now + bytes)) {
                    held += bytes;
                    return true;
                }
            }
        }

        long held() {
            return held;
        }

        @Override
        public void close() {
            if (!closed) {
                closed = true;
                used.addAndGet(-held);
                held = 0;
            }
        }
    }
}
