package io.hedgerow.config;

import java.time.Duration;
import java.util.Objects;

/**
 * What one client, or all of them together, may hold of the router: defaults sized for a small VPS (two cores, a
 * 256 MiB heap).
 *
 * @param maxConcurrentRequests chat requests served at once; beyond, a 503 with {@code Retry-After} at once rather
 *                              than a queue
 * @param maxConnections        client connections open at once; a newcomer beyond closes the longest-idle one, or is
 *                              closed itself when all are busy. Unless set: {@link #defaultMaxConnections}
 * @param maxHeaderBytes        the largest request header block
 * @param readTimeout           the longest a client may take to send its request headers, and its body
 * @param writeTimeout          the longest one write of an answer may wait for a client that does not read
 * @param idleTimeout           how long a kept-alive connection may sit without a request
 * @param drainTimeout          on shutdown, how long requests in flight may take to finish before they are ended
 */
public record ServerLimits(int maxConcurrentRequests, int maxConnections, int maxHeaderBytes, Duration readTimeout,
                           Duration writeTimeout, Duration idleTimeout, Duration drainTimeout) {
    public static final ServerLimits DEFAULTS = new ServerLimits(128, 512, 16 * 1024, Duration.ofSeconds(30),
                                                                 Duration.ofSeconds(30), Duration.ofSeconds(60),
                                                                 Duration.ofSeconds(20));

    /**
     * {@code max-connections} when the config leaves it out: 512, or twice {@code maxConcurrentRequests} when that is
     * more. Each request in flight holds a connection (HTTP/1.1), and clients keep idle ones besides in their pools;
     * a fixed 512 under {@code max-concurrent-requests: 5000} closed a burst's connections instead of serving them.
     */
    public static int defaultMaxConnections(int maxConcurrentRequests) {
        return Math.max(512, 2 * maxConcurrentRequests);
    }

    public ServerLimits {
        Checks.atLeast("max-concurrent-requests", maxConcurrentRequests, 1);
        Checks.atLeast("max-connections", maxConnections, 1);
        Checks.atLeast("max-header-size", maxHeaderBytes, 1024);
        Checks.positive("read-timeout", readTimeout);
        Checks.positive("write-timeout", writeTimeout);
        Checks.positive("idle-timeout", idleTimeout);
        Objects.requireNonNull(drainTimeout, "drainTimeout");
        if (drainTimeout.isNegative() || drainTimeout.compareTo(Checks.MAX) > 0) {
            throw new IllegalArgumentException("drain-timeout: " + Checks.human(drainTimeout)
                                                       + " (expected: 0 or more, at most 7d)");
        }
    }

    /** These limits with another drain timeout. */
    public ServerLimits withDrainTimeout(Duration value) {
        return new ServerLimits(maxConcurrentRequests, maxConnections, maxHeaderBytes, readTimeout, writeTimeout,
                                idleTimeout, value);
    }
}
