package io.hedgerow.provider;

import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Optional;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads how long a provider asked us to wait, from the headers providers actually send, in this order:
 * {@code retry-after-ms} (milliseconds), {@code retry-after} (seconds or an HTTP date), then OpenAI-style
 * {@code x-ratelimit-reset-requests|tokens} (Go durations like {@code 6m0s}) and Anthropic-style
 * {@code anthropic-ratelimit-*-reset} (RFC 3339 instants) for the limit whose remaining count is 0.
 */
public final class RetryAfter {
    private static final Pattern GO_PART = Pattern.compile("(\\d+(?:\\.\\d+)?)(ms|h|m|s)");
    private static final Duration MAX = Duration.ofDays(1);

    private RetryAfter() {
    }

    /**
     * @param header a header lookup (case-insensitive names)
     * @param now    the current wall-clock instant, for date-valued headers
     */
    public static Optional<Duration> parse(Function<String, Optional<String>> header, Instant now) {
        Optional<Duration> ms = header.apply("retry-after-ms").flatMap(RetryAfter::millis);
        if (ms.isPresent()) {
            return ms;
        }
        Optional<Duration> retryAfter = header.apply("retry-after").flatMap(v -> secondsOrDate(v, now));
        if (retryAfter.isPresent()) {
            return retryAfter;
        }
        for (String limit : new String[] {"requests", "tokens"}) {
            if (header.apply("x-ratelimit-remaining-" + limit).map(String::trim).filter("0"::equals).isPresent()) {
                Optional<Duration> reset = header.apply("x-ratelimit-reset-" + limit).flatMap(RetryAfter::goDuration);
                if (reset.isPresent()) {
                    return reset;
                }
            }
        }
        for (String limit : new String[] {"requests", "tokens", "input-tokens", "output-tokens"}) {
            if (header.apply("anthropic-ratelimit-" + limit + "-remaining").map(String::trim)
                    .filter("0"::equals).isPresent()) {
                Optional<Duration> reset = header.apply("anthropic-ratelimit-" + limit + "-reset")
                        .flatMap(v -> instant(v, now));
                if (reset.isPresent()) {
                    return reset;
                }
            }
        }
        return Optional.empty();
    }

    private static Optional<Duration> millis(String value) {
        try {
            double ms = Double.parseDouble(value.trim());
            return ms >= 0 ? Optional.of(cap(Duration.ofNanos((long) (ms * 1_000_000)))) : Optional.empty();
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    private static Optional<Duration> secondsOrDate(String value, Instant now) {
        String v = value.trim();
        try {
            double seconds = Double.parseDouble(v);
            return seconds >= 0 ? Optional.of(cap(Duration.ofMillis((long) (seconds * 1000)))) : Optional.empty();
        } catch (NumberFormatException e) {
            try {
                Instant at = ZonedDateTime.parse(v, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
                return Optional.of(cap(nonNegative(Duration.between(now, at))));
            } catch (DateTimeParseException e2) {
                return Optional.empty();
            }
        }
    }

    private static Optional<Duration> instant(String value, Instant now) {
        try {
            return Optional.of(cap(nonNegative(Duration.between(now, Instant.parse(value.trim())))));
        } catch (DateTimeParseException e) {
            return Optional.empty();
        }
    }

    /** Parses Go-style durations as OpenAI sends them: {@code 1s}, {@code 6m0s}, {@code 1h2m3.5s}, {@code 20ms}. */
    static Optional<Duration> goDuration(String value) {
        String v = value.trim();
        if (v.isEmpty()) {
            return Optional.empty();
        }
        Matcher m = GO_PART.matcher(v);
        int end = 0;
        double nanos = 0;
        while (m.find()) {
            if (m.start() != end) {
                return Optional.empty();
            }
            end = m.end();
            double n = Double.parseDouble(m.group(1));
            nanos += switch (m.group(2)) {
                case "h" -> n * 3.6e12;
                case "m" -> n * 6e10;
                case "s" -> n * 1e9;
                default -> n * 1e6;
            };
        }
        return end == v.length() ? Optional.of(cap(Duration.ofNanos((long) nanos))) : Optional.empty();
    }

    private static Duration nonNegative(Duration d) {
        return d.isNegative() ? Duration.ZERO : d;
    }

    private static Duration cap(Duration d) {
        return d.compareTo(MAX) > 0 ? MAX : d;
    }
}
