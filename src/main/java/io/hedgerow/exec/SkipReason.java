package io.hedgerow.exec;

/**
 * Why a candidate was passed over without a call: decided by admission, carried as a type (never parsed back out
 * of a message). {@link #label()} is the {@code reason} label of {@code hedgerow_skips_total}.
 */
public enum SkipReason {
    /** Its circuit breaker is open (or half-open with its probes in flight). */
    BREAKER_OPEN("breaker_open"),
    /** Every key of its provider is cooling down. */
    KEYS_COOLING("keys_cooling"),
    /** Its declared context window cannot hold the prompt, or a smaller window already refused it. */
    CONTEXT_WINDOW("context_window"),
    /** Its provider's concurrency limit (the bulkhead) is full and no place freed in time. */
    BULKHEAD("bulkhead");

    private final String label;

    SkipReason(String label) {
        this.label = label;
    }

    /** The metric label: {@code breaker_open}, {@code keys_cooling}, {@code context_window}, {@code bulkhead}. */
    public String label() {
        return label;
    }
}
