package io.hedgerow.config;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/** The whole validated configuration: built once, never changed (a reload builds a new one). */
public record HedgerowConfig(ServerSettings server,
                             Map<String, ProviderConfig> providers,
                             Map<String, RouteConfig> routes) {
    public HedgerowConfig {
        Objects.requireNonNull(server, "server");
        // Insertion order is the file's order: listings and status pages follow it.
        providers = Collections.unmodifiableMap(new LinkedHashMap<>(providers));
        routes = Collections.unmodifiableMap(new LinkedHashMap<>(routes));
    }
}
