package io.hedgerow.config;

/**
 * What one provider may hold of the router.
 *
 * @param maxConcurrent    a hard cap on attempts in flight to it at once (for an upstream that can serve only so
 *                         many, such as a small self-hosted one); by default none: the adaptive bulkhead decides
 *                         (see {@code exec.Bulkheads}). Beyond, its candidates are skipped as if their breaker were
 *                         open
 * @param maxResponseBytes the largest answer read from it: a whole JSON body, or one stream event
 */
public record ProviderLimits(int maxConcurrent, long maxResponseBytes) {
    /** No cap of its own on attempts in flight: the adaptive limit decides. */
    public static final int NO_CAP = 100_000;
    public static final ProviderLimits DEFAULTS = new ProviderLimits(NO_CAP, 16L * 1024 * 1024);

    public ProviderLimits {
        Checks.atLeast("max-concurrent", maxConcurrent, 1);
        if (maxResponseBytes < 1024 || maxResponseBytes > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("max-response-size: " + maxResponseBytes
                                                       + " (expected: 1KiB to 2GiB)");
        }
    }
}
