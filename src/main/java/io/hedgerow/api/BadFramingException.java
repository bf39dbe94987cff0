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
    BadFramingException() {
        super(new IOException("the request body's chunked framing is invalid"));
    }
}
