package io.hedgerow.api;

import io.helidon.common.buffers.DataReader;
import io.helidon.webserver.CloseConnectionException;
import io.helidon.webserver.ServerConnectionException;
import io.helidon.webserver.http.ServerResponse;

import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * A client that left mid-exchange is nobody's error: its connection is closed quietly (Helidon closes a connection
 * on a {@link CloseConnectionException} without a log line) instead of Helidon logging a warning about a response
 * it could not send. Helidon reports a dead connection as several kinds of exception; this tells them apart from
 * real failures.
 */
final class ClientGone {
    private ClientGone() {
    }

    /** Sends a whole response; a failure to deliver it closes the connection quietly. */
    static void send(ServerResponse res, byte[] body) {
        try {
            res.send(body);
        } catch (RuntimeException e) {
            throw quietly(e);
        }
    }

    /** The exception to throw for {@code e}: a quiet close when the connection failed, else {@code e} itself. */
    static RuntimeException quietly(RuntimeException e) {
        if (e instanceof CloseConnectionException || !isConnectionFailure(e)) {
            return e;
        }
        return new CloseConnectionException("the client is gone", e);
    }

    /** Whether {@code e} says the connection to the client failed (reset, closed, cut short). */
    static boolean isConnectionFailure(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof CloseConnectionException || t instanceof ServerConnectionException
                    || t instanceof UncheckedIOException || t instanceof IOException
                    || t instanceof DataReader.InsufficientDataAvailableException) {
                return true;
            }
            if (t.getCause() == t) {
                break;
            }
        }
        return false;
    }
}
