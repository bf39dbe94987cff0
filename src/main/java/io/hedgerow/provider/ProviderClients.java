package io.hedgerow.provider;

import io.hedgerow.config.ProviderConfig;
import io.hedgerow.provider.anthropic.AnthropicProvider;
import io.hedgerow.provider.ollama.OllamaProvider;
import io.hedgerow.provider.openai.OpenAiProvider;
import io.hedgerow.provider.sim.SimProvider;

import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.random.RandomGenerator;

/** Builds the adapter for each configured provider, by its type. */
public final class ProviderClients {

    private ProviderClients() {
    }

    /** One client per provider, keyed by provider name, in config order. */
    public static Map<String, ProviderClient> create(Map<String, ProviderConfig> providers, Clock clock,
                                                     RandomGenerator random) {
        Map<String, ProviderClient> clients = new LinkedHashMap<>();
        providers.forEach((name, config) -> clients.put(name, create(config, clock, random)));
        return clients;
    }

    static ProviderClient create(ProviderConfig config, Clock clock, RandomGenerator random) {
        return switch (config.type()) {
            case OPENAI -> new OpenAiProvider(config, clock);
            case ANTHROPIC -> new AnthropicProvider(config, clock);
            case OLLAMA -> new OllamaProvider(config, clock);
            case SIM -> new SimProvider(config, random);
        };
    }
}
