package io.hedgerow.config;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/** The whole validated configuration: built once, never changed (a reload builds a new one). */
public record HedgerowConfig(ServerSettings server,
                             Map<String, ProviderConfig> providers,
                             Map<String, RouteConfig> routes,
                             FailoverSettings failover,
                             HedgingSettings hedging,
                             ObserveSettings observe,
                             StateSettings state,
                             ConversationSettings conversations) {
    public HedgerowConfig {
        Objects.requireNonNull(conversations, "conversations");
        Objects.requireNonNull(state, "state");
        Objects.requireNonNull(server, "server");
        Objects.requireNonNull(failover, "failover");
        Objects.requireNonNull(hedging, "hedging");
        Objects.requireNonNull(observe, "observe");
        // Insertion order is the file's order: listings and status pages follow it.
        providers = Collections.unmodifiableMap(new LinkedHashMap<>(providers));
        routes = Collections.unmodifiableMap(new LinkedHashMap<>(routes));
    }

    /** A config with the default conversation store. */
    public HedgerowConfig(ServerSettings server, Map<String, ProviderConfig> providers, Map<String, RouteConfig> routes,
                          FailoverSettings failover, HedgingSettings hedging, ObserveSettings observe,
                          StateSettings state) {
        this(server, providers, routes, failover, hedging, observe, state, ConversationSettings.DEFAULTS);
    }

    /** A config whose state lives in this process only. */
    public HedgerowConfig(ServerSettings server, Map<String, ProviderConfig> providers, Map<String, RouteConfig> routes,
                          FailoverSettings failover, HedgingSettings hedging, ObserveSettings observe) {
        this(server, providers, routes, failover, hedging, observe, StateSettings.DEFAULTS);
    }

    /** A config with default observability settings. */
    public HedgerowConfig(ServerSettings server, Map<String, ProviderConfig> providers, Map<String, RouteConfig> routes,
                          FailoverSettings failover, HedgingSettings hedging) {
        this(server, providers, routes, failover, hedging, ObserveSettings.DEFAULTS);
    }

    /** A config with default failover and hedging. */
    public HedgerowConfig(ServerSettings server, Map<String, ProviderConfig> providers, Map<String, RouteConfig> routes) {
        this(server, providers, routes, FailoverSettings.DEFAULTS, HedgingSettings.DEFAULTS);
    }

    /** This config with other server settings. */
    public HedgerowConfig withServer(ServerSettings newServer) {
        return new HedgerowConfig(newServer, providers, routes, failover, hedging, observe, state, conversations);
    }

    /** This config with other observability settings. */
    public HedgerowConfig withObserve(ObserveSettings newObserve) {
        return new HedgerowConfig(server, providers, routes, failover, hedging, newObserve, state, conversations);
    }

    /** This config with other state settings. */
    public HedgerowConfig withState(StateSettings newState) {
        return new HedgerowConfig(server, providers, routes, failover, hedging, observe, newState, conversations);
    }

    /** This config with another conversation store. */
    public HedgerowConfig withConversations(ConversationSettings newConversations) {
        return new HedgerowConfig(server, providers, routes, failover, hedging, observe, state, newConversations);
    }

    /** The price declared for a provider's model, if any. */
    public java.util.Optional<Price> price(String provider, String model) {
        ProviderConfig p = providers.get(provider);
        if (p == null) {
            return java.util.Optional.empty();
        }
        ModelSettings m = p.models().get(model);
        return m == null ? java.util.Optional.empty() : m.price();
    }
}
