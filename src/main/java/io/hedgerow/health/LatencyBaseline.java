package io.hedgerow.health;

import io.hedgerow.config.BaselineSettings;

import io.hedgerow.time.Ticker;

import java.util.Arrays;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.concurrent.locks.ReentrantLock;

/**
 * What latency is normal for one provider+model and one measure (time to first token for streams, time to
 * the whole answer otherwise: keep one instance per measure). The hedging delay policy reads its percentiles.
 *
 * <p>Record latency only for successes and for attempts cut short by a timeout or by losing a hedge; fast
 * failures would drag the baseline down.
 *
 * <h2>Algorithm</h2>
 * Samples go into log-scale buckets (see {@link LogBuckets}: 1 ms to 10 min, each reported value within 4.9%
 * of the samples it stands for), kept two ways:
 * <ul>
 *     <li><b>Recent window.</b> {@value #SUB_WINDOWS} sub-histograms, each covering {@code window / }
 *     {@value #SUB_WINDOWS} of time, used in rotation: when time moves into a new part, the part it reuses is
 *     cleared. A running sum of the live parts answers queries in one pass over the buckets. The window holds
 *     between 9/10 and all of {@code window} of history. {@link #percentileNanos(double) percentile p} is the
 *     nearest rank: the bucket holding the {@code ceil(p/100 * n)}-th smallest of the {@code n} samples.</li>
 *     <li><b>Long run.</b> A decaying histogram: a sample recorded at time {@code t} weighs
 *     {@code 2^(-(now - t) / halfLife)} at time {@code now}. This is done by forward decay: the sample is added
 *     with weight {@code 2^((t - L) / halfLife)} for a landmark {@code L}; since every weight shrinks by the
 *     same factor, ratios (and so percentiles) need no per-query work. When the exponent passes 60, every weight
 *     is rescaled and {@code L} moves to now. {@link #longRunPercentileNanos(double) Percentile p} is the first
 *     bucket where the cumulative weight reaches {@code p/100} of the total. With steady traffic, a spike of
 *     length {@code d} holds about {@code 1 - 2^(-d / halfLife)} of the weight: 3.4% for 30 s against the
 *     default 10 min, so the long-run median does not move and only the top percentiles do.</li>
 * </ul>
 * Time is read only to rotate the window and to weigh samples; the samples themselves are given.
 *
 * <h2>Threads</h2>
 * Thread-safe: every method takes one {@link ReentrantLock} (not {@code synchronized}, so a virtual thread
 * waiting for it does not pin its carrier) for O(buckets) work and no allocation.
 */
public final class LatencyBaseline {
    /** Rotating parts of the recent window. */
    public static final int SUB_WINDOWS = 10;
    private static final double RESCALE_EXPONENT = 60;

    private final BaselineSettings settings;
    private final Ticker ticker;
    private final ReentrantLock lock = new ReentrantLock();
    private final long origin;
    private final long slotNanos;
    private final double halfLifeNanos;

    // Recent window: parts[epoch mod SUB_WINDOWS], and their sum.
    private final long[][] parts = new long[SUB_WINDOWS][LogBuckets.COUNT];
    private final long[] window = new long[LogBuckets.COUNT];
    private long windowCount;
    private long epoch;

    // Long run: forward-decayed weights relative to the landmark.
    private final double[] decayed = new double[LogBuckets.COUNT];
    private double decayedTotal;
    private long landmark;

    public LatencyBaseline(BaselineSettings settings, Ticker ticker) {
        this.settings = Objects.requireNonNull(settings, "settings");
        this.ticker = Objects.requireNonNull(ticker, "ticker");
        this.origin = ticker.read();
        this.landmark = origin;
        this.slotNanos = Math.max(1, settings.window().toNanos() / SUB_WINDOWS);
        this.halfLifeNanos = settings.halfLife().toNanos();
    }

    public BaselineSettings settings() {
        return settings;
    }

