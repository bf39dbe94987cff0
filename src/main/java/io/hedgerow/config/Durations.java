package io.hedgerow.config;

import java.time.Duration;
import java.util.Optional;

/** Durations as Hedgerow writes them everywhere ({@code 500ms}, {@code 30s}, {@code 2m}, {@code 1h}, {@code PT30S}). */
public final class Durations {
    private Durations() {
    }

    /** The duration, or empty when the text is not one. */
    public static Optional<Duration> parse(String text) {
        return Units.duration(text);
    }
}
