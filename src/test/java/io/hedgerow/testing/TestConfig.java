package io.hedgerow.testing;

import io.hedgerow.config.ApiKey;
import io.hedgerow.config.BreakerSettings;
import io.hedgerow.config.BudgetSettings;
import io.hedgerow.config.ConversationSettings;
import io.hedgerow.config.CooldownSettings;
import io.hedgerow.config.EmbeddingBatch;
import io.hedgerow.config.DemotionSettings;
import io.hedgerow.config.FailoverSettings;
import io.hedgerow.config.HedgeSettings;
import io.hedgerow.config.HedgingSettings;
import io.hedgerow.config.KeyRotation;
import io.hedgerow.config.ModelSettings;
import io.hedgerow.config.ObserveSettings;
import io.hedgerow.config.PreflightSettings;
import io.hedgerow.config.RetrySettings;
import io.hedgerow.config.CandidateRef;
import io.hedgerow.config.HedgerowConfig;
import io.hedgerow.config.ProviderConfig;
import io.hedgerow.config.ProviderType;
import io.hedgerow.config.RouteConfig;
import io.hedgerow.config.ServerLimits;
import io.hedgerow.config.ServerSettings;
import io.hedgerow.config.ClientAccess;
import io.hedgerow.config.ProviderLimits;
import io.hedgerow.config.SimSettings;
import io.hedgerow.config.Timeouts;
import io.hedgerow.model.Role;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Builds {@link HedgerowConfig}s for tests in a few lines: a router on a free loopback port, providers with
 * test keys and short timeouts, and routes written as in YAML ({@code "p1/m1"}).
 *
 * <pre>{@code
 * HedgerowConfig config = TestConfig.builder()
 *         .openAi("p1", fake.baseUrl(), p -> p.firstToken(Duration.ofMillis(300)))
 *         .sim("sim")
 *         .route("chat", "p1/m1", "sim/s1")
 *         .build();
 * }</pre>
 */
public final class TestConfig {
    /** Short enough that a broken test fails fast, long enough for a loaded two-core CI machine. */
    public static final Timeouts TIMEOUTS = new Timeouts(Duration.ofSeconds(2), Duration.ofSeconds(5),
                                                         Duration.ofSeconds(5), Duration.ofSeconds(10));
    /** A deterministic, quick simulator: first token after 1 ms, no delay between tokens, 5-token answers. */
    public static final SimSettings FAST_SIM = new SimSettings(
            new SimSettings.LatencyModel(Duration.ofMillis(1), 0, 0, 1), 0, 5, SimSettings.Faults.NONE);

