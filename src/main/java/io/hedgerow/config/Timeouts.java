package io.hedgerow.config;

import java.time.Duration;
import java.util.Objects;

/**
 * Time limits for one upstream attempt.
 *
 * @param connect    to open the TCP (and TLS) connection
 * @param firstToken from sending the request to the first content token (or the whole answer when not streaming)
 * @param idle       between two events of a stream once it has started
 * @param total      for the whole attempt
 */
public record Timeouts(Duration connect, Duration firstToken, Duration idle, Duration total) {
    public static final Timeouts DEFAULTS =
            new Timeouts(Duration.ofSeconds(5), Duration.ofSeconds(60), Duration.ofSeconds(30), Duration.ofMinutes(5));

    public Timeouts {
        Objects.requireNonNull(connect, "connect");
        Objects.requireNonNull(firstToken, "firstToken");
        Objects.requireNonNull(idle, "idle");
        Objects.requireNonNull(total, "total");
    }
}
