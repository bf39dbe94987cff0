package io.hedgerow.provider;

import io.hedgerow.config.ApiKey;
import io.hedgerow.dialect.DialectException;
import io.hedgerow.model.Failure;
import io.hedgerow.model.FailureKind;

import java.util.Objects;
import java.util.Optional;

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

    /**
     * A dialect codec's failure as this attempt's, its text redacted of the key in play and shortened like every
     * upstream message. The codec's exception is not chained as the cause: its message is unredacted.
     */
    public static ProviderException from(DialectException e, Optional<ApiKey> key) {
        Failure raw = e.failure();
        return new ProviderException(new Failure(raw.kind(), raw.status(),
                                                 FailureClassifier.truncate(Redactor.redact(raw.message(), key)),
                                                 raw.retryAfter()));
    }

    public Failure failure() {
        return failure;
    }
}
