package io.hedgerow.config;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * The listening side.
 *
 * @param host           the address to bind
 * @param port           the port (0 picks a free one)
 * @param maxBodyBytes   the largest request body accepted
 * @param requestTimeout the deadline for a whole client request, every attempt included
 * @param adminKey       the bearer token the admin endpoints ({@code POST /admin/reload}) require; without one
 *                       they are disabled
 */
public record ServerSettings(String host, int port, long maxBodyBytes, Duration requestTimeout,
                             Optional<ApiKey> adminKey) {
    public static final long DEFAULT_MAX_BODY = 8L * 1024 * 1024;

    public ServerSettings {
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(requestTimeout, "requestTimeout");
        Objects.requireNonNull(adminKey, "adminKey");
    }

    /** Settings without an admin key (admin endpoints disabled). */
    public ServerSettings(String host, int port, long maxBodyBytes, Duration requestTimeout) {
        this(host, port, maxBodyBytes, requestTimeout, Optional.empty());
    }

    /** These settings on another address (the command line's {@code --host} and {@code --port}). */
    public ServerSettings withAddress(String newHost, int newPort) {
        return new ServerSettings(newHost, newPort, maxBodyBytes, requestTimeout, adminKey);
    }
}
