package io.hedgerow.provider;

import io.hedgerow.config.ApiKey;
import io.hedgerow.model.EmbeddingRequest;

import java.util.Objects;
import java.util.Optional;

/**
 * One embeddings request (or one batch of it) to one provider: the canonical request, the upstream model name to put
 * in it, and the key chosen for this attempt (empty for providers that need none).
 */
public record EmbeddingCall(EmbeddingRequest request, String model, Optional<ApiKey> key) {
    public EmbeddingCall {
        Objects.requireNonNull(request, "request");
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(key, "key");
    }
}
