package io.hedgerow.config;

import java.util.Objects;
import java.util.Optional;

/** What config declares about one model of a provider. */
public record ModelSettings(String name, Optional<Integer> contextWindow) {
    public ModelSettings {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(contextWindow, "contextWindow");
    }
}
