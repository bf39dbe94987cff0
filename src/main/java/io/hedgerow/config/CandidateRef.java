package io.hedgerow.config;

import java.util.Objects;

/** One rung of a route's chain: a model served by a named provider, written {@code provider/model}. */
public record CandidateRef(String provider, String model) {
    public CandidateRef {
        Objects.requireNonNull(provider, "provider");
        Objects.requireNonNull(model, "model");
    }

    @Override
    public String toString() {
        return provider + "/" + model;
    }
}
