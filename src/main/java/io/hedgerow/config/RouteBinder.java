package io.hedgerow.config;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Binds one entry of {@code routes}: its chain of {@code provider/model} candidates, each checked against the
 * providers, and its overrides of retries, hedging and recovery.
 */
final class RouteBinder {
    static final Keys ROUTE = Keys.of("routes.ALIAS", "chain", "retry", "hedge", "on-content-filter", "timeout",
                                      "recovery");

    private final ConfigNode providersNode;
    private final Map<String, ProviderConfig> providers;
    private final FailoverSettings failover;
    private final HedgingSettings hedging;

    /** {@code providers} holds those bound without errors; {@code providersNode} every one the file names. */
    RouteBinder(ConfigNode providersNode, Map<String, ProviderConfig> providers, FailoverSettings failover,
                HedgingSettings hedging) {
        this.providersNode = providersNode;
        this.providers = providers;
        this.failover = failover;
        this.hedging = hedging;
    }

    static List<Keys> keys() {
        return List.of(ROUTE);
    }

    Optional<RouteConfig> bind(ConfigNode node) {
        node.check(ROUTE);
        ConfigNode chainNode = node.get("chain");
        if (!chainNode.isList() || chainNode.items().isEmpty()) {
            chainNode.error("missing or empty (expected: a list of provider/model)");
            return Optional.empty();
        }
        List<CandidateRef> chain = new ArrayList<>();
        Set<String> seen = new LinkedHashSet<>();
        for (ConfigNode item : chainNode.items()) {
            candidate(item).ifPresent(ref -> {
                if (!seen.add(ref.toString())) {
                    item.warn("'" + ref + "' appears twice in the chain");
                }
                chain.add(ref);
            });
        }
        ConfigNode retryNode = node.get("retry");
        Optional<RetrySettings> retry = retryNode.exists()
                ? Optional.of(FailoverBinder.retry(retryNode, failover.retry())) : Optional.empty();
        Optional<HedgeSettings> hedge = hedge(node.get("hedge"));
        boolean routeAround = node.get("on-content-filter").choice(Map.of("fail", false, "next-candidate", true),
                                                                   "fail or next-candidate").orElse(false);
        Optional<Duration> timeout = node.get("timeout").positive();
        ConfigNode recoveryNode = node.get("recovery");
        Optional<RecoverySettings> recovery = recoveryNode.exists()
                ? Optional.of(FailoverBinder.recovery(recoveryNode, failover.recovery())) : Optional.empty();
        return chain.isEmpty() ? Optional.empty()
                : Optional.of(new RouteConfig(node.name(), chain, retry, hedge, routeAround, timeout, recovery));
    }

    private Optional<CandidateRef> candidate(ConfigNode item) {
        return item.text().flatMap(entry -> {
            int slash = entry.indexOf('/');
            if (slash <= 0 || slash == entry.length() - 1) {
                item.error("'" + entry + "' (expected: provider/model)");
                return Optional.empty();
            }
            String provider = entry.substring(0, slash);
            if (!providersNode.get(provider).exists()) {
                item.error("'" + entry + "' names provider '" + provider + "', which is not configured (known: "
                        + String.join(", ", providersNode.entries().stream().map(ConfigNode::name).toList()) + ")");
                return Optional.empty();
            }
            if (!providers.containsKey(provider)) {
                item.error("'" + entry + "' uses provider '" + provider + "', which has errors of its own (see above)");
                return Optional.empty();
            }
            return Optional.of(new CandidateRef(provider, entry.substring(slash + 1)));
        });
    }

    /** {@code off}, {@code on}, or a map over {@code hedging.defaults}; empty: the defaults. */
    private Optional<HedgeSettings> hedge(ConfigNode node) {
        if (node.isScalar()) {
            Optional<Boolean> on = node.yamlBoolean().or(() -> node.text().flatMap(
                    v -> v.equals("on") ? Optional.of(true) : v.equals("off") ? Optional.of(false) : Optional.empty()));
            if (on.isEmpty()) {
                node.error("'" + node.text().orElse("") + "' (expected: off, on, or a map of hedge settings)");
            }
            return on.filter(b -> !b).map(b -> HedgeSettings.OFF);
        }
        return node.exists() ? Optional.of(HedgingBinder.hedge(node, hedging.defaults())) : Optional.empty();
    }
}
