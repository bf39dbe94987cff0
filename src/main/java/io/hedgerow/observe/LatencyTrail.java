package io.hedgerow.observe;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The last few latencies of each candidate's answers (time to first token for streams, to the whole answer
 * otherwise), in milliseconds, for the status page's sparklines. Thread-safe: one small lock per candidate.
 */
final class LatencyTrail {
    static final int SIZE = 40;
    private final Map<String, Ring> rings = new ConcurrentHashMap<>();

    void record(String candidate, long nanos) {
        rings.computeIfAbsent(candidate, c -> new Ring()).add(nanos / 1_000_000);
    }

    /** Oldest first. */
    long[] millis(String candidate) {
        Ring ring = rings.get(candidate);
        return ring == null ? new long[0] : ring.snapshot();
    }

    private static final class Ring {
        private final long[] values = new long[SIZE];
        private int next;
        private int size;

        synchronized void add(long value) {
            values[next] = value;
            next = (next + 1) % SIZE;
            size = Math.min(size + 1, SIZE);
        }

        synchronized long[] snapshot() {
            long[] out = new long[size];
            for (int i = 0; i < size; i++) {
                out[i] = values[(next - size + i + SIZE) % SIZE];
            }
            return out;
        }
    }
}
