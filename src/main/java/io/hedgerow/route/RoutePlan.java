package io.hedgerow.route;

import java.util.List;
import java.util.Objects;

/** The candidates to try for one request, best first. */
public record RoutePlan(String alias, List<Candidate> candidates) {
    public RoutePlan {
        Objects.requireNonNull(alias, "alias");
        candidates = List.copyOf(candidates);
    }
}
