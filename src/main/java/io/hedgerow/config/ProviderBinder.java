package io.hedgerow.config;

import io.hedgerow.model.Role;

import java.net.URI;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Binds one entry of {@code providers}: its type, where it lives, its keys (through {@link Secrets}), headers,
 * role map, timeouts, models and limits. A provider whose type cannot be read is left out, and the routes that use it
 * say so.
 */
final class ProviderBinder {
    static final Keys PROVIDER = Keys.of("providers.NAME", "type", "base-url", "keys", "headers", "role-map",
                                         "timeouts", "models", "sim", "key-rotation", "prefill", "max-concurrent",
                                         "direct-models", "max-response-size", "region", "auth", "aws-profile",
                                         "control-url", "responses", "embedding-batch");
    static final Keys EMBEDDING_BATCH = Keys.of("providers.NAME.embedding-batch", "max-inputs", "max-tokens");
    static final Keys TIMEOUTS = Keys.of("defaults.timeouts", "connect", "first-token", "idle", "total");
    static final Keys DEFAULTS = Keys.of("defaults", "timeouts");
    private static final String TYPES = "openai, anthropic, ollama, bedrock or sim";

    private final Secrets secrets;
    private final Timeouts defaults;

    ProviderBinder(Secrets secrets, Timeouts defaults) {
        this.secrets = secrets;
        this.defaults = defaults;
    }

    static List<Keys> keys() {
        List<Keys> keys = new ArrayList<>(List.of(DEFAULTS, TIMEOUTS, PROVIDER, EMBEDDING_BATCH, Secrets.KEY));
        keys.addAll(ModelsBinder.keys());
        keys.addAll(SimBinder.keys());
        return keys;
    }

    /** {@code defaults.timeouts}, or a provider's {@code timeouts} over them. */
    static Timeouts timeouts(ConfigNode node, Timeouts d) {
        node.check(TIMEOUTS);
        return new Timeouts(node.get("connect").positive().orElse(d.connect()),
                            node.get("first-token").positive().orElse(d.firstToken()),
                            node.get("idle").positive().orElse(d.idle()),
                            node.get("total").positive().orElse(d.total()));
    }

    Optional<ProviderConfig> bind(ConfigNode node) {
        node.check(PROVIDER);
        String name = node.name();
        if (name.contains("/")) {
            node.error("a provider name cannot contain '/' (chains write provider/model)");
        }
        ConfigNode typeNode = node.get("type");
        Optional<String> typeName = typeNode.text();
        if (typeName.isEmpty()) {
            typeNode.error("missing (expected: " + TYPES + ")");
            return Optional.empty();
        }
        Optional<ProviderType> type = ProviderType.fromConfig(typeName.get());
        if (type.isEmpty()) {
            typeNode.error("'" + typeName.get() + "' (expected: " + TYPES + ")");
            return Optional.empty();
        }
        ProviderType t = type.get();
        ConfigNode urlNode = node.get("base-url");
        Optional<URI> baseUrl = urlNode.url();
        if (t.needsBaseUrl() && !urlNode.exists()) {
            urlNode.error("missing (a " + t.configName() + " provider needs one)");
        }
        ConfigNode keysNode = node.get("keys");
        List<ApiKey> keys = keys(keysNode);
        if (t.needsKey() && !keysNode.exists()) {
            keysNode.error("none configured (a " + t.configName()
                    + " provider needs at least one key, e.g. keys: [\"${ENV_VAR}\"])");
        }
        Map<String, String> headers = node.get("headers").stringMap();
        Map<Role, Role> roleMap = roleMap(node.get("role-map"));
        Timeouts timeouts = timeouts(node.get("timeouts"), defaults);
        SimSettings sim = t == ProviderType.SIM ? SimBinder.bind(node.get("sim")) : SimSettings.DEFAULTS;
        KeyRotation rotation = node.get("key-rotation").choice(
                Map.of("ordered", KeyRotation.ORDERED, "round-robin", KeyRotation.ROUND_ROBIN),
                "ordered or round-robin").orElse(KeyRotation.ORDERED);
        Map<String, ModelSettings> models = ModelsBinder.bind(node.get("models"));
        boolean prefill = node.get("prefill").bool().orElse(t == ProviderType.ANTHROPIC);
        ConfigNode responsesNode = node.get("responses");
        boolean responses = responsesNode.bool().orElse(false);
        if (responses && t != ProviderType.OPENAI) {
            responsesNode.error("a " + t.configName() + " provider cannot serve OpenAI's Responses API (expected: "
                    + "only on type openai, for an upstream that serves POST {base-url}/responses)");
        }
        if (!t.servesEmbeddings()) {
            ConfigNode modelsNode = node.get("models");
            for (ConfigNode entry : modelsNode.isList() ? modelsNode.items() : List.<ConfigNode>of()) {
                if (entry.get("embedding-space").exists()) {
                    entry.get("embedding-space").error("a " + t.configName() + " provider serves no embeddings "
                            + "(expected: only on openai, ollama or sim providers)");
                }
            }
        }
        return Optional.of(new ProviderConfig(name, t, baseUrl, keys, headers, roleMap, timeouts, sim, rotation, models,
                                              prefill, limits(node),
                                              BedrockBinder.bind(node, t, keysNode.exists() && !keys.isEmpty()),
                                              responses, embeddingBatch(node.get("embedding-batch"))));
    }