    private TestConfig() {
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The key {@link Builder#openAi(String, String)} gives a provider when none is set. */
    public static String defaultKey(String provider) {
        return "sk-test-" + provider + "-0123456789";
    }

    /** A loopback port nothing listens on (bound, then released), for "connection refused". */
    public static int closedPort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Builds one config; not thread-safe. */
    public static final class Builder {
        private final Map<String, ProviderConfig> providers = new LinkedHashMap<>();
        private final Map<String, RouteConfig> routes = new LinkedHashMap<>();
        private long maxBodyBytes = ServerSettings.DEFAULT_MAX_BODY;
        private Duration requestTimeout = Duration.ofSeconds(20);
        // Tests stop their router after each test: requests left in flight end after 2 s, not the default 20 s.
        private ServerLimits limits = ServerLimits.DEFAULTS.withDrainTimeout(Duration.ofSeconds(2));
        private ClientAccess access = ClientAccess.OPEN_ON_LOOPBACK;
        private Optional<ApiKey> adminKey = Optional.empty();
        // Tests of translation and plain fallback want one attempt per candidate and no hedging, so that
        // what each upstream sees is exactly what the test scripted. Policy tests opt in.
        private FailoverSettings failover = new FailoverSettings(
                new RetrySettings(1, Duration.ofMillis(50), Duration.ofMillis(200), Duration.ofSeconds(2)),
                CooldownSettings.DEFAULTS, BreakerSettings.DEFAULTS);
        private HedgingSettings hedging = new HedgingSettings(BudgetSettings.DEFAULTS,
                                                              HedgingSettings.DEFAULTS.baseline(),
                                                              DemotionSettings.DEFAULTS, HedgeSettings.OFF);
        // No live checks of the fakes at start-up: each test's upstreams see only what it scripted. Tests of the
        // checks opt in.
        private PreflightSettings preflight = PreflightSettings.OFF;
        private io.hedgerow.config.TracingSettings tracing = io.hedgerow.config.TracingSettings.OFF;
        private ConversationSettings conversations = ConversationSettings.DEFAULTS;

        private Builder() {
        }

        /** Live checks by the running router (default: off). */
        public Builder preflight(PreflightSettings settings) {
            this.preflight = settings;
            return this;
        }

        public Builder failover(FailoverSettings settings) {
            this.failover = settings;
            return this;
        }

        /** OpenTelemetry tracing (off by default). */
        public Builder tracing(io.hedgerow.config.TracingSettings settings) {
            this.tracing = settings;
            return this;
        }

        public Builder hedging(HedgingSettings settings) {
            this.hedging = settings;
            return this;
        }

        /** Adds a route with its own policy overrides. */
        public Builder route(RouteConfig route) {
            routes.put(route.alias(), route);
            return this;
        }

        public Builder maxBodyBytes(long bytes) {
            this.maxBodyBytes = bytes;
            return this;
        }

        public Builder requestTimeout(Duration timeout) {
            this.requestTimeout = timeout;
            return this;
        }

        /** Server limits (concurrency, client timeouts, drain). */
        public Builder limits(ServerLimits value) {
            this.limits = value;
            return this;
        }

        /** Client keys. */
        public Builder access(ClientAccess value) {
            this.access = value;
            return this;
        }

        /** The admin key ({@code POST /admin/reload}). */
        public Builder adminKey(String value) {
            this.adminKey = Optional.of(ApiKey.of("admin", value));
            return this;
        }

        /** An OpenAI-compatible provider with the key {@link #defaultKey} (labelled {@code main}). */
        public Builder openAi(String name, String baseUrl) {
            return openAi(name, baseUrl, p -> { });
        }

        /** An OpenAI-compatible provider, adjusted by {@code setup}. */
        public Builder openAi(String name, String baseUrl, Consumer<Provider> setup) {
            Provider provider = new Provider(name);
            setup.accept(provider);
            providers.put(name, new ProviderConfig(name, ProviderType.OPENAI, Optional.of(URI.create(baseUrl)),
                                                   provider.keys, provider.headers, provider.roleMap,
                                                   provider.timeouts, SimSettings.DEFAULTS, KeyRotation.ORDERED,
                                                   provider.models, false, provider.limits)
                    .withResponses(provider.responses).withEmbeddingBatch(provider.embeddingBatch));
            return this;
        }

        /** An Anthropic Messages provider (it accepts prefill) with the key {@link #defaultKey}. */
        public Builder anthropic(String name, String baseUrl) {
            providers.put(name, new ProviderConfig(name, ProviderType.ANTHROPIC, Optional.of(URI.create(baseUrl)),
                                                   List.of(ApiKey.of("main", defaultKey(name))), Map.of(), Map.of(),
                                                   TIMEOUTS, SimSettings.DEFAULTS));
            return this;
        }

        /** An Anthropic Messages provider (it accepts prefill), adjusted by {@code setup}. */
        public Builder anthropic(String name, String baseUrl, Consumer<Provider> setup) {
            Provider provider = new Provider(name);
            setup.accept(provider);
            providers.put(name, new ProviderConfig(name, ProviderType.ANTHROPIC, Optional.of(URI.create(baseUrl)),
                                                   provider.keys, provider.headers, provider.roleMap,
                                                   provider.timeouts, SimSettings.DEFAULTS, KeyRotation.ORDERED,
                                                   provider.models, true, provider.limits));
            return this;
        }

        /** An AWS Bedrock provider in {@code region} taking the Bedrock API key {@link #defaultKey} as a bearer. */
        public Builder bedrock(String name, String baseUrl, String region) {
            providers.put(name, new ProviderConfig(name, ProviderType.BEDROCK, Optional.of(URI.create(baseUrl)),
                                                   List.of(ApiKey.of("main", defaultKey(name))), Map.of(), Map.of(),
                                                   TIMEOUTS, SimSettings.DEFAULTS, KeyRotation.ORDERED, Map.of(), false,
                                                   io.hedgerow.config.ProviderLimits.DEFAULTS,
                                                   Optional.of(new io.hedgerow.config.BedrockSettings(
                                                           region, io.hedgerow.config.BedrockSettings.Auth.API_KEY,
                                                           Optional.empty(), Optional.empty()))));
            return this;
        }

        /** An Ollama provider (no key). */
        public Builder ollama(String name, String baseUrl) {
            providers.put(name, new ProviderConfig(name, ProviderType.OLLAMA, Optional.of(URI.create(baseUrl)),
                                                   List.of(), Map.of(), Map.of(), TIMEOUTS, SimSettings.DEFAULTS));
            return this;
        }

        /** An Ollama provider (no key), adjusted by {@code setup} (its keys are ignored). */
        public Builder ollama(String name, String baseUrl, Consumer<Provider> setup) {
            Provider provider = new Provider(name);
            setup.accept(provider);
            providers.put(name, new ProviderConfig(name, ProviderType.OLLAMA, Optional.of(URI.create(baseUrl)),
                                                   List.of(), provider.headers, provider.roleMap, provider.timeouts,
                                                   SimSettings.DEFAULTS, KeyRotation.ORDERED, provider.models, false,
                                                   provider.limits)
                    .withEmbeddingBatch(provider.embeddingBatch));
            return this;
        }

        /** A simulated provider with {@link #FAST_SIM}, adjusted by {@code setup} (models and batches only). */
        public Builder sim(String name, Consumer<Provider> setup) {
            Provider provider = new Provider(name);
            setup.accept(provider);
            providers.put(name, new ProviderConfig(name, ProviderType.SIM, Optional.empty(), List.of(), Map.of(),
                                                   Map.of(), TIMEOUTS, FAST_SIM, KeyRotation.ORDERED, provider.models)
                    .withEmbeddingBatch(provider.embeddingBatch));
            return this;
        }

        /** The Responses API conversation store's bounds. */
        public Builder conversations(ConversationSettings settings) {
            this.conversations = settings;
            return this;
        }

        /** A simulated provider with {@link #FAST_SIM}. */
        public Builder sim(String name) {
            return sim(name, FAST_SIM);
        }

        public Builder sim(String name, SimSettings settings) {
            providers.put(name, new ProviderConfig(name, ProviderType.SIM, Optional.empty(), List.of(), Map.of(),
                                                   Map.of(), TIMEOUTS, settings));
            return this;
        }

        /** A route; each chain entry is {@code provider/model}, as in YAML. */
        public Builder route(String alias, String... chain) {
            List<CandidateRef> refs = new ArrayList<>();
            for (String entry : chain) {
                int slash = entry.indexOf('/');
                if (slash <= 0) {
                    throw new IllegalArgumentException("chain entry '" + entry + "' (expected: provider/model)");
                }
                refs.add(new CandidateRef(entry.substring(0, slash), entry.substring(slash + 1)));
            }
            routes.put(alias, new RouteConfig(alias, refs));
            return this;
        }

        /** The config, for a router on a free port of 127.0.0.1. */
        public HedgerowConfig build() {
            ServerSettings server = new ServerSettings("127.0.0.1", 0, maxBodyBytes, requestTimeout, adminKey)
                    .withLimits(limits).withAccess(access);
            return new HedgerowConfig(server, providers, routes, failover, hedging,
                                      ObserveSettings.DEFAULTS.withPreflight(preflight).withTracing(tracing))
                    .withConversations(conversations);
        }
    }

    /** The adjustable parts of one OpenAI-compatible provider. */
    public static final class Provider {
        private final List<ApiKey> keys = new ArrayList<>();
        private final Map<String, String> headers = new LinkedHashMap<>();
        private final Map<Role, Role> roleMap = new LinkedHashMap<>();
        private final Map<String, ModelSettings> models = new LinkedHashMap<>();
        private Timeouts timeouts = TIMEOUTS;
        private ProviderLimits limits = ProviderLimits.DEFAULTS;
        private boolean defaultKey = true;
        private boolean responses;
        private EmbeddingBatch embeddingBatch = EmbeddingBatch.DEFAULTS;

        private Provider(String name) {
            keys.add(ApiKey.of("main", defaultKey(name)));
        }

        /** Replaces the default key with this one; further calls add more keys. */
        public Provider key(String label, String value) {
            if (defaultKey) {
                keys.clear();
                defaultKey = false;
            }
            keys.add(ApiKey.of(label, value));
            return this;
        }

        /** Declares a model's context window. */
        public Provider model(String name, int contextWindow) {
            models.put(name, new ModelSettings(name, Optional.of(contextWindow)));
            return this;
        }

        /** Declares a model's price, in US dollars per million input and output tokens. */
        public Provider price(String name, double input, double output) {
            return price(name, input, input, output);
        }

        /** Declares a model's price, in US dollars per million input, cached input and output tokens. */
        public Provider price(String name, double input, double cachedInput, double output) {
            ModelSettings old = models.get(name);
            models.put(name, new ModelSettings(name, old == null ? Optional.empty() : old.contextWindow(),
                                               Optional.of(new io.hedgerow.config.Price(input, cachedInput, output)),
                                               old == null ? Optional.empty() : old.embeddingSpace()));
            return this;
        }

        /** Declares the embedding space a model's vectors live in. */
        public Provider embeddingSpace(String name, String space) {
            ModelSettings old = models.get(name);
            models.put(name, new ModelSettings(name, old == null ? Optional.empty() : old.contextWindow(),
                                               old == null ? Optional.empty() : old.price(), Optional.of(space)));
            return this;
        }

        /** It serves the Responses API itself ({@code responses: true}). */
        public Provider responses() {
            this.responses = true;
            return this;
        }

        /** Its embedding batch limits. */
        public Provider embeddingBatch(int maxInputs, long maxTokens) {
            this.embeddingBatch = new EmbeddingBatch(maxInputs, maxTokens);
            return this;
        }

        public Provider header(String name, String value) {
            headers.put(name, value);
            return this;
        }

        public Provider roleMap(Role from, Role to) {
            roleMap.put(from, to);
            return this;
        }

        /** A hard cap on its attempts in flight at once. */
        public Provider maxConcurrent(int value) {
            limits = new ProviderLimits(value, limits.maxResponseBytes(), limits.anyDirectModel());
            return this;
        }

        /** The largest answer read from it. */
        public Provider maxResponseBytes(long value) {
            limits = new ProviderLimits(limits.maxConcurrent(), value, limits.anyDirectModel());
            return this;
        }

        /** Clients may name any of its models as {@code provider/model} ({@code direct-models: any}). */
        public Provider anyDirectModel() {
            limits = new ProviderLimits(limits.maxConcurrent(), limits.maxResponseBytes(), true);
            return this;
        }

        public Provider timeouts(Timeouts value) {
            this.timeouts = value;
            return this;
        }

        public Provider firstToken(Duration value) {
            timeouts = new Timeouts(timeouts.connect(), value, timeouts.idle(), timeouts.total());
            return this;
        }

        public Provider idle(Duration value) {
            timeouts = new Timeouts(timeouts.connect(), timeouts.firstToken(), value, timeouts.total());
            return this;
        }

        public Provider total(Duration value) {
            timeouts = new Timeouts(timeouts.connect(), timeouts.firstToken(), timeouts.idle(), value);
            return this;
        }
    }
}
