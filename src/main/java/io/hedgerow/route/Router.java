package io.hedgerow.route;

import io.hedgerow.config.CandidateRef;
import io.hedgerow.config.HedgeSettings;
import io.hedgerow.config.HedgerowConfig;
import io.hedgerow.config.RecoverySettings;
import io.hedgerow.config.ProviderConfig;
import io.hedgerow.config.RouteConfig;
import io.hedgerow.provider.ProviderClient;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Maps what a client asks for ({@code model}) to the candidates that can serve it. A configured route alias
 * gives its chain; {@code provider/model} naming a configured provider gives that one candidate.
 */
public final class Router {
    private final Map<String, RoutePlan> routes;
    private final Map<String, ProviderConfig> providers;
    private final Map<String, ProviderClient> clients;
    private final RoutePolicy directPolicy;

    /**
     * @param config  validated config
     * @param clients one client per configured provider, by name
     */
    public Router(HedgerowConfig config, Map<String, ProviderClient> clients) {
        Objects.requireNonNull(config, "config");
        this.providers = config.providers();
        this.clients = Map.copyOf(clients);
        this.directPolicy = new RoutePolicy(config.failover().retry(), HedgeSettings.OFF, false, Optional.empty(),
                                            RecoverySettings.OFF);
        Map<String, RoutePlan> plans = new LinkedHashMap<>();
        for (RouteConfig route : config.routes().values()) {
            List<Candidate> candidates = new ArrayList<>();
            for (CandidateRef ref : route.chain()) {
                candidates.add(candidate(ref.provider(), ref.model()).orElseThrow(() -> new IllegalArgumentException(
                        "route " + route.alias() + " names unknown provider " + ref.provider())));
            }
            HedgeSettings hedge = route.hedge().orElse(config.hedging().defaults());
            RoutePolicy policy = new RoutePolicy(route.retry().orElse(config.failover().retry()),
                                                 candidates.size() > 1 ? hedge : HedgeSettings.OFF,
                                                 route.routeAroundContentFilter(), route.timeout(),
                                                 route.recovery().orElse(config.failover().recovery()));
            plans.put(route.alias(), new RoutePlan(route.alias(), candidates, policy));
        }
        this.routes = Collections.unmodifiableMap(plans);
    }

    /** The plan for a requested model, if it names a route or a {@code provider/model}. */
    public Optional<RoutePlan> plan(String requestedModel) {
        RoutePlan route = routes.get(requestedModel);
        if (route != null) {
            return Optional.of(route);
        }
        int slash = requestedModel.indexOf('/');
        if (slash > 0 && slash < requestedModel.length() - 1) {
            return candidate(requestedModel.substring(0, slash), requestedModel.substring(slash + 1))
                    .map(c -> new RoutePlan(requestedModel, List.of(c), directPolicy));
        }
        return Optional.empty();
    }

    /** Every configured route, in config order. */
    public Map<String, RoutePlan> routes() {
        return routes;
    }

    private Optional<Candidate> candidate(String provider, String model) {
        ProviderConfig config = providers.get(provider);
        ProviderClient client = clients.get(provider);
        return config == null || client == null ? Optional.empty()
                : Optional.of(new Candidate(config, model, client));
    }
}
