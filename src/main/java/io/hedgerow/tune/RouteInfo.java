package io.hedgerow.tune;

import io.hedgerow.config.HedgeSettings;

import java.util.List;
import java.util.Objects;

/**
 * What a replay needs to know of a route: its chain (where a hedge goes) and its hedge policy (the "current config"
 * row).
 *
 * @param name  the route's name
 * @param chain its candidates, {@code provider/model}, in order
 * @param hedge its hedge policy
 */
public record RouteInfo(String name, List<String> chain, HedgeSettings hedge) {
    public RouteInfo {
        Objects.requireNonNull(name, "name");
        chain = List.copyOf(chain);
        Objects.requireNonNull(hedge, "hedge");
    }

    /** {@code openai} of {@code openai/gpt-4.1}. */
    static String provider(String candidate) {
        int slash = candidate.indexOf('/');
        return slash < 0 ? candidate : candidate.substring(0, slash);
    }

    /**
     * Where this route hedges a request whose first attempt went to {@code primary}: the next candidate after it in
     * the chain, on another provider unless the route allows the same one; empty when there is none.
     */
    java.util.Optional<String> hedgeTarget(String primary) {
        int at = chain.indexOf(primary);
        for (int i = at + 1; i < chain.size() && at >= 0; i++) {
            String c = chain.get(i);
            if (hedge.sameProvider() || !provider(c).equals(provider(primary))) {
                return java.util.Optional.of(c);
            }
        }
        return java.util.Optional.empty();
    }
}
