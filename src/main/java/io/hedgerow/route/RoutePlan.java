package io.hedgerow.route;

import java.util.List;
import java.util.Objects;

/** The candidates configured for one request, in preference order, and the route's policy. */
public record RoutePlan(String alias, List<Candidate> candidates, RoutePolicy policy) {
    public RoutePlan {
        Objects.requireNonNull(alias, "alias");
        candidates = List.copyOf(candidates);
        Objects.requireNonNull(policy, "policy");
    }
}
