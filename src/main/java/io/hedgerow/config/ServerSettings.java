package io.hedgerow.config;

import java.time.Duration;
import java.util.Objects;

/**
 * The listening side.
 *
 * @param host           the address to bind
 * @param port           the port (0 picks a free one)
 * @param maxBodyBytes   the largest request body accepted
 * @param requestTimeout the deadline for a whole client request, every attempt included
 */
public record ServerSettings(String host, int port, long maxBodyBytes, Duration requestTimeout) {
    public static final long DEFAULT_MAX_BODY = 8L * 1024 * 1024;

    public ServerSettings {
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(requestTimeout, "requestTimeout");
    }
}
