package io.hedgerow.config;

import java.time.Duration;
import java.util.Objects;

/**
 * Time limits for one upstream attempt.
 *
 * @param connect    to open the TCP (and TLS) connection
 * @param firstToken for a streamed attempt, from sending the request to its first content token
 * @param idle       between two events of a stream once it has started
 * @param total      for the whole attempt; the only limit on a non-streamed attempt, whose answer arrives whole
 *                   (a silent provider and a long answer look alike until it comes)
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
