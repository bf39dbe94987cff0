package io.hedgerow.config;

import java.time.Duration;
import java.util.Objects;

/**
 * How the in-process simulated provider behaves.
 *
 * @param firstToken      the time-to-first-token distribution
 * @param tokensPerSecond generation speed after the first token
 * @param answerTokens    how many tokens a text answer has
 * @param faults          probabilities of each injected fault, per request
 */
public record SimSettings(LatencyModel firstToken, double tokensPerSecond, int answerTokens, Faults faults) {
    public static final SimSettings DEFAULTS = new SimSettings(
            new LatencyModel(Duration.ofMillis(300), 0.3, 0.0, 1.0), 80.0, 24, Faults.NONE);

    public SimSettings {
        Objects.requireNonNull(firstToken, "firstToken");
        Objects.requireNonNull(faults, "faults");
    }

    /**
     * A latency distribution: lognormal with this median and sigma (sigma 0 gives a fixed delay); a
     * {@code slowFraction} of samples is multiplied by {@code slowFactor} (a heavy tail).
     */
    public record LatencyModel(Duration median, double sigma, double slowFraction, double slowFactor) {
        public LatencyModel {
            Objects.requireNonNull(median, "median");
        }
    }

    /**
     * Fault probabilities per request: answer 429 (with {@code Retry-After: 1}), answer 500, or cut a stream
     * after its first tokens.
     */
    public record Faults(double rateLimited, double serverError, double cutStream) {
        public static final Faults NONE = new Faults(0, 0, 0);
    }
}
