package io.hedgerow.bench;

import java.time.Duration;
import java.util.Objects;
import java.util.random.RandomGenerator;

/**
 * A latency distribution for the fake upstream: a fixed duration, or a lognormal given by its median and
 * sigma (the standard deviation of the underlying normal), so that {@code median * exp(sigma * N(0,1))} is one
 * sample. Written {@code 0ms}, {@code 250ms}, or {@code lognormal:200ms:0.5} on the command line.
 *
 * @param medianNanos the fixed value, or the lognormal's median
 * @param sigma       0 for a fixed delay
 */
public record Delay(long medianNanos, double sigma) {
    /** No delay at all: the upstream answers at once. */
    public static final Delay NONE = new Delay(0, 0);

    public Delay {
        if (medianNanos < 0 || sigma < 0 || Double.isNaN(sigma)) {
            throw new IllegalArgumentException("delay: median " + medianNanos + "ns, sigma " + sigma
                                                       + " (expected: both >= 0)");
        }
    }

    public static Delay fixed(Duration duration) {
        return new Delay(duration.toNanos(), 0);
    }

    public static Delay lognormal(Duration median, double sigma) {
        return new Delay(median.toNanos(), sigma);
    }

    /** Parses {@code 250ms}, {@code 2s}, {@code 0} or {@code lognormal:MEDIAN:SIGMA}. */
    public static Delay parse(String text) {
        Objects.requireNonNull(text, "text");
        if (text.startsWith("lognormal:")) {
            String[] parts = text.split(":");
            if (parts.length != 3) {
                throw new IllegalArgumentException("delay: '" + text + "' (expected: lognormal:MEDIAN:SIGMA)");
            }
            return lognormal(duration(parts[1]), Double.parseDouble(parts[2]));
        }
        return fixed(duration(text));
    }

    /** {@code 500us}, {@code 250ms}, {@code 2s}, or plain {@code 0}. */
    public static Duration duration(String text) {
        String t = text.trim();
        try {
            if (t.equals("0")) {
                return Duration.ZERO;
            }
            if (t.endsWith("us")) {
                return Duration.ofNanos(Long.parseLong(t.substring(0, t.length() - 2)) * 1000);
            }
            if (t.endsWith("ms")) {
                return Duration.ofMillis(Long.parseLong(t.substring(0, t.length() - 2)));
            }
            if (t.endsWith("s")) {
                return Duration.ofMillis(Math.round(Double.parseDouble(t.substring(0, t.length() - 1)) * 1000));
            }
        } catch (NumberFormatException e) {
            // fall through to the one error message
        }
        throw new IllegalArgumentException("duration: '" + text + "' (expected: e.g. 500us, 250ms, 2s)");
    }

    /** One sample, in nanoseconds. */
    public long sampleNanos(RandomGenerator random) {
        if (sigma == 0 || medianNanos == 0) {
            return medianNanos;
        }
        return Math.round(medianNanos * Math.exp(sigma * random.nextGaussian()));
    }

    @Override
    public String toString() {
        String median = medianNanos % 1_000_000 == 0 ? medianNanos / 1_000_000 + "ms" : medianNanos / 1000 + "us";
        return sigma == 0 ? median : "lognormal:" + median + ":" + sigma;
    }
}
