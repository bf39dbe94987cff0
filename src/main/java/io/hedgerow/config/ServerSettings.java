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
 * @param access         who may call: client keys, and whether an open router may leave loopback
 * @param limits         concurrency, size and time limits on clients, and the drain on shutdown
 * @param endpoints      who may read {@code /status} and {@code /observe/metrics}
 */
public record ServerSettings(String host, int port, long maxBodyBytes, Duration requestTimeout,
                             Optional<ApiKey> adminKey, ClientAccess access, ServerLimits limits,
                             EndpointAccess endpoints) {
    public static final long DEFAULT_MAX_BODY = 8L * 1024 * 1024;

    public ServerSettings {
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(requestTimeout, "requestTimeout");
        Objects.requireNonNull(adminKey, "adminKey");
        Objects.requireNonNull(access, "access");
        Objects.requireNonNull(limits, "limits");
        Objects.requireNonNull(endpoints, "endpoints");
    }

    /** Settings with the default access to status and metrics. */
    public ServerSettings(String host, int port, long maxBodyBytes, Duration requestTimeout,
                          Optional<ApiKey> adminKey, ClientAccess access, ServerLimits limits) {
        this(host, port, maxBodyBytes, requestTimeout, adminKey, access, limits, EndpointAccess.DEFAULTS);
    }

    /** Settings with no admin key, no client keys (loopback only) and the default limits. */
    public ServerSettings(String host, int port, long maxBodyBytes, Duration requestTimeout) {
        this(host, port, maxBodyBytes, requestTimeout, Optional.empty());
    }

    /** Settings with an admin key, no client keys (loopback only) and the default limits. */
    public ServerSettings(String host, int port, long maxBodyBytes, Duration requestTimeout,
                          Optional<ApiKey> adminKey) {
        this(host, port, maxBodyBytes, requestTimeout, adminKey, ClientAccess.OPEN_ON_LOOPBACK, ServerLimits.DEFAULTS);
    }

    /** Settings with no admin key. */
    public ServerSettings(String host, int port, long maxBodyBytes, Duration requestTimeout, ClientAccess access,
                          ServerLimits limits) {
        this(host, port, maxBodyBytes, requestTimeout, Optional.empty(), access, limits);
    }

    /** These settings on another address (the command line's {@code --host} and {@code --port}). */
    public ServerSettings withAddress(String newHost, int newPort) {
        return new ServerSettings(newHost, newPort, maxBodyBytes, requestTimeout, adminKey, access, limits, endpoints);
    }

    public ServerSettings withAccess(ClientAccess newAccess) {
        return new ServerSettings(host, port, maxBodyBytes, requestTimeout, adminKey, newAccess, limits, endpoints);
    }

    public ServerSettings withLimits(ServerLimits newLimits) {
        return new ServerSettings(host, port, maxBodyBytes, requestTimeout, adminKey, access, newLimits, endpoints);
    }

    public ServerSettings withEndpoints(EndpointAccess newEndpoints) {
        return new ServerSettings(host, port, maxBodyBytes, requestTimeout, adminKey, access, limits, newEndpoints);
    }
}
