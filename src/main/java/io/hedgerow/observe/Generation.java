package io.hedgerow.observe;

import io.hedgerow.api.Engine;
import io.hedgerow.config.HedgerowConfig;
import io.hedgerow.health.HealthRegistry;
import io.hedgerow.provider.ProviderClient;

import java.time.Instant;
import java.util.Map;
import java.util.Objects;

/**
 * One loaded config and everything built from it: the provider clients, the health registry and the engine that
 * serves requests. Immutable; a reload builds the next generation (sharing whatever did not change) and swaps it in.
 *
 * @param number   1 for the config the router started with, then one more per applied reload
 * @param config   the config, with the running server's host and port
 * @param clients  one client per provider, by name
 * @param health   breakers, cooldowns, baselines and the hedge budget
 * @param engine   the router and executor requests run on
 * @param loadedAt when it was swapped in
 */
public record Generation(int number, HedgerowConfig config, Map<String, ProviderClient> clients,
                         HealthRegistry health, Engine engine, Instant loadedAt) {
    public Generation {
        Objects.requireNonNull(config, "config");
        clients = Map.copyOf(clients);
        Objects.requireNonNull(health, "health");
        Objects.requireNonNull(engine, "engine");
        Objects.requireNonNull(loadedAt, "loadedAt");
    }
}
