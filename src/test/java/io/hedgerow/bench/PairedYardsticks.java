package io.hedgerow.bench;

import java.util.Arrays;
import java.util.Objects;

/**
 * Yardsticks for request-aware hedging, computed on the very requests a run sent: for request {@code i}, {@code a[i]}
 * is what the primary took (or would have taken) and {@code b[i]} what the backup would have taken, both known
 * exactly because the fake providers' latencies are functions of the request ({@link PromptLatency}). The measured
 * router and every yardstick are judged on the same draws, so noise in the draws cannot favour either side.
 *
 * <p>With a delay {@code d_i} for request {@code i}, the client waits {@code a_i} when {@code a_i <= d_i}, else
 * {@code min(a_i, d_i + b_i)}; the extra load is the share of requests with {@code a_i > d_i}. Slowdown is latency
 * divided by what is typical for the request's size ({@code typical[i]}). Three policies:
 * <ul>
 *     <li>no hedging: {@code a_i};</li>
 *     <li>the best fixed delay in hindsight: the one delay, among the primary's own latencies, that gives the
 *     lowest slowdown percentile at no more than a given extra load;</li>
 *     <li>the request-aware oracle: for each size class, the {@code (1 - x)} quantile of the primary's latencies
 *     in that class, known in hindsight: the policy the router approximates online.</li>
 * </ul>
 * Percentiles are nearest-rank, as {@link #percentile} computes them, for measured and yardstick alike.
 */
final class PairedYardsticks {
    private final double[] a;
    private final double[] b;
    private final double[] typical;
    private final int[] sizeClass;
    private final double[] aSorted;

    /** Latencies and typical times in milliseconds (any one unit); {@code sizeClass} for the oracle. */
    PairedYardsticks(double[] a, double[] b, double[] typical, int[] sizeClass) {
        int n = a.length;
        if (n == 0 || b.length != n || typical.length != n || sizeClass.length != n) {
            throw new IllegalArgumentException("paired arrays of one non-zero length expected");
        }
        this.a = a.clone();
        this.b = b.clone();
        this.typical = typical.clone();
        this.sizeClass = sizeClass.clone();
        this.aSorted = a.clone();
        Arrays.sort(aSorted);
    }

    /** What a policy gave: the latencies and slowdowns of every request, the delay when one was fixed. */
    record Outcome(double[] latency, double[] slowdown, double extraLoad, double delay) {
        Outcome {
            Objects.requireNonNull(latency, "latency");
            Objects.requireNonNull(slowdown, "slowdown");
        }

        double latencyPercentile(double p) {
            return percentile(latency, p);
        }

        double slowdownPercentile(double p) {
            return percentile(slowdown, p);
        }
    }

    int size() {
        return a.length;
    }

    /** The nearest-rank percentile {@code p} (0..100) of {@code values}, as {@link HedgingMonteCarlo} computes it. */
    static double percentile(double[] values, double p) {
        return HedgingMonteCarlo.percentile(values, p);
    }

    private static double sortedPercentile(double[] sorted, double p) {
        return HedgingMonteCarlo.sortedPercentile(sorted, p);
    }

    /** The slowdowns of measured latencies (same order as the requests). */
    double[] slowdowns(double[] latency) {
        double[] s = new double[latency.length];
        for (int i = 0; i < s.length; i++) {
            s[i] = latency[i] / typical[i];
        }
        return s;
    }

    Outcome noHedging() {
        return new Outcome(a.clone(), slowdowns(a), 0, Double.NaN);
    }

    Outcome fixed(double delay) {
        double[] delays = new double[a.length];
        Arrays.fill(delays, delay);
        return withDelays(delays, delay);
    }

    /**
     * The fixed delay with the lowest {@code p}-th percentile slowdown among those adding at most {@code maxLoad};
     * the delays tried are the primary's own latencies at every 0.1% of rank (where every useful fixed delay lies).
     */
    Outcome bestFixed(double maxLoad, double p) {
        Outcome best = null;
        double previous = Double.NaN;
        for (int permille = 0; permille <= 1000; permille++) {
            double delay = sortedPercentile(aSorted, permille / 10.0);
            if (delay == previous) {
                continue;
            }
            previous = delay;
            Outcome o = fixed(delay);
            if (o.extraLoad() <= maxLoad + 1e-9
                    && (best == null || o.slowdownPercentile(p) < best.slowdownPercentile(p))) {
                best = o;
            }
        }
        return best == null ? noHedging() : best;
    }

    /** For each size class, the primary's {@code (1 - load)} quantile in that class as the delay. */
    Outcome requestAware(double load) {
        int classes = Arrays.stream(sizeClass).max().orElse(0) + 1;
        double[] classDelay = new double[classes];
        for (int k = 0; k < classes; k++) {
            int c = k;
            double[] inClass = java.util.stream.IntStream.range(0, a.length).filter(i -> sizeClass[i] == c)
                    .mapToDouble(i -> a[i]).sorted().toArray();
            classDelay[k] = inClass.length == 0 ? Double.MAX_VALUE : sortedPercentile(inClass, 100 * (1 - load));
        }
        double[] delays = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            delays[i] = classDelay[sizeClass[i]];
        }
        return withDelays(delays, Double.NaN);
    }

    private Outcome withDelays(double[] delays, double fixed) {
        double[] latency = new double[a.length];
        long hedged = 0;
        for (int i = 0; i < a.length; i++) {
            if (a[i] <= delays[i]) {
                latency[i] = a[i];
            } else {
                hedged++;
                latency[i] = Math.min(a[i], delays[i] + b[i]);
            }
        }
        return new Outcome(latency, slowdowns(latency), hedged / (double) a.length, fixed);
    }
}
