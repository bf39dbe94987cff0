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
 *     a <em>pool</em>: class {@code k}'s histogram, then the classes next to it, nearest first (both sides at each
 *     distance). A percentile read from few samples beyond it jumps with every slow answer (a p92 sits just below a
 *     5% slow mode, and from 30 samples lands in it whenever three are slow), so the pool takes the classes on either
 *     side ({@value #TAIL_REACH} away: sizes within about 2x) while it holds fewer than the <em>tail need</em>,
 *     {@value #TAIL_SAMPLES} samples beyond the percentile ({@code 10 / (1 - p)}: 125 for a p92); and farther
 *     classes only while it holds fewer than {@code min-samples}. Every class in the pool, {@code k} included, is
 *     <em>rescaled</em> to the request: its histogram moves by {@code u(s) / u(centre)} (a whole number of buckets,
 *     so within 4.9%). This is done on the recent window and on the long run; the one whose pool is narrower wins
 *     (the window on a tie, as it follows drift, provided it holds the tail need). When neither pool reaches
 *     {@code min-samples} there is no estimate, and the caller falls back (the hedge delay to its warm-up
 *     prior).</li>
 *     <li><b>Cautious quantiles</b> ({@link #cautiousPercentile}, for hedge delays): from the same pool, the highest
 *     sample that lies at or below the true percentile with {@value #CAUTION} confidence, whatever the distribution
 *     (binomial order statistics). With thousands of samples it is the percentile; with twenty, a p92 reads the
 *     17th of 20.</li>
 * </ul>
 * So with plenty of traffic each size is judged on its own recent samples; at a few requests a minute the long run
 * of its class answers, with its neighbours' rescaled to it while it is thin in the tail, then farther classes', then
 * nothing. Pooling assumes neighbouring sizes differ mostly in scale, which is what prefill does; the nearest classes
 * come first so the assumption is stretched least.
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
    /**
     * Samples a pool should hold beyond the percentile read from it: the neighbouring classes are pooled in until it
     * does, and a window that does not gives way to the long run.
     */
    static final int TAIL_SAMPLES = 10;
    /**
     * How far the pool reaches for the tail need: the classes next to the request's own, so sizes within about twice
     * or half its own. Beyond them the shape of the latency may differ (prefill dominates long prompts' time, the base
     * short ones'), so only {@code min-samples} pulls the pool further.
     */
    static final int TAIL_REACH = 1;
    /**
     * Confidence that a {@link #cautiousPercentile cautious percentile} lies at or below the percentile it stands for.
     * A conventional level, not fitted: at 20 samples a p92 reads the 17th, at 1000 the 909th.
     */
    static final double CAUTION = 0.9;
    /** Samples counted, at most, for a cautious percentile's confidence (beyond it the bound moves by under 0.4%). */
    static final int CAUTION_MAX_SAMPLES = 10_000;
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
        return distribution(tokens, tailNeed(p)).map(d -> new Estimate(d.percentile(p / 100), d.source(), d.sizeClass(),
                                                                       d.radius(), d.samples()));
    }

    /**
     * Percentile {@code p} (0..100) for a request of {@code tokens} prompt tokens, read from the same pool as
     * {@link #percentile} but cautiously: the highest of the pool's samples that lies at or below the true percentile
     * with {@value #CAUTION} confidence, whatever the distribution ({@link Distribution#cautious}). What a hedge delay
     * needs: one read too high from a few samples lands in a slow mode and lets every slow request through, one read a
     * little low costs a few hedges more (and the budget bounds them). With many samples the two agree. Empty as
     * {@link #percentile} is.
     */
    public java.util.Optional<Estimate> cautiousPercentile(long tokens, double p) {
        if (!(p >= 0 && p <= 100)) {
            throw new IllegalArgumentException("percentile: " + p + " (expected: 0..100)");
        }
        return distribution(tokens, tailNeed(p)).map(d -> new Estimate(d.cautious(p / 100, CAUTION), d.source(),
                                                                       d.sizeClass(), d.radius(), d.samples()));
    }

    /** Samples a pool needs to hold {@value #TAIL_SAMPLES} beyond percentile {@code p}: 125 for a p92. */
    private static double tailNeed(double p) {
        return Math.ceil(TAIL_SAMPLES / Math.max(1e-3, 1 - p / 100) - 1e-9);
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
        Distribution window = pool(k, Source.WINDOW, curve, target, tailNeed);
        Distribution longRun = pool(k, Source.LONG_RUN, curve, target, tailNeed);
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
     * The classes around {@code k} merged, nearest first, each moved by {@code target / u(its centre)}: rescaled to
     * the request's size. The pool grows while it holds fewer than {@code tailNeed} samples and the next classes are
     * within {@value #TAIL_REACH} of {@code k}, and beyond that while it holds fewer than {@code min-samples} (or
     * until every class is in).
     */
    private Distribution pool(int k, Source source, Curve curve, double target, double tailNeed) {
        long[] counts = source == Source.WINDOW ? new long[LogBuckets.COUNT] : null;
        double[] weights = new double[LogBuckets.COUNT];
        double total = 0;
        int reach = 0;
        for (int radius = 0; radius < CLASSES; radius++) {
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
                double added = source == Source.WINDOW ? b.baseline.addWindowTo(counts, shift)
                        : b.baseline.addLongRunTo(weights, shift);
                total += added;
                reach = added > 0 ? radius : reach;
            }
            if (total >= settings.minSamples() && (total >= tailNeed || radius >= TAIL_REACH)) {
                break;
            }
        }
        if (counts != null) {
            for (int i = 0; i < counts.length; i++) {
                weights[i] = counts[i];
            }
        }
        return new Distribution(source, k, reach, total, weights, total >= settings.minSamples());
    }

    /**
     * A merged, rescaled histogram for one request size: per {@link LogBuckets} bucket, the window's counts or the
     * long run's weights.
     *
     * @param sizeClass the request's class
     * @param radius    how far the farthest class that gave samples lies from the request's (0: its own alone)
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

        /**
         * A value at or below the {@code q}-quantile (0..1) with probability {@code confidence}, whatever the
         * distribution: the {@code r}-th smallest of the {@code n} samples for the largest {@code r} with
         * {@code P(Binomial(n, q) >= r) >= confidence} (the {@code r}-th smallest lies at or below the quantile
         * exactly when at least {@code r} samples do). A long run's weight counts as that many samples, rounded down;
         * at most {@value SizedBaseline#CAUTION_MAX_SAMPLES} are counted. The minimum when no rank is that sure.
         */
        public long cautious(double q, double confidence) {
            long n = (long) Math.min(CAUTION_MAX_SAMPLES, Math.floor(total() + 1e-9));
            return percentile(n == 0 ? 0 : (double) rankAtMost(n, q, confidence) / n);
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

        /**
         * The largest {@code r} (0..n) with {@code P(Binomial(n, q) >= r) >= confidence}: the upper tail summed from
         * {@code r = n} down, in logs (no factorials, no underflow that matters), so O(n (1 - q)) steps plus a few
         * standard deviations.
         */
        static long rankAtMost(long n, double q, double confidence) {
            if (q >= 1) {
                return n;
            }
            if (q <= 0) {
                return 0;
            }
            double logOdds = Math.log((1 - q) / q);
            double logPmf = n * Math.log(q);
            double tail = 0;
            for (long r = n; r >= 1; r--) {
                tail += Math.exp(logPmf);
                if (tail >= confidence) {
                    return r;
                }
                // pmf(r - 1) = pmf(r) * r / (n - r + 1) * (1 - q) / q
                logPmf += Math.log((double) r / (n - r + 1)) + logOdds;
            }
            return 0;
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
