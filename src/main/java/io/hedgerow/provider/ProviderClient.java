package io.hedgerow.provider;

import io.hedgerow.model.ChatResponse;

/**
 * One configured upstream, speaking its own wire format. Implementations translate the canonical request
 * to that format and the answer back, and classify every failure into a {@link io.hedgerow.model.FailureKind}.
 * They hold no health state and make no routing decisions. Calls block; callers run them on virtual threads
 * and cancel by interrupting the thread (and closing the stream).
 */
public interface ProviderClient extends AutoCloseable {

    /** The provider's configured name. */
    String name();

    /** A complete, non-streamed answer. */
    ChatResponse complete(ProviderCall call) throws ProviderException;

    /**
     * Starts a streamed answer; returns once the upstream has accepted the request (2xx headers). A refusal
     * (4xx/5xx, connection failure) is thrown here, not from the stream.
     */
    ChatStream stream(ProviderCall call) throws ProviderException;

    /**
     * Lets go of the upstream connections: idle ones are closed at once, those lent to an exchange when it ends.
     * Called once no request can use this client any more (a reload replaced or removed its provider); an exchange
     * that still comes (a probe that outlived its request) works, on a connection closed after it. Idempotent; never
     * throws. Adapters without connections have nothing to do.
     */
    @Override
    default void close() {
    }
}
