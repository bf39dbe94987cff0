package io.hedgerow.config;

/**
 * What one provider may hold of the router.
 *
 * @param maxConcurrent    a hard cap on attempts in flight to it at once (for an upstream that can serve only so
 *                         many, such as a small self-hosted one); by default none: the adaptive bulkhead decides
 *                         (see {@code exec.Bulkheads}). Beyond, its candidates are skipped as if their breaker were
 *                         open
 * @param maxResponseBytes the largest answer read from it: a whole JSON body, or one stream event
 * @param anyDirectModel   whether clients may name any model of it as {@code provider/model} ({@code direct-models:
 *                         any}: the first {@value #MAX_UNDECLARED} undeclared names are taken, later ones refused),
 *                         or only the models the config declares for it, in its {@code models} or in routes (the
 *                         default): every name a client sends would otherwise get health state and metric series of
 *                         its own
 */
public record ProviderLimits(int maxConcurrent, long maxResponseBytes, boolean anyDirectModel) {
    /** No cap of its own on attempts in flight: the adaptive limit decides. */
    public static final int NO_CAP = 100_000;
    /** Undeclared models a provider with {@code direct-models: any} takes from clients; later names are refused. */
    public static final int MAX_UNDECLARED = 100;
    public static final ProviderLimits DEFAULTS = new ProviderLimits(NO_CAP, 16L * 1024 * 1024, false);

    public ProviderLimits {
        Checks.atLeast("max-concurrent", maxConcurrent, 1);
        if (maxResponseBytes < 1024 || maxResponseBytes > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("max-response-size: " + maxResponseBytes
                                                       + " (expected: 1KiB to 2GiB)");
        }
    }

    /** Limits with direct addressing to declared models only. */
    public ProviderLimits(int maxConcurrent, long maxResponseBytes) {
        this(maxConcurrent, maxResponseBytes, false);
    }
}
