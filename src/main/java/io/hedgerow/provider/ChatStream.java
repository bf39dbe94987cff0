package io.hedgerow.provider;

import io.hedgerow.model.StreamEvent;

import java.util.Optional;

/**
 * A streamed answer being read from a provider, one canonical event at a time. Reading blocks the calling
 * (virtual) thread. {@link #close()} may be called from another thread to abort: it closes the upstream
 * connection, so the provider sees the client leave, and a blocked {@link #next()} fails.
 */
public interface ChatStream extends AutoCloseable {

    /**
     * The next event, or empty when the stream has ended properly.
     *
     * @throws ProviderException when the stream breaks: cut, malformed, an upstream error event, or aborted.
     *                           A stream that ends without its finish event is a {@code BAD_RESPONSE}.
     */
    Optional<StreamEvent> next() throws ProviderException;

    /** Aborts (or releases) the upstream exchange. Idempotent; never throws. */
    @Override
    void close();
}
