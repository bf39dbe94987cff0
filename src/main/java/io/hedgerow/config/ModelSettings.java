package io.hedgerow.config;

import java.util.Objects;
import java.util.Optional;

/** What config declares about one model of a provider: its context window and its price, when known. */
public record ModelSettings(String name, Optional<Integer> contextWindow, Optional<Price> price) {
    public ModelSettings {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(contextWindow, "contextWindow");
        Objects.requireNonNull(price, "price");
    }

    /** A model with no declared price. */
    public ModelSettings(String name, Optional<Integer> contextWindow) {
        this(name, contextWindow, Optional.empty());
    }
}