    /** {@code embedding-batch: {max-inputs, max-tokens}} over {@link EmbeddingBatch#DEFAULTS}. */
    private static EmbeddingBatch embeddingBatch(ConfigNode node) {
        EmbeddingBatch d = EmbeddingBatch.DEFAULTS;
        if (!node.exists()) {
            return d;
        }
        node.check(EMBEDDING_BATCH);
        return node.build(() -> new EmbeddingBatch(
                node.get("max-inputs").integer(1, 1_000_000).orElse(d.maxInputs()),
                node.get("max-tokens").integer(1, Integer.MAX_VALUE).map(Integer::longValue).orElse(d.maxTokens())),
                          d);
    }

    private List<ApiKey> keys(ConfigNode node) {
        List<ApiKey> keys = new ArrayList<>();
        if (!node.exists()) {
            return keys;
        }
        if (!node.isList()) {
            node.error("must be a list (e.g. keys: [\"${OPENAI_API_KEY}\"])");
            return keys;
        }
        for (ConfigNode entry : node.items()) {
            secrets.resolve(entry, Optional.empty()).ifPresent(r -> keys.add(r.key()));
        }
        Set<String> labels = new LinkedHashSet<>();
        for (ApiKey k : keys) {
            if (!labels.add(k.label())) {
                node.error("two keys share the label '" + k.label() + "' (labels name keys in metrics)");
            }
        }
        return keys;
    }

    private static Map<Role, Role> roleMap(ConfigNode node) {
        Map<Role, Role> map = new LinkedHashMap<>();
        node.stringMap().forEach((from, to) -> {
            Optional<Role> fromRole = Role.fromWire(from).filter(ProviderConfig.MAPPABLE_ROLES::contains);
            Optional<Role> toRole = Role.fromWire(to).filter(ProviderConfig.MAPPABLE_ROLES::contains);
            if (fromRole.isEmpty() || toRole.isEmpty()) {
                node.get(from).error("'" + from + " -> " + to + "' (expected: roles among system, developer, user; "
                        + "assistant and tool messages are never rewritten)");
            } else {
                map.put(fromRole.get(), toRole.get());
            }
        });
        return map;
    }

    private static ProviderLimits limits(ConfigNode node) {
        ProviderLimits d = ProviderLimits.DEFAULTS;
        return node.build(() -> new ProviderLimits(
                node.get("max-concurrent").integer(1, 100_000).orElse(d.maxConcurrent()),
                node.get("max-response-size").size(1024, 1024L * 1024 * 1024, "1KiB to 1GiB")
                        .orElse(d.maxResponseBytes()),
                node.get("direct-models").choice(Map.of("declared", false, "any", true), "declared or any")
                        .orElse(d.anyDirectModel())), d);
    }
}
