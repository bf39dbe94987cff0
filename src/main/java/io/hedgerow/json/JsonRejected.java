package io.hedgerow.json;

import java.util.Objects;

/**
 * An inbound JSON document refused before (or while) its tree was built. The message never quotes the document: it
 * says what is wrong and where (a byte offset, a line and column), so it is safe to log.
 */
public final class JsonRejected extends Exception {
    /** Why a document was refused. */
    public enum Reason {
        /** Not one well-formed JSON value in UTF-8 (including empty or whitespace-only bodies). */
        MALFORMED,
        /** Well-formed, but over a {@link JsonLimits} limit. */
        TOO_COMPLEX
    }

    private final Reason reason;

    public JsonRejected(Reason reason, String message) {
        super(message, null, false, false);
        this.reason = Objects.requireNonNull(reason, "reason");
    }

    public Reason reason() {
        return reason;
    }
}
