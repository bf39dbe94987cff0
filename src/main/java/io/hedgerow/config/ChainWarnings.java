package io.hedgerow.config;

import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Checks of routes against the providers they use, once both are bound: chains that cannot do what they look like.
 *
 * <ul>
 *     <li>Two adjacent rungs that share a key are one rate-limit domain: a key's cooldown is shared by everything
 *     that uses it, so a 429 on the first makes the second be skipped without a call. Named pair by pair, with what
 *     it means.</li>
 *     <li>Two adjacent rungs on one provider, or on one server (host and port) with other keys, share its outages,
 *     and may share an account's rate limits.</li>
 *     <li>A route whose every fallback shares the primary's provider or key has no fallback for a rate limit or an
 *     outage of it.</li>
 * </ul>
 */
final class ChainWarnings {
    private ChainWarnings() {
    }

    static void check(Map<String, RouteConfig> routes, Map<String, ProviderConfig> providers, ConfigNode routesNode) {
        for (RouteConfig route : routes.values()) {
            ConfigNode chain = routesNode.get(route.alias()).get("chain");
            adjacent(route, providers, chain);
            notAFallback(route, providers, chain);
        }
    }

    /** Names each pair of adjacent rungs that share a key, or a server, and what it means. */
    private static void adjacent(RouteConfig route, Map<String, ProviderConfig> providers, ConfigNode chain) {
        List<CandidateRef> rungs = route.chain();
        for (int i = 0; i + 1 < rungs.size(); i++) {
            CandidateRef a = rungs.get(i);
            CandidateRef b = rungs.get(i + 1);
            ProviderConfig pa = providers.get(a.provider());
            ProviderConfig pb = providers.get(b.provider());
            String pair = "rungs " + (i + 1) + " and " + (i + 2) + " (" + a + ", " + b + ")";
            List<String> shared = sharedKeyLabels(pa, pb);
            if (!shared.isEmpty()) {
                String keys = shared.size() == 1 ? "key '" + shared.getFirst() + "'"
                        : "keys " + String.join(", ", shared.stream().map(l -> "'" + l + "'").toList());
                chain.warn(pair + " share " + keys + ": one rate-limit domain. A 429 on rung " + (i + 1)
                        + " cools the key down, and rung " + (i + 2) + " is then skipped without a call until it "
                        + "ends: as a fallback for rate limits it does nothing (give it another key or provider)");
            } else if (pa.name().equals(pb.name())) {
                chain.warn(pair + " are on one provider, " + pa.name() + ": an outage of it takes both");
            } else if (server(pa).isPresent() && server(pa).equals(server(pb))) {
                chain.warn(pair + " call one server, " + server(pa).get() + ": an outage of it takes both"
                        + (pa.keys().isEmpty() || pb.keys().isEmpty() ? ""
                        : ", and if their keys belong to one account or organization they share its rate limits"));
            }
        }
    }

    /** The labels (as {@code a} names them) of the keys {@code a} and {@code b} both use. */
    private static List<String> sharedKeyLabels(ProviderConfig a, ProviderConfig b) {
        Set<String> values = new HashSet<>();
        b.keys().forEach(k -> values.add(k.value()));
        return a.keys().stream().filter(k -> values.contains(k.value())).map(ApiKey::label).distinct().toList();
    }

    /** Where a provider lives, as host:port (the scheme's port when none is written). */
    private static Optional<String> server(ProviderConfig p) {
        return p.baseUrl().filter(u -> u.getHost() != null).map(u -> u.getHost() + ":"
                + (u.getPort() >= 0 ? u.getPort() : "https".equalsIgnoreCase(u.getScheme()) ? 443 : 80));
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
