package io.hedgerow.exec;

/**
 * Told what the executor did, for metrics and events. Implementations must be quick and must not throw: they
 * run on request threads (the executor guards against exceptions all the same).
 */
public interface ExecutionListener {
    /** A listener that ignores everything. */
    ExecutionListener NONE = new ExecutionListener() {
    };

    /** An attempt was started. */
    default void attemptStarted(String route, AttemptRecord attempt) {
    }

    /** An attempt ended (or a candidate was skipped). */
    default void attemptEnded(String route, AttemptRecord attempt) {
    }

    /**
     * A stream that broke after {@code deliveredTokens} content events was resumed on another candidate.
     *
     * @param how {@code prefill} or {@code splice}
     */
    default void streamResumed(String route, String from, String to, int deliveredTokens, String how) {
    }

    /** A hedge was due but the budget had no allowance left. */
    default void hedgeRefused(String route) {
    }
}
