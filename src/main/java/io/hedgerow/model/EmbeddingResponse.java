package io.hedgerow.model;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Vectors for an embeddings request, one per input and in the inputs' order.
 *
 * @param model   the model that produced them, as the provider named it
 * @param vectors the vectors (arrays not copied: treat them as read-only)
 * @param usage   the inputs' tokens ({@code promptTokens}; no completion tokens), when the provider reported them
 */
public record EmbeddingResponse(String model, List<float[]> vectors, Optional<Usage> usage) {
    public EmbeddingResponse {
        Objects.requireNonNull(model, "model");
        vectors = List.copyOf(vectors);
        Objects.requireNonNull(usage, "usage");
    }
}
