package io.hedgerow.config;

import java.util.Objects;
import java.util.Optional;

/**
 * What config declares about one model of a provider: its context window and its price, when known, and for an
 * embedding model the embedding space its vectors belong to.
 *
 * @param embeddingSpace the name of the space its vectors live in ({@code nomic-embed-text-v1.5}): two candidates
 *                       declaring the same space produce comparable vectors, so an embeddings route may fail over
 *                       between them, and only between them
 */
public record ModelSettings(String name, Optional<Integer> contextWindow, Optional<Price> price,
                            Optional<String> embeddingSpace) {
    public ModelSettings {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(contextWindow, "contextWindow");
        Objects.requireNonNull(price, "price");
        Objects.requireNonNull(embeddingSpace, "embeddingSpace");
    }

    /** A model that is no embedding model. */
    public ModelSettings(String name, Optional<Integer> contextWindow, Optional<Price> price) {
        this(name, contextWindow, price, Optional.empty());
    }

    /** A model with no declared price. */
    public ModelSettings(String name, Optional<Integer> contextWindow) {
        this(name, contextWindow, Optional.empty());
    }
}
