package io.hedgerow.config;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * The embedding-space rule, checked once routes and providers are bound: a vector from another model is not a
 * fallback but corrupted data in the caller's index, so an embeddings route fails over only between candidates that
 * produce comparable vectors. A route is an embeddings route when one of its candidates declares an
 * {@code embedding-space}; then every candidate must declare one, the same one.
 */
final class EmbeddingSpaces {
    private EmbeddingSpaces() {
    }

    static void check(Map<String, RouteConfig> routes, Map<String, ProviderConfig> providers, ConfigNode routesNode) {
        for (RouteConfig route : routes.values()) {
            check(route, providers, routesNode.get(route.alias()).get("chain"));
        }
    }

    private static void check(RouteConfig route, Map<String, ProviderConfig> providers, ConfigNode chain) {
        Map<CandidateRef, Optional<String>> spaces = new LinkedHashMap<>();
        for (CandidateRef ref : route.chain()) {
            spaces.put(ref, providers.get(ref.provider()).embeddingSpace(ref.model()));
        }
        if (spaces.values().stream().allMatch(Optional::isEmpty)) {
            return;
        }
        List<CandidateRef> undeclared = spaces.entrySet().stream().filter(e -> e.getValue().isEmpty())
                .map(Map.Entry::getKey).toList();
        if (!undeclared.isEmpty()) {
            chain.error(String.join(", ", undeclared.stream().map(CandidateRef::toString).toList())
                    + (undeclared.size() == 1 ? " declares" : " declare") + " no embedding-space while "
                    + declared(spaces) + " (expected: every candidate of an embeddings route declares its model's "
                    + "embedding-space under providers.NAME.models, and they are the same)");
            return;
        }
        if (spaces.values().stream().distinct().count() > 1) {
            chain.error("mixes embedding spaces: " + declared(spaces) + " (expected: one space per route; vectors "
                    + "from different spaces are not comparable, so one is no fallback for the other)");
        }
    }

    private static String declared(Map<CandidateRef, Optional<String>> spaces) {
        return spaces.entrySet().stream().filter(e -> e.getValue().isPresent())
                .map(e -> e.getKey() + " is in '" + e.getValue().get() + "'")
                .collect(Collectors.joining(", "));
    }
}
