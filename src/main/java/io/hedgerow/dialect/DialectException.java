package io.hedgerow.dialect;

import io.hedgerow.model.Failure;
import io.hedgerow.model.FailureKind;

import java.util.Objects;

/**
 * A dialect codec met something it cannot write or read faithfully: a canonical request it cannot express
 * ({@code BAD_REQUEST}), an upstream answer it cannot understand ({@code BAD_RESPONSE}), or an error object the
 * upstream sent inside a 2xx body (classified by its type).
 *
 * <p>The message is the codec's raw text: it may quote upstream bytes, so it is neither shortened nor redacted
 * here. Whoever knows the credential in play (the provider adapter) turns it into its own failure and redacts it
 * there; do not log this exception or chain it as a cause before that.
 */
public final class DialectException extends Exception {
    private final transient Failure failure;

    public DialectException(Failure failure) {
        super(failure.kind().description(), null, false, false);
        this.failure = Objects.requireNonNull(failure, "failure");
    }

    public static DialectException of(FailureKind kind, String message) {
        return new DialectException(Failure.of(kind, message));
    }

    public static DialectException badRequest(String message) {
        return of(FailureKind.BAD_REQUEST, message);
    }

    public static DialectException badResponse(String message) {
        return of(FailureKind.BAD_RESPONSE, message);
    }

    /** What went wrong, unredacted and unshortened. */
    public Failure failure() {
        return failure;
    }
}
