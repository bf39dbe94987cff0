package io.hedgerow.api;

import io.helidon.webserver.CloseConnectionException;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;

/**
 * A request body read under the read timeout: the whole body must arrive within it, counted from the first read,
 * else the request's guard interrupts the read (which closes the connection). A read that fails because the
 * client left or was cut (the body ends early, the socket closed) ends the exchange quietly: there is nobody left
 * to send a 400 to, and it is no server error. A read that fails on the body's framing is a
 * {@link BadFramingException}.
 */
final class GuardedInputStream extends FilterInputStream {
    private final ClientWatch.Guard guard;
    private final long timeoutNanos;
    private boolean armed;
    private boolean done;
    private boolean ended;

    GuardedInputStream(InputStream in, ClientWatch.Guard guard, long timeoutNanos) {
        super(in);
        this.guard = guard;
        this.timeoutNanos = timeoutNanos;
    }

    @Override
    public int read() throws IOException {
        arm();
        int b;
        try {
            b = super.read();
        } catch (RuntimeException e) {
            throw gone(e);
        }
        if (b < 0) {
            ended = true;
            finish();
        }
        return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        arm();
        int n;
        try {
            n = super.read(b, off, len);
        } catch (RuntimeException e) {
            throw gone(e);
        }
        if (n < 0) {
            ended = true;
            finish();
        }
        return n;
    }

    /**
     * A read failure: the client's departure (or our cut) closes the connection; anything else is the body's framing
     * (Helidon's chunk parser fails with the offending bytes in its message, which is dropped here).
     */
    private RuntimeException gone(RuntimeException e) {
        finish();
        if (guard.firedBecause().isPresent() || ClientGone.isConnectionFailure(e)) {
            return new CloseConnectionException("the request body did not arrive", e);
        }
        // Helidon refuses a chunk that would take the body past max-body-size at its size line, with a 413.
        boolean tooLarge = e instanceof io.helidon.http.RequestException r && r.status().code() == 413;
        return new BadFramingException(tooLarge);
    }

    /**
     * Closes a body read to its end. A body left before its end (refused as too large, or broken) is not closed:
     * Helidon's close would read the rest with no deadline, before the answer is written, for as long as the client
     * sends. The front door drops it within bounds or closes the connection.
     */
    @Override
    public void close() throws IOException {
        try {
            if (ended) {
                super.close();
            }
        } finally {
            finish();
        }
    }

    private void arm() {
        if (!armed && !done) {
            armed = true;
            guard.arm(timeoutNanos);
        }
    }

    private void finish() {
        if (armed && !done) {
            done = true;
            guard.disarm();
        }
    }
}
