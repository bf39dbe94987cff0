package io.hedgerow.exec;

import io.hedgerow.model.StreamEvent;

import java.util.Optional;

/**
 * A streamed answer being relayed to the client, one canonical event at a time. Read on the client's thread;
 * time limits still apply. {@link #close()} ends the exchange, aborting an upstream still sending.
 */
public interface LiveStream extends AutoCloseable {

    /**
     * The next event, or empty when the answer is complete.
     *
     * @throws StreamFailedException when the answer broke and could not be finished
     */
    Optional<StreamEvent> next() throws StreamFailedException;

    /** Idempotent; never throws. */
    @Override
    void close();
}
