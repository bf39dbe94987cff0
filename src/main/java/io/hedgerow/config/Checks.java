package io.hedgerow.config;

import java.time.Duration;
import java.util.Objects;

/**
 * Argument checks for the settings records, worded the house way: {@code name: value (expected: ...)};
 * and a short duration format for event reasons.
 */
public final class Checks {
    /** Longest duration a setting may hold: keeps nanosecond arithmetic far from overflow. */
    public static final Duration MAX = Duration.ofDays(7);

    private Checks() {
    }

    public static Duration positive(String name, Duration value) {
        Objects.requireNonNull(value, name);
        if (value.isNegative() || value.isZero() || value.compareTo(MAX) > 0) {
            throw new IllegalArgumentException(name + ": " + human(value) + " (expected: more than zero, at most 7d)");
        }
        return value;
    }

    public static int atLeast(String name, int value, int min) {
        if (value < min) {
            throw new IllegalArgumentException(name + ": " + value + " (expected: at least " + min + ")");
        }
        return value;
    }

    public static double within(String name, double value, double min, double max, String expected) {
        if (!(value >= min && value <= max)) { // also rejects NaN
            throw new IllegalArgumentException(name + ": " + value + " (expected: " + expected + ")");
        }
        return value;
    }

    /** {@code 250ms}, {@code 30s}, {@code 5m}, {@code 6h}, {@code 1m30s}: for people, not for parsing back. */
    public static String human(Duration d) {
        if (d.isNegative()) {
            return d.toString();
        }
        if (d.compareTo(Duration.ofSeconds(1)) < 0) {
            long nanos = d.toNanos();
            return nanos % 1_000_000 == 0 ? nanos / 1_000_000 + "ms" : nanos / 1_000 + "us";
        }
        StringBuilder sb = new StringBuilder();
        long h = d.toHours();
        int m = d.toMinutesPart();
        int s = d.toSecondsPart();
        int ms = d.toMillisPart();
        if (h > 0) {
            sb.append(h).append('h');
        }
        if (m > 0) {
            sb.append(m).append('m');
        }
        if (s > 0 || ms > 0) {
            sb.append(s);
            if (ms > 0) {
                sb.append('.').append(String.format("%03d", ms).replaceAll("0+$", ""));
            }
            sb.append('s');
        }
        return sb.toString();
    }
}
