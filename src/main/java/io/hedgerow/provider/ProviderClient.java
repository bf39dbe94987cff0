package io.hedgerow.provider;

import io.hedgerow.config.ApiKey;
import io.hedgerow.model.ChatRequest;
import io.hedgerow.model.ChatResponse;
import io.hedgerow.model.EmbeddingRequest;
import io.hedgerow.model.EmbeddingResponse;
import io.hedgerow.model.FailureKind;

import java.time.Duration;
import java.util.Optional;

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
     * Why this provider cannot serve {@code request} as asked, if it cannot: it uses something only its client's
     * dialect can express, or asks for what this provider cannot honour (an answer format it cannot produce). Then
     * the executor passes the candidate over without a call ({@code skipped}, no health charged), and a request that
     * no candidate of its route can serve is refused before any is tried, naming each and why.
     */
    default Optional<String> cannotServe(ChatRequest request) {
        return WireCalls.cannotExpress(request, name(), "its own API", java.util.Set.of());
    }

    /**
     * Vectors for every input of {@code call}, in order ({@code POST {base-url}/embeddings} for OpenAI-compatible
     * APIs, {@code POST /api/embed} for Ollama). The caller has already split the request to the provider's batch
     * limits. Providers that serve no embeddings refuse it as the request's fault, without a call.
     *
     * @throws ProviderException classified as a chat call's failure would be; an answer with another number of
     *                           vectors than inputs is a {@code BAD_RESPONSE}
     */
    default EmbeddingResponse embed(EmbeddingCall call) throws ProviderException {
        throw ProviderException.of(FailureKind.BAD_REQUEST, name() + " serves no embeddings");
    }

    /**
     * Why this provider cannot serve {@code request} as asked (e.g. token arrays to a server that takes only texts),
     * if it cannot: then {@link #embed} passes it over without a call. Providers that serve no embeddings say so.
     */
    default Optional<String> cannotEmbed(EmbeddingRequest request) {
        return Optional.of(name() + " serves no embeddings");
    }

    /**
     * Checks a key without generating anything, so without spending a token: asks the provider for its list of
     * models with {@code key} ({@code GET {base-url}/models} for OpenAI-compatible APIs, {@code GET /v1/models} for
     * Anthropic, {@code GET /api/tags} for Ollama). Bounded by {@code timeout} while waiting and by
     * {@link HttpUpstream#MAX_LISTING_BYTES}.
     *
     * @param key the key to check; empty for a provider configured without keys
     * @return the key was accepted, with the models listed when the answer lists them
     * @throws ProviderException classified as a chat call's refusal would be: {@code AUTH} for 401/403,
     *                           {@code CONNECTION} or {@code TIMEOUT} when the provider does not answer, other kinds
     *                           with their status
     */
    default ModelListing listModels(Optional<ApiKey> key, Duration timeout) throws ProviderException {
        throw ProviderException.of(FailureKind.BAD_REQUEST, "this provider cannot be checked without generating");
    }

    /**
     * Whether the provider has a chat endpoint where its config says, asked without generating: the status an empty
     * request gets there ({@link HttpUpstream#probe}). A live check asks this when the list of models answered 404,
     * to tell a wrong base-URL path (404 here too) from a server that lists no models (400, 401, 422 here).
     *
     * @return the status, or empty when this provider cannot be asked (no HTTP endpoint)
     * @throws ProviderException when nothing answers
     */
    default Optional<Integer> chatEndpointStatus(Optional<ApiKey> key, Duration timeout) throws ProviderException {
        return Optional.empty();
    }

    /**
     * Counts the input tokens of a request the way the provider's model would, without generating (Anthropic's
     * {@code /v1/messages/count_tokens}).
     *
     * @return the count; empty when this provider cannot count
     * @throws ProviderException when it can but failed, classified as a chat call's failure would be
     */
    default Optional<Integer> countTokens(ProviderCall call) throws ProviderException {
        return Optional.empty();
    }

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
