package io.hedgerow.config;

import java.util.List;
import java.util.Objects;

/** A model alias clients can ask for, and the chain of candidates that serve it, in order of preference. */
public record RouteConfig(String alias, List<CandidateRef> chain) {
    public RouteConfig {
        Objects.requireNonNull(alias, "alias");
        chain = List.copyOf(chain);
    }
}
