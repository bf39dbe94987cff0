package io.hedgerow.exec;

import io.hedgerow.model.Failure;

import java.util.Objects;

/**
 * A streamed answer broke after it had started and could not be finished: {@link #failure()} says how. The
 * executor's own type, so the inbound API never needs to know the provider layer's exceptions.
 */
public class StreamFailedException extends Exception {
    private final transient Failure failure;

    public StreamFailedException(Failure failure) {
        this(failure, null);
    }

    public StreamFailedException(Failure failure, Throwable cause) {
        super(failure.summary() + ": " + failure.message(), cause);
        this.failure = Objects.requireNonNull(failure, "failure");
    }

    public Failure failure() {
        return failure;
    }
}
