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
 * @param access         who may call: client keys, and whether an open router may leave loopback
 * @param limits         concurrency, size and time limits on clients, and the drain on shutdown
 */
public record ServerSettings(String host, int port, long maxBodyBytes, Duration requestTimeout,
                             ClientAccess access, ServerLimits limits) {
    public static final long DEFAULT_MAX_BODY = 8L * 1024 * 1024;

    public ServerSettings {
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(requestTimeout, "requestTimeout");
        Objects.requireNonNull(access, "access");
        Objects.requireNonNull(limits, "limits");
    }

    /** Settings with no client keys (loopback only) and the default limits. */
    public ServerSettings(String host, int port, long maxBodyBytes, Duration requestTimeout) {
        this(host, port, maxBodyBytes, requestTimeout, ClientAccess.OPEN_ON_LOOPBACK, ServerLimits.DEFAULTS);
    }

    /** These settings on another address (the command line's {@code --host} and {@code --port}). */
    public ServerSettings withAddress(String newHost, int newPort) {
        return new ServerSettings(newHost, newPort, maxBodyBytes, requestTimeout, access, limits);
    }

    public ServerSettings withAccess(ClientAccess newAccess) {
        return new ServerSettings(host, port, maxBodyBytes, requestTimeout, newAccess, limits);
    }

    public ServerSettings withLimits(ServerLimits newLimits) {
        return new ServerSettings(host, port, maxBodyBytes, requestTimeout, access, newLimits);
    }
}
