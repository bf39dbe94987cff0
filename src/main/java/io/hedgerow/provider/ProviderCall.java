package io.hedgerow.provider;

import io.hedgerow.config.ApiKey;
import io.hedgerow.model.ChatRequest;

import java.util.Objects;
import java.util.Optional;

/**
 * One request to one provider: the canonical request, the upstream model name to put in it, and the key
 * chosen for this attempt (empty for providers that need none).
 */
public record ProviderCall(ChatRequest request, String model, Optional<ApiKey> key) {
    public ProviderCall {
        Objects.requireNonNull(request, "request");
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(key, "key");
    }
}
