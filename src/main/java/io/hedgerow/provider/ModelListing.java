package io.hedgerow.provider;

import com.fasterxml.jackson.databind.JsonNode;
import io.hedgerow.config.ApiKey;
import io.hedgerow.model.FailureKind;
import io.hedgerow.json.Json;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * What a provider's list of models answered for a key it accepted: the ids of the models it serves, when the answer
 * listed them completely. Empty {@link #ids()} means "accepted, but no list to judge by": the list was larger than
 * {@link HttpUpstream#MAX_LISTING_BYTES}, it had more pages, or the provider lists nothing (the simulator without
 * declared models).
 *
 * @param ids the model ids listed, in the provider's order
 */
public record ModelListing(Optional<List<String>> ids) {
    /** A dated snapshot of an alias: {@code claude-sonnet-4-5-20250929} for {@code claude-sonnet-4-5}. */
    private static final Pattern DATE_SUFFIX = Pattern.compile("-\\d{8}");

    public ModelListing {
        Objects.requireNonNull(ids, "ids");
        ids = ids.map(List::copyOf);
    }

    /** A complete list. */
    public static ModelListing of(List<String> ids) {
        return new ModelListing(Optional.of(ids));
    }

    /** The key was accepted; there is no list to judge models by. */
    public static ModelListing unlisted() {
        return new ModelListing(Optional.empty());
    }

    /**
     * Whether the list names {@code model}: as an id, or as an id with Ollama's implicit {@code :latest} tag, or as
     * an alias whose dated snapshot is listed (Anthropic lists {@code claude-sonnet-4-5-20250929}, not the alias
     * {@code claude-sonnet-4-5} that requests may use). Empty when there is no list.
     */
    public Optional<Boolean> lists(String model) {
        Objects.requireNonNull(model, "model");
        return ids.map(list -> list.stream().anyMatch(id -> id.equals(model) || id.equals(model + ":latest")
                || id.startsWith(model) && DATE_SUFFIX.matcher(id.substring(model.length())).matches()));
    }

    /**
     * Reads a list answer: the ids are the {@code idField} of each object in the array {@code arrayField}
     * ({@code data[].id} for OpenAI and Anthropic, {@code models[].name} for Ollama). An answer without that array
     * is a {@link FailureKind#BAD_RESPONSE} (a base URL that points at a web page, say), unless it carries an error
     * object, which is classified like an HTTP error with its {@code code} (OpenRouter answers some errors with a 200).
     * Anthropic's {@code has_more: true} means the list is incomplete: the key was accepted, nothing is judged.
     *
     * @param answer the JSON answer; empty when it was too large to read (the key was still accepted)
     * @param key    the key used, to redact an error message that echoes it
     */
    public static ModelListing parse(Optional<JsonNode> answer, String arrayField, String idField,
                                     Optional<ApiKey> key) throws ProviderException {
        if (answer.isEmpty()) {
            return unlisted();
        }
        JsonNode json = answer.get();
        JsonNode array = json.get(arrayField);
        if (array == null || !array.isArray()) {
            JsonNode error = json.get("error");
            if (error != null && !error.isNull()) {
                int code = error.path("code").canConvertToInt() ? error.path("code").asInt() : 0;
                String message = error.isObject() ? Json.text(error, "message").orElse("error") : error.asText();
                throw new ProviderException(FailureClassifier.fromStatus(
                        code >= 400 && code < 600 ? code : 502, name -> Optional.empty(),
                        Json.object().put("error", message).toString(), key, java.time.Instant.EPOCH));
            }
            throw ProviderException.of(FailureKind.BAD_RESPONSE, "answer is not a list of models (no '"
                    + arrayField + "' array)");
        }
        if (json.path("has_more").asBoolean(false)) {
            return unlisted();
        }
        List<String> ids = new ArrayList<>();
        for (JsonNode entry : array) {
            JsonNode id = entry.get(idField);
            if (id != null && id.isTextual() && !id.asText().isEmpty()) {
                ids.add(id.asText());
            }
        }
        return of(ids);
    }
}
