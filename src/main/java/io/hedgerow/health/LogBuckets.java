package io.hedgerow.health;

/**
 * The latency histogram's bucket geometry: log-scale buckets, each {@value #GROWTH} times wider than the
 * last, from {@link #MIN_NANOS} (1 ms) to {@link #MAX_NANOS} (10 min).
 *
 * <p>Bucket {@code i} (1..{@link #REGULAR}) holds {@code [MIN * g^(i-1), MIN * g^i)} with {@code g = 1.1}, and
 * is reported as its geometric middle {@code MIN * g^(i-1) * sqrt(g)}: a reported value is within
 * {@code sqrt(1.1) - 1 = 4.9%} of every sample in its bucket. Bucket 0 holds everything under 1 ms and is
 * reported as 1 ms; the last holds everything from about 10.4 min up and is reported as its lower bound.
 * 142 buckets in all.
 */
final class LogBuckets {
    static final long MIN_NANOS = 1_000_000L;
    static final long MAX_NANOS = 600_000_000_000L;
    static final double GROWTH = 1.1;
    /** Relative precision of a reported value: {@code sqrt(GROWTH) - 1}. */
    static final double PRECISION = Math.sqrt(GROWTH) - 1;
    static final int REGULAR = (int) Math.ceil(Math.log((double) MAX_NANOS / MIN_NANOS) / Math.log(GROWTH));
    static final int COUNT = REGULAR + 2;

    private static final double LN_GROWTH = Math.log(GROWTH);
    private static final long[] VALUES = new long[COUNT];

    static {
        VALUES[0] = MIN_NANOS;
        for (int i = 1; i <= REGULAR; i++) {
            VALUES[i] = Math.round(MIN_NANOS * Math.pow(GROWTH, i - 1) * Math.sqrt(GROWTH));
        }
        VALUES[COUNT - 1] = Math.round(MIN_NANOS * Math.pow(GROWTH, REGULAR));
    }

    private LogBuckets() {
    }

    static int index(long nanos) {
        if (nanos < MIN_NANOS) {
            return 0;
        }
        int i = 1 + (int) Math.floor(Math.log((double) nanos / MIN_NANOS) / LN_GROWTH);
        return Math.min(i, COUNT - 1);
    }

    /** The value bucket {@code index} is reported as. */
    static long value(int index) {
        return VALUES[index];
    }
}
