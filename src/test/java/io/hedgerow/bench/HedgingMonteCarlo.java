package io.hedgerow.bench;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * What hedging could achieve on given latency distributions, by Monte Carlo: the yardsticks the measured router
 * is compared with. For each request, A and B are drawn independently; with a fixed hedge delay {@code d} the
 * client waits {@code A} when {@code A <= d}, else {@code min(A, d + B)}, and the extra load is the share of
 * requests with {@code A > d}. The oracle sends every request to both and waits {@code min(A, B)}.
 */
final class HedgingMonteCarlo {
    private final double[] a;
    private final double[] b;
    private final double[] aSorted;

    HedgingMonteCarlo(LatencyUpstream.Model modelA, LatencyUpstream.Model modelB, int samples, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        a = new double[samples];
        b = new double[samples];
        for (int i = 0; i < samples; i++) {
            a[i] = modelA.sampleNanos(random) / 1e6;
            b[i] = modelB.sampleNanos(random) / 1e6;
        }
        aSorted = a.clone();
        Arrays.sort(aSorted);
    }

    /** A percentile (0..100) of the given values, in milliseconds. */
    static double percentile(double[] values, double p) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        return sortedPercentile(sorted, p);
    }

    /** The nearest-rank percentile {@code p} (0..100) of values sorted ascending. */
    static double sortedPercentile(double[] sorted, double p) {
        int index = (int) Math.ceil(p / 100 * sorted.length) - 1;
        return sorted[Math.clamp(index, 0, sorted.length - 1)];
    }

    /** Client latency percentile without hedging (A alone). */
    double noHedging(double p) {
        return sortedPercentile(aSorted, p);
    }

    /** B alone. */
    double onlyB(double p) {
        return percentile(b, p);
    }

    /** The oracle: every request to both, the faster answer. */
    double oracle(double p) {
        double[] min = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            min[i] = Math.min(a[i], b[i]);
        }
        return percentile(min, p);
    }

    /** {p-th percentile latency, extra load} with a fixed delay in milliseconds. */
    double[] fixed(double delayMillis, double p) {
        double[] latency = new double[a.length];
        long hedged = 0;
        for (int i = 0; i < a.length; i++) {
            if (a[i] <= delayMillis) {
                latency[i] = a[i];
            } else {
                hedged++;
                latency[i] = Math.min(a[i], delayMillis + b[i]);
            }
        }
        return new double[] {percentile(latency, p), hedged / (double) a.length};
    }

    /**
     * The best fixed delay chosen in hindsight for at most this extra load: {delay ms, p-th percentile, load}.
     * The delays tried are A's own quantiles from 50% to 99.9%, where every useful fixed delay lies.
     */
    double[] bestFixed(double maxExtraLoad, double p) {
        double[] best = null;
        for (double q = 50; q <= 99.9; q += 0.1) {
            double delay = sortedPercentile(aSorted, q);
            double[] result = fixed(delay, p);
            if (result[1] <= maxExtraLoad + 1e-9 && (best == null || result[0] < best[1])) {
                best = new double[] {delay, result[0], result[1]};
            }
        }
        return best == null ? new double[] {Double.NaN, noHedging(p), 0} : best;
    }
}
