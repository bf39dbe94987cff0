package io.hedgerow.config;

import io.hedgerow.model.Role;

import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * One upstream provider, as configured.
 *
 * @param name     the name routes use to refer to it
 * @param type     its wire format
 * @param baseUrl  where it lives (empty for the simulator); for {@code openai} it includes the version path,
 *                 e.g. {@code https://api.openai.com/v1}
 * @param keys     its credentials, in the order they are tried
 * @param headers  extra request headers, e.g. a User-Agent that a picky endpoint requires
 * @param roleMap  roles rewritten before sending, e.g. {@code developer -> system}; only system, developer and
 *                 user messages can be mapped, so tool calls and tool results are never touched
 * @param timeouts per-attempt time limits
 * @param sim      the simulator's behaviour (type {@code sim} only)
 * @param keyRotation how keys are chosen: the first available in order, or round robin
 * @param models   what is declared about its models (context windows), by model name
 * @param prefill  whether it continues a trailing assistant message (Anthropic does; some OpenAI-compatible
 *                 servers do), so a broken stream can be finished there from the text already delivered
 * @param limits   its bulkhead (attempts in flight at once) and the largest answer read from it
 * @param bedrock  region and authentication of a {@code bedrock} provider; empty for other types
 * @param responses whether it serves OpenAI's Responses API ({@code POST {base-url}/responses}) itself: a Responses
 *                 request is then sent as the client wrote it; otherwise it is translated to Chat Completions
 * @param embeddingBatch how large one embeddings call to it may be
 */
public record ProviderConfig(String name,
                             ProviderType type,
                             Optional<URI> baseUrl,
                             List<ApiKey> keys,
                             Map<String, String> headers,
                             Map<Role, Role> roleMap,
                             Timeouts timeouts,
                             SimSettings sim,
                             KeyRotation keyRotation,
                             Map<String, ModelSettings> models,
                             boolean prefill,
                             ProviderLimits limits,
                             Optional<BedrockSettings> bedrock,
                             boolean responses,
                             EmbeddingBatch embeddingBatch) {
    /**
     * The roles a role map may rewrite, and rewrite to. Assistant and tool messages carry tool calls and
     * their results, so they are never rewritten.
     */
    public static final Set<Role> MAPPABLE_ROLES = Set.of(Role.SYSTEM, Role.DEVELOPER, Role.USER);

    public ProviderConfig {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(baseUrl, "baseUrl");
        keys = List.copyOf(keys);
        headers = Map.copyOf(headers);
        roleMap = Map.copyOf(roleMap);
        Objects.requireNonNull(timeouts, "timeouts");
        Objects.requireNonNull(sim, "sim");
        Objects.requireNonNull(keyRotation, "keyRotation");
        models = Map.copyOf(models);
        Objects.requireNonNull(limits, "limits");
        Objects.requireNonNull(bedrock, "bedrock");
        Objects.requireNonNull(embeddingBatch, "embeddingBatch");
    }

    /** A provider that does not serve the Responses API itself, with the default embedding batches. */
    public ProviderConfig(String name, ProviderType type, Optional<URI> baseUrl, List<ApiKey> keys,
                          Map<String, String> headers, Map<Role, Role> roleMap, Timeouts timeouts, SimSettings sim,
                          KeyRotation keyRotation, Map<String, ModelSettings> models, boolean prefill,
                          ProviderLimits limits, Optional<BedrockSettings> bedrock) {
        this(name, type, baseUrl, keys, headers, roleMap, timeouts, sim, keyRotation, models, prefill, limits, bedrock,
             false, EmbeddingBatch.DEFAULTS);
    }

    /** A provider that is not a Bedrock one. */
    public ProviderConfig(String name, ProviderType type, Optional<URI> baseUrl, List<ApiKey> keys,
                          Map<String, String> headers, Map<Role, Role> roleMap, Timeouts timeouts, SimSettings sim,
                          KeyRotation keyRotation, Map<String, ModelSettings> models, boolean prefill,
                          ProviderLimits limits) {
        this(name, type, baseUrl, keys, headers, roleMap, timeouts, sim, keyRotation, models, prefill, limits,
             Optional.empty());
    }

    /** A provider with the default limits. */
    public ProviderConfig(String name, ProviderType type, Optional<URI> baseUrl, List<ApiKey> keys,
                          Map<String, String> headers, Map<Role, Role> roleMap, Timeouts timeouts, SimSettings sim,
                          KeyRotation keyRotation, Map<String, ModelSettings> models, boolean prefill) {
        this(name, type, baseUrl, keys, headers, roleMap, timeouts, sim, keyRotation, models, prefill,
             ProviderLimits.DEFAULTS);
    }

    /** A provider with keys tried in order and nothing declared about its models. */
    public ProviderConfig(String name, ProviderType type, Optional<URI> baseUrl, List<ApiKey> keys,
                          Map<String, String> headers, Map<Role, Role> roleMap, Timeouts timeouts, SimSettings sim) {
        this(name, type, baseUrl, keys, headers, roleMap, timeouts, sim, KeyRotation.ORDERED, Map.of());
    }

    /** A provider whose prefill support is its type's default (Anthropic yes, others no). */
    public ProviderConfig(String name, ProviderType type, Optional<URI> baseUrl, List<ApiKey> keys,
                          Map<String, String> headers, Map<Role, Role> roleMap, Timeouts timeouts, SimSettings sim,
                          KeyRotation keyRotation, Map<String, ModelSettings> models) {
        this(name, type, baseUrl, keys, headers, roleMap, timeouts, sim, keyRotation, models,
             type == ProviderType.ANTHROPIC);
    }

    /** This provider with other limits. */
    public ProviderConfig withLimits(ProviderLimits newLimits) {
        return new ProviderConfig(name, type, baseUrl, keys, headers, roleMap, timeouts, sim, keyRotation, models,
                                  prefill, newLimits, bedrock, responses, embeddingBatch);
    }

    /** This provider serving the Responses API itself, or not. */
    public ProviderConfig withResponses(boolean serves) {
        return new ProviderConfig(name, type, baseUrl, keys, headers, roleMap, timeouts, sim, keyRotation, models,
                                  prefill, limits, bedrock, serves, embeddingBatch);
    }

    /** This provider with other embedding batch limits. */
    public ProviderConfig withEmbeddingBatch(EmbeddingBatch batch) {
        return new ProviderConfig(name, type, baseUrl, keys, headers, roleMap, timeouts, sim, keyRotation, models,
                                  prefill, limits, bedrock, responses, batch);
    }

    /** The embedding space a model declares, if config declares one. */
    public Optional<String> embeddingSpace(String model) {
        ModelSettings settings = models.get(model);
        return settings == null ? Optional.empty() : settings.embeddingSpace();
    }

    /** The declared context window of a model, if config declares one. */
    public Optional<Integer> contextWindow(String model) {
        ModelSettings settings = models.get(model);
        return settings == null ? Optional.empty() : settings.contextWindow();
    }
}
