package io.hedgerow.api;

import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * A request body whose framing cannot be trusted (a chunk size that is not hex, a chunk extension, a chunk longer or
 * shorter than it said): the body is refused with a 400 and the connection closed, since where the next request would
 * start is unknown. Carries no cause and no message from the parser: those quote the client's bytes, which must not
 * reach the log.
 */
final class BadFramingException extends UncheckedIOException {
    private final boolean tooLarge;

    BadFramingException() {
        this(false);
    }

    /** {@code tooLarge}: the framing is sound, but its chunks add up to more than {@code max-body-size}. */
    BadFramingException(boolean tooLarge) {
        super(new IOException(tooLarge ? "the request body's chunks exceed the body limit"
                                      : "the request body's chunked framing is invalid"));
        this.tooLarge = tooLarge;
    }

    /** Refused for its size (a 413), not for its framing. */
    boolean tooLarge() {
        return tooLarge;
    }
}
