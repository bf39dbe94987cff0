package io.hedgerow.health;

import io.hedgerow.config.BaselineSettings;
import io.hedgerow.time.Ticker;

import java.util.Objects;
import java.util.OptionalDouble;
import java.util.OptionalLong;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * What latency is normal for one candidate and one measure <em>for a request of a given size</em>. Time to first
 * token grows with the prompt (prefill), so one route's requests can differ tenfold in what is normal for them: a
 * single baseline would call every long prompt slow and hedge it, and wait too long for short ones.
 *
 * <h2>Model</h2>
 * Prompts are put in log-spaced <b>size classes</b> by their token count: class 0 holds prompts under 512 tokens,
 * class {@code k} holds {@code [256 * 2^k, 256 * 2^(k+1))}, the last ({@value #CLASSES} - 1) everything from
 * 512k up. Each class keeps a {@link LatencyBaseline} (a recent window and a decaying long run) of the samples of its
 * sizes, and its <em>centre</em>: the mean of {@code log(tokens)} over its samples (the last
 * {@value #CENTRE_MEMORY} weigh most), created on its first sample.
 * <ul>
 *     <li><b>The usual curve.</b> A class whose long run weighs at least {@value #MIN_MEDIAN_WEIGHT} has its own
 *     long-run median, standing for its centre. What is usual for a request of {@code s} tokens, {@code u(s)},
 *     interpolates those medians linearly in {@code log s} and {@code log latency} between the nearest such classes
 *     on either side, and holds the nearest one's beyond the ends (no extrapolated slope: a guess beyond the data
 *     costs a hedge too many or too few until the class has samples of its own). {@code u} is empty until some
 *     class has a median.</li>
 *     <li><b>Quantiles.</b> Percentile {@code p} for a request of {@code s} tokens in class {@code k} is read from
 *     class {@code k}'s histogram when that holds {@code min-samples}; when it holds fewer, the classes next to it
 *     are pooled in, nearest first (both sides at each distance), until the pool holds {@code min-samples}. Every
 *     class in the pool, {@code k} included, is <em>rescaled</em> to the request: its histogram moves by
 *     {@code u(s) / u(centre)} (a whole number of buckets, so within 4.9%). This is done on the recent window and
 *     on the long run; the one whose pool is narrower wins (the window on a tie: it follows drift, provided it holds
 *     {@value #TAIL_SAMPLES} samples beyond the percentile, {@code 10 / (1 - p)}: 125 for a p92). When neither
 *     pool reaches {@code min-samples} there is no estimate, and the caller falls back (the hedge delay to its
 *     warm-up prior).</li>
 * </ul>
 * So with plenty of traffic each size is judged on its own recent samples; at a few requests a minute the long run
 * of its class answers, then its neighbours' rescaled to it, then nothing. Pooling assumes neighbouring sizes differ
 * mostly in scale, which is what prefill does; the nearest classes come first so the assumption is stretched least.
 *
 * <h2>Threads</h2>
 * Thread-safe: classes are created with a compare-and-set, each {@link LatencyBaseline} locks for itself. A query
 * reads classes one after another, so a sample recorded meanwhile may count in one and not another: an estimate,
 * not a snapshot.
 */
public final class SizedBaseline {
    /** Size classes, the last one open-ended. */
    public static final int CLASSES = 12;
    /** A class's long-run weight needed before its own median counts for the usual curve. */
    static final double MIN_MEDIAN_WEIGHT = 3;
    /** Samples a window must hold beyond the percentile read from it (else the long run answers). */
    static final int TAIL_SAMPLES = 10;
    /** How many recent samples a class's centre mostly remembers. */
    static final int CENTRE_MEMORY = 256;
    private static final long UNIT = 256;
    private static final double LN_GROWTH = Math.log(LogBuckets.GROWTH);

    private final BaselineSettings settings;
    private final Ticker ticker;
    private final AtomicReferenceArray<Band> classes = new AtomicReferenceArray<>(CLASSES);

    /** One size class: its baseline and where its samples' sizes lie. */
    private static final class Band {
        final LatencyBaseline baseline;
        /** {mean of log(tokens), samples counted (capped at CENTRE_MEMORY)}, replaced whole. */
        final java.util.concurrent.atomic.AtomicReference<double[]> centre;

        Band(LatencyBaseline baseline, double logTokens) {
            this.baseline = baseline;
            this.centre = new java.util.concurrent.atomic.AtomicReference<>(new double[] {logTokens, 0});
        }

        void sized(double logTokens) {
            centre.updateAndGet(c -> {
                double n = Math.min(c[1] + 1, CENTRE_MEMORY);
                return new double[] {c[0] + (logTokens - c[0]) / n, n};
            });
        }

        double logCentre() {
            return centre.get()[0];
        }
    }

    public SizedBaseline(BaselineSettings settings, Ticker ticker) {
        this.settings = Objects.requireNonNull(settings, "settings");
        this.ticker = Objects.requireNonNull(ticker, "ticker");
    }

    public BaselineSettings settings() {
        return settings;
    }

    /** The size class of a prompt of {@code tokens} tokens. */
    public static int sizeClass(long tokens) {
        if (tokens < 2 * UNIT) {
            return 0;
        }
        int k = 63 - Long.numberOfLeadingZeros(tokens / UNIT);
        return Math.min(k, CLASSES - 1);
    }

    /** The smallest prompt of class {@code k}, in tokens (0 for class 0). */
    public static long lowerBound(int k) {
        return k == 0 ? 0 : UNIT << k;
    }


    /** Adds one sample: a request of {@code tokens} prompt tokens took {@code nanos}. */
    public void record(long tokens, long nanos) {
        long size = Math.max(1, tokens);
        int k = sizeClass(size);
        Band band = classes.get(k);
        if (band == null) {
            classes.compareAndSet(k, null, new Band(new LatencyBaseline(settings, ticker), Math.log(size)));
            band = classes.get(k);
        }
        band.baseline.record(nanos);
        band.sized(Math.log(size));
    }

    /** Where an estimate came from. */
    public enum Source {
        /** The recent window. */
        WINDOW,
        /** The decaying long run. */
        LONG_RUN
    }

    /**
     * A percentile for one request size.
     *
     * @param nanos     the value
     * @param source    the window or the long run
     * @param sizeClass the request's class
     * @param radius    0 when the class answered alone, else how far the pool reached into neighbouring classes
     * @param samples   the pool's samples (the long run's: decayed weight)
     */
    public record Estimate(long nanos, Source source, int sizeClass, int radius, double samples) {
        /** Whether it came from the request's own size class alone. */
        public boolean ownClass() {
            return radius == 0;
        }
    }

    /**
     * Percentile {@code p} (0..100) of the latency of a request of {@code tokens} prompt tokens (see the class
     * comment); empty when neither the recent window nor the long run holds {@code min-samples} within reach.
     */
    public java.util.Optional<Estimate> percentile(long tokens, double p) {
        if (!(p >= 0 && p <= 100)) {
            throw new IllegalArgumentException("percentile: " + p + " (expected: 0..100)");
        }
        // A quantile read from a window with few samples beyond it jumps with every slow answer that enters or leaves
        // (a p92 of 30 samples lands in a 5% slow mode whenever three share the window): such a window gives way to
        // the long run.
        double tailNeed = Math.ceil(TAIL_SAMPLES / Math.max(1e-3, 1 - p / 100) - 1e-9);
        return distribution(tokens, tailNeed).map(d -> new Estimate(d.percentile(p / 100), d.source(), d.sizeClass(),
                                                                    d.radius(), d.samples()));
    }

    /**
     * The latency distribution for a request of {@code tokens} prompt tokens: the pool {@link #percentile} reads,
     * rescaled to the request; empty when it does not reach {@code min-samples}.
     */
    public java.util.Optional<Distribution> distribution(long tokens) {
        return distribution(tokens, 0);
    }

    /**
     * As {@link #distribution(long)}, but the window answers only when its pool also holds {@code tailNeed} samples;
     * else the long run does, when it reaches {@code min-samples}.
     */
    private java.util.Optional<Distribution> distribution(long tokens, double tailNeed) {
        long size = Math.max(1, tokens);
        int k = sizeClass(size);
        Curve curve = curve();
        double target = curve.at(Math.log(size));
        Distribution window = pool(k, Source.WINDOW, curve, target);
        Distribution longRun = pool(k, Source.LONG_RUN, curve, target);
        if (window.reached() && (!longRun.reached()
                || window.radius() <= longRun.radius() && window.samples() >= tailNeed)) {
            return java.util.Optional.of(window);
        }
        return longRun.reached() ? java.util.Optional.of(longRun) : java.util.Optional.empty();
    }

    /** Percentile {@code p} in nanoseconds for a request of this size; empty as {@link #percentile} is. */
    public OptionalLong percentileNanos(long tokens, double p) {
        return percentile(tokens, p).map(e -> OptionalLong.of(e.nanos())).orElse(OptionalLong.empty());
    }

    /**
     * What is usual (the long-run median) for a request of {@code tokens} prompt tokens, interpolated between size
     * classes; empty until some class has {@value #MIN_MEDIAN_WEIGHT} samples of weight.
     */
    public OptionalLong usualNanos(long tokens) {
        double u = curve().at(Math.log(Math.max(1, tokens)));
        return Double.isNaN(u) ? OptionalLong.empty() : OptionalLong.of(Math.round(u));
    }

    /**
     * A latency of a request of {@code tokens} prompt tokens as if the request had had {@code reference} tokens,
     * {@code nanos * u(reference) / u(tokens)}, when the model knows what is usual for that size; empty when it does
     * not, and the sample cannot be compared with others. It knows when the request's own size class has a usual
     * latency, or lies between two classes that have one (interpolated, not extrapolated); and, before any class has
     * one, while every sample so far has been of one size class (nothing to scale: the latency as it is). So the
     * first samples of a new size teach the model and are judged once their class has a usual latency: a long prompt
     * is not taken for a slow short one while its size is new.
     */
    public OptionalLong atReference(long tokens, long nanos, long reference) {
        Curve curve = curve();
        double logSize = Math.log(Math.max(1, tokens));
        if (!curve.covers(sizeClass(Math.max(1, tokens)), logSize)) {
            return curve.empty() && sizeClassesSeen() == 1 ? OptionalLong.of(nanos) : OptionalLong.empty();
        }
        double at = curve.at(logSize);
        double ref = curve.at(Math.log(Math.max(1, reference)));
        return at > 0 ? OptionalLong.of(Math.round(nanos * (ref / at))) : OptionalLong.empty();
    }

    /** How many times slower than usual for its size a latency is; empty while nothing is usual yet. */
    public OptionalDouble slowdown(long tokens, long nanos) {
        OptionalLong usual = usualNanos(tokens);
        return usual.isEmpty() || usual.getAsLong() <= 0 ? OptionalDouble.empty()
                : OptionalDouble.of((double) nanos / usual.getAsLong());
    }

    /** Samples in the recent windows of every class. */
    public long windowCount() {
        long n = 0;
        for (int k = 0; k < CLASSES; k++) {
            Band b = classes.get(k);
            n += b == null ? 0 : b.baseline.windowCount();
        }
        return n;
    }

    /** The long runs' weight over every class. */
    public double longRunWeight() {
        double w = 0;
        for (int k = 0; k < CLASSES; k++) {
            Band b = classes.get(k);
            w += b == null ? 0 : b.baseline.longRunWeight();
        }
        return w;
    }

    /** How many size classes have had a sample. */
    public int sizeClassesSeen() {
        int n = 0;
        for (int k = 0; k < CLASSES; k++) {
            n += classes.get(k) == null ? 0 : 1;
        }
        return n;
    }

    /** Class {@code k}'s own baseline; empty before its first sample. */
    public java.util.Optional<LatencyBaseline> sizeClassBaseline(int k) {
        Band band = classes.get(Objects.checkIndex(k, CLASSES));
        return band == null ? java.util.Optional.empty() : java.util.Optional.of(band.baseline);
    }

    // ---- the model ----

    /** The usual curve's points: each class's centre (log tokens) and long-run median, NaN where it has none. */
    private record Curve(double[] logCentres, double[] medians) {
        boolean empty() {
            for (double m : medians) {
                if (!Double.isNaN(m)) {
                    return false;
                }
            }
            return true;
        }

        /** Whether class {@code k} has a median of its own, or {@code logSize} lies between two classes' that do. */
        boolean covers(int k, double logSize) {
            if (!Double.isNaN(medians[k])) {
                return true;
            }
            boolean below = false;
            boolean above = false;
            for (int j = 0; j < CLASSES; j++) {
                if (!Double.isNaN(medians[j])) {
                    below |= logCentres[j] <= logSize;
                    above |= logCentres[j] > logSize;
                }
            }
            return below && above;
        }


        /** Log-log interpolation between the nearest points on either side; NaN when there are none. */
        double at(double logSize) {
            int below = -1;
            int above = -1;
            for (int k = 0; k < CLASSES; k++) {
                if (Double.isNaN(medians[k])) {
                    continue;
                }
                if (logCentres[k] <= logSize) {
                    below = k;
                } else if (above < 0) {
                    above = k;
                }
            }
            if (below < 0 && above < 0) {
                return Double.NaN;
            }
            if (below < 0 || above < 0 || logCentres[above] - logCentres[below] < 1e-9) {
                return medians[below < 0 ? above : below];
            }
            double t = (logSize - logCentres[below]) / (logCentres[above] - logCentres[below]);
            return Math.exp(Math.log(medians[below]) + t * (Math.log(medians[above]) - Math.log(medians[below])));
        }
    }

    private Curve curve() {
        double[] centres = new double[CLASSES];
        double[] medians = new double[CLASSES];
        for (int k = 0; k < CLASSES; k++) {
            Band b = classes.get(k);
            medians[k] = Double.NaN;
            centres[k] = Double.NaN;
            if (b == null) {
                continue;
            }
            centres[k] = b.logCentre();
            if (b.baseline.longRunWeight() >= MIN_MEDIAN_WEIGHT) {
                OptionalLong m = b.baseline.longRunMedianNanos();
                if (m.isPresent()) {
                    medians[k] = m.getAsLong();
                }
            }
        }
        return new Curve(centres, medians);
    }

    /**
     * The classes around {@code k} merged until they hold {@code min-samples} (or all of them), each moved by
     * {@code target / u(its centre)}: rescaled to the request's size.
     */
    private Distribution pool(int k, Source source, Curve curve, double target) {
        long[] counts = source == Source.WINDOW ? new long[LogBuckets.COUNT] : null;
        double[] weights = new double[LogBuckets.COUNT];
        double total = 0;
        int radius = 0;
        for (; radius < CLASSES; radius++) {
            for (int j : radius == 0 ? new int[] {k} : new int[] {k - radius, k + radius}) {
                if (j < 0 || j >= CLASSES) {
                    continue;
                }
                Band b = classes.get(j);
                if (b == null) {
                    continue;
                }
                double usual = curve.at(b.logCentre());
                int shift = Double.isNaN(target) || Double.isNaN(usual) || usual <= 0 ? 0
                        : (int) Math.round(Math.log(target / usual) / LN_GROWTH);
                total += source == Source.WINDOW ? b.baseline.addWindowTo(counts, shift)
                        : b.baseline.addLongRunTo(weights, shift);
            }
            if (total >= settings.minSamples()) {
                break;
            }
        }
        if (counts != null) {
            for (int i = 0; i < counts.length; i++) {
                weights[i] = counts[i];
            }
        }
        return new Distribution(source, k, Math.min(radius, CLASSES - 1), total, weights, total >= settings.minSamples());
    }

    /**
     * A merged, rescaled histogram for one request size: per {@link LogBuckets} bucket, the window's counts or the
     * long run's weights.
     *
     * @param sizeClass the request's class
     * @param radius    how far into neighbouring classes the pool reached (0: its own class alone)
     * @param samples   the pool's count or weight
     * @param reached   whether it holds {@code min-samples}
     */
    public record Distribution(Source source, int sizeClass, int radius, double samples, double[] weights,
                               boolean reached) {
        /** The value of the bucket where the cumulative weight first reaches {@code q} (0..1): the nearest rank. */
        public long percentile(double q) {
            double total = total();
            // Counts are whole: the nearest rank ceil(q * n); weights: the first bucket reaching q of the total.
            double target = source == Source.WINDOW ? Math.max(1, Math.ceil(q * total - 1e-9)) : q * total * (1 - 1e-9);
            double seen = 0;
            int last = 0;
            for (int i = 0; i < weights.length; i++) {
                if (weights[i] > 0) {
                    seen += weights[i];
                    last = i;
                    if (seen >= target) {
                        return LogBuckets.value(i);
                    }
                }
            }
            return LogBuckets.value(last);
        }

        /** The share (0..1) of the weight in buckets that read below {@code nanos}. */
        public double below(long nanos) {
            double total = total();
            double seen = 0;
            for (int i = 0; i < weights.length && LogBuckets.value(i) < nanos; i++) {
                seen += weights[i];
            }
            return total <= 0 ? 0 : seen / total;
        }

        private double total() {
            double total = 0;
            for (double w : weights) {
                total += w;
            }
            return total;
        }
    }
}
