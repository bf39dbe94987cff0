package io.hedgerow.tune;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The router's recent requests, per route, for {@code hedgerow tune} and {@code /status/tune}: a ring of the last
 * {@code capacity} {@link RequestSample}s of each route, the oldest overwritten first. Bounded twice over: each ring
 * by its capacity, the rings by {@value #MAX_ROUTES} routes (route names come from the config, and requests naming
 * no route share one label, so this is a backstop; samples of routes past it are dropped).
 *
 * <p>Thread-safe: each ring takes its own lock for O(1) work per sample, and copies itself under it when read.
 */
public final class SampleLog {
    /** Samples kept per route by default: enough for a p99.9, about 1 MB per busy route. */
    public static final int DEFAULT_CAPACITY = 5000;
    static final int MAX_ROUTES = 256;

    private final int capacity;
    private final Map<String, Ring> rings = new ConcurrentHashMap<>();

    public SampleLog(int capacity) {
        if (capacity < 0) {
            throw new IllegalArgumentException("capacity: " + capacity + " (expected: 0 or more)");
        }
        this.capacity = capacity;
    }

    public int capacity() {
        return capacity;
    }

    /** Keeps one request's sample (nothing when the capacity is 0). */
    public void add(RequestSample sample) {
        if (capacity == 0) {
            return;
        }
        Ring ring = rings.get(sample.route());
        if (ring == null) {
            if (rings.size() >= MAX_ROUTES) {
                return;
            }
            ring = rings.computeIfAbsent(sample.route(), r -> new Ring(capacity));
        }
        ring.add(sample);
    }

    /** Every route's samples, oldest first. */
    public List<RequestSample> all() {
        List<RequestSample> out = new ArrayList<>();
        rings.values().forEach(r -> out.addAll(r.copy()));
        out.sort(java.util.Comparator.comparingLong(RequestSample::atMillis));
        return out;
    }

    private static final class Ring {
        private final RequestSample[] slots;
        private final ReentrantLock lock = new ReentrantLock();
        private long added;

        Ring(int capacity) {
            this.slots = new RequestSample[capacity];
        }

        void add(RequestSample sample) {
            lock.lock();
            try {
                slots[(int) (added++ % slots.length)] = sample;
            } finally {
                lock.unlock();
            }
        }

        List<RequestSample> copy() {
            lock.lock();
            try {
                int n = (int) Math.min(added, slots.length);
                List<RequestSample> out = new ArrayList<>(n);
                for (long i = added - n; i < added; i++) {
                    out.add(slots[(int) (i % slots.length)]);
                }
                return out;
            } finally {
                lock.unlock();
            }
        }
    }
}
