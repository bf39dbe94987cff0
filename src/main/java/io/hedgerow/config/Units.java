package io.hedgerow.config;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Parses the durations ({@code 300ms}, {@code 5s}, {@code 2m}, {@code 1h}, ISO {@code PT5S}) and sizes
 * ({@code 512}, {@code 64KiB}, {@code 8MiB}, {@code 1GB}) written in config files. */
final class Units {
    private static final Pattern DURATION = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*(ms|s|m|h)");
    private static final Pattern SIZE = Pattern.compile("(\\d+)\\s*(b|kb|kib|mb|mib|gb|gib)?");

    private Units() {
    }

    static Optional<Duration> duration(String text) {
        String v = text.trim().toLowerCase(Locale.ROOT);
        Matcher m = DURATION.matcher(v);
        if (m.matches()) {
            double n = Double.parseDouble(m.group(1));
            double nanos = switch (m.group(2)) {
                case "ms" -> n * 1e6;
                case "s" -> n * 1e9;
                case "m" -> n * 6e10;
                default -> n * 3.6e12;
            };
            return Optional.of(Duration.ofNanos((long) nanos));
        }
        if (v.startsWith("pt") || v.startsWith("p")) {
            try {
                return Optional.of(Duration.parse(text.trim().toUpperCase(Locale.ROOT)));
            } catch (DateTimeParseException e) {
                return Optional.empty();
            }
        }
        return Optional.empty();
    }

    static Optional<Long> size(String text) {
        Matcher m = SIZE.matcher(text.trim().toLowerCase(Locale.ROOT));
        if (!m.matches()) {
            return Optional.empty();
        }
        long n = Long.parseLong(m.group(1));
        String unit = m.group(2) == null ? "b" : m.group(2);
        long factor = switch (unit) {
            case "kb" -> 1000L;
            case "kib" -> 1024L;
            case "mb" -> 1000L * 1000;
            case "mib" -> 1024L * 1024;
            case "gb" -> 1000L * 1000 * 1000;
            case "gib" -> 1024L * 1024 * 1024;
            default -> 1L;
        };
        return Optional.of(n * factor);
    }
}
