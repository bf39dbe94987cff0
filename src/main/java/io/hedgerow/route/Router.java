package io.hedgerow.route;

import io.hedgerow.config.CandidateRef;
import io.hedgerow.config.HedgeSettings;
import io.hedgerow.config.HedgerowConfig;
import io.hedgerow.config.RecoverySettings;
import io.hedgerow.config.ProviderConfig;
import io.hedgerow.config.ProviderLimits;
import io.hedgerow.config.RouteConfig;
import io.hedgerow.provider.ProviderClient;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Maps what a client asks for ({@code model}) to the candidates that can serve it. A configured route alias
 * gives its chain; {@code provider/model} naming a configured provider and a model the config declares for it (in
 * its {@code models}, or in a route) gives that one candidate. A provider with {@code direct-models: any} also takes
 * undeclared names, the first {@value ProviderLimits#MAX_UNDECLARED} of them: everything keyed by a candidate
 * (health state, latency rings, metric series) stays bounded by the config, whatever names clients send.
 *
 * <p>Thread-safe: the undeclared names a provider took are a concurrent set, bounded per provider.
 */
public final class Router {
    private final Map<String, RoutePlan> routes;
    private final Map<String, ProviderConfig> providers;
    private final Map<String, ProviderClient> clients;
    private final RoutePolicy directPolicy;
    /** By provider: the models the config declares for it. */
    private final Map<String, Set<String>> declared = new HashMap<>();
    /** By provider ({@code direct-models: any} only): the undeclared names taken so far, bounded. */
    private final Map<String, Set<String>> undeclared = new ConcurrentHashMap<>();

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
            for (CandidateRef ref : route.chain()) {
                declared.computeIfAbsent(ref.provider(), p -> new HashSet<>()).add(ref.model());
            }
        }
        this.routes = Collections.unmodifiableMap(plans);
        for (ProviderConfig provider : providers.values()) {
            declared.computeIfAbsent(provider.name(), p -> new HashSet<>()).addAll(provider.models().keySet());
        }
    }

    /** The plan for a requested model, if it names a route or a {@code provider/model}. */
    public Optional<RoutePlan> plan(String requestedModel) {
        RoutePlan route = routes.get(requestedModel);
        if (route != null) {
            return Optional.of(route);
        }
        int slash = requestedModel.indexOf('/');
        if (slash > 0 && slash < requestedModel.length() - 1) {
            String provider = requestedModel.substring(0, slash);
            String model = requestedModel.substring(slash + 1);
            if (addressable(provider, model)) {
                return candidate(provider, model).map(c -> new RoutePlan(requestedModel, List.of(c), directPolicy));
            }
        }
        return Optional.empty();
    }

    /** Whether clients may name {@code provider/model} directly: declared, or taken under {@code direct-models: any}. */
    private boolean addressable(String provider, String model) {
        ProviderConfig config = providers.get(provider);
        if (config == null) {
            return false;
        }
        if (declared.getOrDefault(provider, Set.of()).contains(model)) {
            return true;
        }
        if (!config.limits().anyDirectModel()) {
            return false;
        }
        Set<String> taken = undeclared.computeIfAbsent(provider, p -> ConcurrentHashMap.newKeySet());
        if (taken.contains(model)) {
            return true;
        }
        synchronized (taken) {
            if (taken.size() >= ProviderLimits.MAX_UNDECLARED) {
                return taken.contains(model);
            }
            taken.add(model);
            return true;
        }
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
