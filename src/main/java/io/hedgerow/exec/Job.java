package io.hedgerow.exec;

import io.hedgerow.config.ApiKey;
import io.hedgerow.model.ChatRequest;
import io.hedgerow.model.ChatResponse;
import io.hedgerow.model.EmbeddingRequest;
import io.hedgerow.model.EmbeddingResponse;
import io.hedgerow.model.FailureKind;
import io.hedgerow.provider.ChatStream;
import io.hedgerow.provider.EmbeddingCall;
import io.hedgerow.provider.ProviderCall;
import io.hedgerow.provider.ProviderClient;
import io.hedgerow.provider.ProviderException;
import io.hedgerow.route.PromptSize;

import java.util.Optional;

/**
 * What a race asks of each candidate it calls: a chat answer (whole or streamed) or vectors. The race itself, its
 * keys, breakers, cooldowns, bulkheads, retries and hedges, is the same for every kind of call; only the call and the
 * request's size (for skipping candidates whose declared context window cannot hold it) differ.
 *
 * @param <T> the whole answer's type
 */
sealed interface Job<T> {

    /** The request's estimated size in tokens, as the context-window check reads it. */
    long promptTokens();

    /** Calls {@code client} for a whole answer. */
    T answer(ProviderClient client, String model, Optional<ApiKey> key) throws ProviderException;

    /** Calls {@code client} for a stream; only chat can stream. */
    ChatStream stream(ProviderClient client, String model, Optional<ApiKey> key) throws ProviderException;

    /** A chat request. */
    record Chat(ChatRequest request) implements Job<ChatResponse> {
        @Override
        public long promptTokens() {
            return PromptSize.estimateTokens(request);
        }

        @Override
        public ChatResponse answer(ProviderClient client, String model, Optional<ApiKey> key)
                throws ProviderException {
            requireServable(client);
            return client.complete(new ProviderCall(request, model, key));
        }

        @Override
        public ChatStream stream(ProviderClient client, String model, Optional<ApiKey> key) throws ProviderException {
            requireServable(client);
            return client.stream(new ProviderCall(request, model, key));
        }

        /** A candidate that cannot serve the request as asked is passed over without a call, no health charged. */
        private void requireServable(ProviderClient client) throws ProviderException {
            Optional<String> refused = client.cannotServe(request);
            if (refused.isPresent()) {
                throw ProviderException.of(FailureKind.UNAVAILABLE, refused.get());
            }
        }
    }

    /** One batch of an embeddings request. */
    record Embedding(EmbeddingRequest request) implements Job<EmbeddingResponse> {
        @Override
        public long promptTokens() {
            return request.estimatedTokens();
        }

        @Override
        public EmbeddingResponse answer(ProviderClient client, String model, Optional<ApiKey> key)
                throws ProviderException {
            return client.embed(new EmbeddingCall(request, model, key));
        }

        @Override
        public ChatStream stream(ProviderClient client, String model, Optional<ApiKey> key) {
            throw new UnsupportedOperationException("embeddings are never streamed");
        }
    }
}
