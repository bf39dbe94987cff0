package io.hedgerow.health;

/**
 * An immutable time-bucketed count of successes and failures: the closed breaker's sliding window.
 *
 * <p>Time is cut into epochs of one bucket's width; epoch {@code e} lives in slot {@code e mod n}. A bucket is
 * in the window while {@code current - n < e <= current}, so the window holds between {@code (n-1)} and
 * {@code n} bucket widths of history: a sample leaves it at most one bucket width early. {@link #plus} copies
 * the {@code n} slot references and makes one new bucket, which is cheap next to an LLM call and lets the
 * whole breaker state be swapped with one compare-and-set.
 */
final class SlidingCounts {
    private static final Bucket EMPTY = new Bucket(Long.MIN_VALUE, 0, 0);

    private final Bucket[] slots;

    private SlidingCounts(Bucket[] slots) {
        this.slots = slots;
    }

    static SlidingCounts empty(int buckets) {
        Bucket[] slots = new Bucket[buckets];
        java.util.Arrays.fill(slots, EMPTY);
        return new SlidingCounts(slots);
    }

    /** These counts with one more success or failure in epoch {@code epoch}. */
    SlidingCounts plus(long epoch, boolean failure) {
        int slot = (int) Math.floorMod(epoch, (long) slots.length);
        Bucket old = slots[slot];
        Bucket base = old.epoch() == epoch ? old : new Bucket(epoch, 0, 0);
        Bucket next = failure
                ? new Bucket(epoch, base.successes(), base.failures() + 1)
                : new Bucket(epoch, base.successes() + 1, base.failures());
        Bucket[] copy = slots.clone();
        copy[slot] = next;
        return new SlidingCounts(copy);
    }

    /** Successes plus failures in the window ending at epoch {@code current}. */
    long calls(long current) {
        long sum = 0;
        for (Bucket b : slots) {
            if (live(b, current)) {
                sum += b.successes() + b.failures();
            }
        }
        return sum;
    }

    /** Failures in the window ending at epoch {@code current}. */
    long failures(long current) {
        long sum = 0;
        for (Bucket b : slots) {
            if (live(b, current)) {
                sum += b.failures();
            }
        }
        return sum;
    }

    private boolean live(Bucket b, long current) {
        return b.epoch() <= current && b.epoch() > current - slots.length;
    }

    private record Bucket(long epoch, int successes, int failures) {
    }
}
