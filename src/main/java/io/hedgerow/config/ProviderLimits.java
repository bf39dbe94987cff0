package io.hedgerow.config;

/**
 * What one provider may hold of the router.
 *
 * @param maxConcurrent    attempts in flight to it at once (a bulkhead): beyond, its candidates are skipped as if
 *                         their breaker were open, so a provider that hangs cannot take every request with it
 * @param maxResponseBytes the largest answer read from it: a whole JSON body, or one stream event
 */
public record ProviderLimits(int maxConcurrent, long maxResponseBytes) {
    public static final ProviderLimits DEFAULTS = new ProviderLimits(64, 16L * 1024 * 1024);

    public ProviderLimits {
        Checks.atLeast("max-concurrent", maxConcurrent, 1);
        if (maxResponseBytes < 1024 || maxResponseBytes > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("max-response-size: " + maxResponseBytes
                                                       + " (expected: 1KiB to 2GiB)");
        }
    }
}
