package io.hedgerow.provider;

import io.hedgerow.model.Failure;
import io.hedgerow.model.FailureKind;

import java.util.Objects;

/** An upstream attempt failed; {@link #failure()} says how, in terms the failover policy understands. */
public class ProviderException extends Exception {
    private final transient Failure failure;

    public ProviderException(Failure failure) {
        this(failure, null);
    }

    public ProviderException(Failure failure, Throwable cause) {
        super(failure.summary() + ": " + failure.message(), cause);
        this.failure = Objects.requireNonNull(failure, "failure");
    }

    public static ProviderException of(FailureKind kind, String message) {
        return new ProviderException(Failure.of(kind, message));
    }

    public Failure failure() {
        return failure;
    }
}
