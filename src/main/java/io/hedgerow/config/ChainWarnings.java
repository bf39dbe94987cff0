package io.hedgerow.config;

import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/** Checks of routes against the providers they use, once both are bound: chains that cannot do what they look like. */
final class ChainWarnings {
    private ChainWarnings() {
    }

    static void check(Map<String, RouteConfig> routes, Map<String, ProviderConfig> providers, ConfigNode routesNode) {
        routes.values().forEach(route -> notAFallback(route, providers, routesNode.get(route.alias()).get("chain")));
    }

    /**
     * Warns when no fallback of a route can help when its primary is rate limited: every other candidate is on the
     * primary's provider or uses one of its keys (one rate-limit domain).
     */
    private static void notAFallback(RouteConfig route, Map<String, ProviderConfig> providers, ConfigNode chain) {
        if (route.chain().size() < 2) {
            return;
        }
        ProviderConfig primary = providers.get(route.chain().getFirst().provider());
        Set<String> primaryKeys = new HashSet<>();
        primary.keys().forEach(k -> primaryKeys.add(k.value()));
        for (CandidateRef ref : route.chain().subList(1, route.chain().size())) {
            ProviderConfig other = providers.get(ref.provider());
            boolean sameProvider = other.name().equals(primary.name());
            boolean sharedKey = other.keys().stream().anyMatch(k -> primaryKeys.contains(k.value()));
            if (!sameProvider && !sharedKey) {
                return;
            }
        }
        chain.warn("every fallback shares the primary's provider or key, so a rate limit or outage of "
                + primary.name() + " hits them all: this fallback is not a fallback");
    }
}