    /** Adds one latency sample, in nanoseconds. */
    public void record(long nanos) {
        if (nanos < 0) {
            throw new IllegalArgumentException("latency: " + nanos + " (expected: 0 or more nanoseconds)");
        }
        int bucket = LogBuckets.index(nanos);
        lock.lock();
        try {
            long now = ticker.read();
            rotate(now);
            parts[slot(epoch)][bucket]++;
            window[bucket]++;
            windowCount++;
            double exponent = (now - landmark) / halfLifeNanos;
            if (exponent > RESCALE_EXPONENT) {
                rescale(now, exponent);
                exponent = 0;
            }
            double weight = Math.pow(2, exponent);
            decayed[bucket] += weight;
            decayedTotal += weight;
        } finally {
            lock.unlock();
        }
    }

    /** Samples in the recent window. */
    public long windowCount() {
        lock.lock();
        try {
            rotate(ticker.read());
            return windowCount;
        } finally {
            lock.unlock();
        }
    }

    /** Whether the window holds at least {@code minSamples} samples: hedging must not trust it before. */
    public boolean ready() {
        return windowCount() >= settings.minSamples();
    }

    /**
     * Percentile {@code p} (0..100) of the recent window, within 4.9% (samples under 1 ms read as 1 ms); empty
     * when the window is empty.
     */
    public OptionalLong percentileNanos(double p) {
        double q = fraction(p);
        lock.lock();
        try {
            rotate(ticker.read());
            if (windowCount == 0) {
                return OptionalLong.empty();
            }
            long rank = Math.max(1, (long) Math.ceil(q * windowCount));
            long seen = 0;
            for (int i = 0; i < window.length; i++) {
                seen += window[i];
                if (seen >= rank) {
                    return OptionalLong.of(LogBuckets.value(i));
                }
            }
            throw new IllegalStateException("window histogram sums to less than its count");
        } finally {
            lock.unlock();
        }
    }

    /** The share (0..1) of the window's samples whose bucket reads above {@code thresholdNanos}; 0 when empty. */
    public double slowShare(long thresholdNanos) {
        lock.lock();
        try {
            rotate(ticker.read());
            if (windowCount == 0) {
                return 0;
            }
            long slow = 0;
            for (int i = window.length - 1; i >= 0 && LogBuckets.value(i) > thresholdNanos; i--) {
                slow += window[i];
            }
            return (double) slow / windowCount;
        } finally {
            lock.unlock();
        }
    }

    /** Percentile {@code p} (0..100) of the long-run, decaying histogram; empty before the first sample. */
    public OptionalLong longRunPercentileNanos(double p) {
        double q = fraction(p);
        lock.lock();
        try {
            if (decayedTotal == 0) {
                return OptionalLong.empty();
            }
            // A relative tolerance keeps float sums from skipping the bucket that reaches the target exactly.
            double target = q * decayedTotal * (1 - 1e-9);
            double seen = 0;
            int last = 0;
            for (int i = 0; i < decayed.length; i++) {
                if (decayed[i] > 0) {
                    seen += decayed[i];
                    last = i;
                    if (seen >= target) {
                        return OptionalLong.of(LogBuckets.value(i));
                    }
                }
            }
            return OptionalLong.of(LogBuckets.value(last));
        } finally {
            lock.unlock();
        }
    }

    /** The long-run median: what "normal" is for this upstream. */
    public OptionalLong longRunMedianNanos() {
        return longRunPercentileNanos(50);
    }

    /**
     * The long-run histogram's effective number of samples now: {@code sum of 2^(-(now - t_i) / halfLife)}.
     * A low-traffic upstream may never fill the recent window yet have a trustworthy long-run estimate.
     */
    public double longRunWeight() {
        lock.lock();
        try {
            return decayedTotal * Math.pow(2, -(ticker.read() - landmark) / halfLifeNanos);
        } finally {
            lock.unlock();
        }
    }

    /** Whether {@link #longRunWeight()} is at least {@code minSamples}. */
    public boolean longRunReady() {
        return longRunWeight() >= settings.minSamples();
    }

