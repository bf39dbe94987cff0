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
    private static final Set<String> CREDENTIAL_HEADERS = Set.of("authorization", "x-api-key", "api-key");
    private static final String TYPES = "openai, anthropic, ollama, bedrock or sim";

    private final Secrets secrets;
    private final Timeouts defaults;
    private final Map<String, List<ConfigDraft.MissingKey>> missing = new LinkedHashMap<>();
    private final Set<String> broken = new LinkedHashSet<>();

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

    /** By provider, the keys bound so far that could not be resolved. */
    Map<String, List<ConfigDraft.MissingKey>> missingKeys() {
        return missing;
    }

    /** The providers bound so far with errors other than missing keys. */
    Set<String> broken() {
        return broken;
    }

    /** One provider, or empty when its type cannot be read; its errors are reported on the way. */
    Optional<ProviderConfig> bind(ConfigNode node) {
        int errorsBefore = node.errorCount();
        Optional<ProviderConfig> provider = read(node);
        int keyErrors = missing.getOrDefault(node.name(), List.of()).size();
        if (node.errorCount() - errorsBefore > keyErrors) {
            broken.add(node.name());
        }
        return provider;
    }

    private Optional<ProviderConfig> read(ConfigNode node) {
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
        List<ApiKey> keys = keys(keysNode, node.name());
        if (t.needsKey() && !keysNode.exists()) {
            keysNode.error("none configured (a " + t.configName()
                    + " provider needs at least one key, e.g. keys: [\"${ENV_VAR}\"])");
        }
        Map<String, String> headers = headers(node.get("headers"), keysNode.exists());
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

    private List<ApiKey> keys(ConfigNode node, String provider) {
        List<ApiKey> keys = new ArrayList<>();
        if (!node.exists()) {
            return keys;
        }
        if (!node.isList()) {
            node.error("must be a list (e.g. keys: [\"${OPENAI_API_KEY}\"])");
            return keys;
        }
        Map<String, String> sources = new LinkedHashMap<>(); // where a key came from -> which entry
        Map<String, String> values = new LinkedHashMap<>();  // a key's value -> which entry (never printed)
        for (ConfigNode entry : node.items()) {
            Optional<Secrets.Resolved> resolved = secrets.resolve(entry, Optional.empty());
            if (resolved.isEmpty() && !entry.errorsHere().isEmpty()) {
                String label = entry.get("label").text().orElse("keys" + entry.name());
                missing.computeIfAbsent(provider, p -> new ArrayList<>())
                        .add(new ConfigDraft.MissingKey(label, entry.errorsHere().getFirst()));
            }
            resolved.ifPresent(r -> {
                keys.add(r.key());
                String where = "keys" + entry.name();
                String sameSource = r.source().equals("literal") ? null : sources.putIfAbsent(r.source(), where);
                String sameValue = values.putIfAbsent(r.key().value(), where);
                if (sameSource != null) {
                    entry.warn(r.source().replace("env:", "environment variable ").replace("file:", "key file ")
                            + " is also " + sameSource + ": the same key twice (one rate-limit domain: a 429 or 401 on "
                            + "one is a 429 or 401 on the other, so rotating to it gains nothing)");
                } else if (sameValue != null) {
                    entry.warn("the same key as " + sameValue + " (one rate-limit domain: rotating to it gains "
                            + "nothing)");
                }
            });
        }
        Set<String> labels = new LinkedHashSet<>();
        for (ApiKey k : keys) {
            if (!labels.add(k.label())) {
                node.error("two keys share the label '" + k.label() + "' (labels name keys in metrics)");
            }
        }
        return keys;
    }

    /**
     * Extra request headers, as written. A credential header beside {@code keys} is refused: it would send a second
     * credential that rotation, cooldowns and live checks know nothing of.
     */
    private static Map<String, String> headers(ConfigNode node, boolean hasKeys) {
        Map<String, String> headers = node.stringMap();
        if (hasKeys) {
            for (String name : headers.keySet()) {
                if (CREDENTIAL_HEADERS.contains(name.toLowerCase(java.util.Locale.ROOT))) {
                    node.get(name).error("a credential header beside keys (expected: the credential in keys:, "
                            + "which Hedgerow sends, rotates, cools down and checks; remove this header)");
                }
            }
        }
        return headers;
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
