package io.hedgerow.exec;

/**
 * Told what the executor did ({@link ExecutionEvent}), for metrics, events and traces. Implementations must be quick
 * and must not throw: they run on request threads (the executor logs and swallows what they throw all the same).
 */
@FunctionalInterface
public interface ExecutionListener {
    /** A listener that ignores everything. */
    ExecutionListener NONE = event -> {
    };

    void onEvent(ExecutionEvent event);
}
