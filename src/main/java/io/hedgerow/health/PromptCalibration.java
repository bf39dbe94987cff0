package io.hedgerow.health;

import java.util.concurrent.atomic.AtomicReference;

/**
 * How one candidate's tokenizer counts against the router's estimate of a prompt (a token per 4 characters): the
 * ratio of the prompt tokens it reports to those estimated, so that sizes estimated before sending are in the
 * provider's own tokens. A mean over the last {@value #MEMORY} answers that reported usage (each new one weighs
 * {@code 1 / min(n, MEMORY)}), 1 before the first; each ratio is clamped to {@code [1/4, 4]}, so a provider's odd
 * report (a cached-only count, a zero) cannot throw sizes off by more than that.
 *
 * <p>Thread-safe: the value is an immutable pair replaced by compare-and-set.
 */
public final class PromptCalibration {
    static final int MEMORY = 64;
    private static final double MIN = 0.25;
    private static final double MAX = 4;

    /** {mean ratio, answers counted (capped at MEMORY)}. */
    private final AtomicReference<double[]> state = new AtomicReference<>(new double[] {1, 0});

    /** A provider reported {@code reported} prompt tokens for a prompt estimated at {@code estimated}. */
    public void observe(long estimated, long reported) {
        if (estimated <= 0 || reported <= 0) {
            return;
        }
        double ratio = Math.clamp((double) reported / estimated, MIN, MAX);
        state.updateAndGet(s -> {
            double n = Math.min(s[1] + 1, MEMORY);
            return new double[] {s[0] + (ratio - s[0]) / n, n};
        });
    }

    /** Reported tokens per estimated one: 1 until a provider has reported usage. */
    public double factor() {
        return state.get()[0];
    }

    /** An estimate in this provider's tokens. */
    public long tokens(long estimated) {
        return Math.round(Math.max(0, estimated) * factor());
    }
}
