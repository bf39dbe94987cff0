package io.hedgerow.provider;

import io.hedgerow.config.ProviderConfig;
import io.hedgerow.provider.anthropic.AnthropicProvider;
import io.hedgerow.provider.bedrock.BedrockProvider;
import io.hedgerow.provider.ollama.OllamaProvider;
import io.hedgerow.provider.openai.OpenAiProvider;
import io.hedgerow.provider.sim.SimProvider;

import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.identity.spi.AwsCredentialsIdentity;

import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
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
            case BEDROCK -> new BedrockProvider(config, config.bedrock().orElseThrow(() -> new IllegalArgumentException(
                    "provider " + config.name() + " has no bedrock settings")), clock, awsCredentials(config));
            case SIM -> new SimProvider(config, random);
        };
    }

    /**
     * The standard AWS credential chain (environment, system properties, web identity, the profile's files and SSO,
     * container and instance credentials), built lazily: a provider in {@code api-key} mode never touches it. The
     * SDK's provider caches what it found and refreshes temporary credentials before they expire.
     */
    private static Supplier<AwsCredentialsIdentity> awsCredentials(ProviderConfig config) {
        Optional<String> profile = config.bedrock().flatMap(b -> b.profile());
        java.util.concurrent.atomic.AtomicReference<DefaultCredentialsProvider> chain =
                new java.util.concurrent.atomic.AtomicReference<>();
        return () -> {
            DefaultCredentialsProvider provider = chain.get();
            if (provider == null) {
                DefaultCredentialsProvider.Builder builder = DefaultCredentialsProvider.builder();
                profile.ifPresent(builder::profileName);
                chain.compareAndSet(null, builder.build());
                provider = chain.get();
            }
            return provider.resolveCredentials();
        };
    }
}