    /**
     * Adds the recent window's counts into {@code into} (indexed like {@link LogBuckets}), each bucket moved by
     * {@code shift} buckets (clamped to the ends): how {@link SizedBaseline} rescales a neighbouring size class to
     * this one. Returns the count added.
     */
    long addWindowTo(long[] into, int shift) {
        lock.lock();
        try {
            rotate(ticker.read());
            for (int i = 0; i < window.length; i++) {
                if (window[i] != 0) {
                    into[Math.clamp(i + shift, 0, into.length - 1)] += window[i];
                }
            }
            return windowCount;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Adds the long run's weights as they stand now (each sample {@code 2^(-age / halfLife)}) into {@code into},
     * moved by {@code shift} buckets as {@link #addWindowTo} does. Returns the weight added.
     */
    double addLongRunTo(double[] into, int shift) {
        lock.lock();
        try {
            double factor = Math.pow(2, -(ticker.read() - landmark) / halfLifeNanos);
            for (int i = 0; i < decayed.length; i++) {
                if (decayed[i] != 0) {
                    into[Math.clamp(i + shift, 0, into.length - 1)] += decayed[i] * factor;
                }
            }
            return decayedTotal * factor;
        } finally {
            lock.unlock();
        }
    }

    /**
     * The long run as it stands now, for saving across a restart: each {@link LogBuckets} bucket's weight, a sample
     * of age {@code a} weighing {@code 2^(-a / halfLife)}. The recent window is not part of it: after a restart,
     * "recent" starts again.
     */
    public double[] longRunNow() {
        double[] weights = new double[LogBuckets.COUNT];
        addLongRunTo(weights, 0);
        return weights;
    }

    /** How many buckets {@link #longRunNow()} has: a saved long run of another layout is not restored. */
    public static int buckets() {
        return LogBuckets.COUNT;
    }

    /**
     * Adds a long run saved {@code ageNanos} ago (as {@link #longRunNow()} gave it): its weights decay by the time
     * since, as if this baseline had run all along; samples recorded here meanwhile keep theirs. Ignored when it is of
     * another layout or holds anything but finite, non-negative weights.
     */
    public void restoreLongRun(double[] weights, long ageNanos) {
        if (weights.length != LogBuckets.COUNT || ageNanos < 0) {
            return;
        }
        for (double w : weights) {
            if (!(w >= 0 && Double.isFinite(w))) {
                return;
            }
        }
        lock.lock();
        try {
            long now = ticker.read();
            double exponent = (now - landmark) / halfLifeNanos;
            if (exponent > RESCALE_EXPONENT) {
                rescale(now, exponent);
                exponent = 0;
            }
            // Its weight now, in the forward-decayed units of this landmark.
            double factor = Math.pow(2, exponent - ageNanos / halfLifeNanos);
            for (int i = 0; i < weights.length; i++) {
                decayed[i] += weights[i] * factor;
                decayedTotal += weights[i] * factor;
            }
        } finally {
            lock.unlock();
        }
    }

    private static double fraction(double p) {
        if (!(p >= 0 && p <= 100)) {
            throw new IllegalArgumentException("percentile: " + p + " (expected: 0..100)");
        }
        return p / 100;
    }

    private int slot(long e) {
        return (int) Math.floorMod(e, (long) SUB_WINDOWS);
    }

    /** Moves the window to the part holding {@code now}, clearing the parts it reuses. Caller holds the lock. */
    private void rotate(long now) {
        long current = Math.floorDiv(now - origin, slotNanos);
        if (current <= epoch) {
            return;
        }
        long steps = Math.min(current - epoch, SUB_WINDOWS);
        for (long k = 1; k <= steps; k++) {
            long[] part = parts[slot(epoch + k)];
            for (int i = 0; i < part.length; i++) {
                window[i] -= part[i];
                windowCount -= part[i];
            }
            Arrays.fill(part, 0);
        }
        epoch = current;
    }

    /** Multiplies every long-run weight by {@code 2^-exponent} and moves the landmark to now. Caller holds the lock. */
    private void rescale(long now, double exponent) {
        double factor = Math.pow(2, -exponent);
        decayedTotal = 0;
        for (int i = 0; i < decayed.length; i++) {
            decayed[i] *= factor;
            decayedTotal += decayed[i];
        }
        landmark = now;
    }
}
