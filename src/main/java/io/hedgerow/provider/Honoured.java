package io.hedgerow.provider;

import io.hedgerow.model.ChatRequest;

import java.util.Collection;
import java.util.Map;
import java.util.Optional;

/**
 * The OpenAI request fields a provider of another dialect has no way to honour, and which would change what the
 * client gets if they were left out: asked of such a provider, the request is refused for it (the candidate is passed
 * over; with none left, a 400 names each). Fields that only tune how an answer is made (a seed, penalties, a cache
 * key) are translated where the dialect has an equivalent and otherwise dropped, as docs/providers.md lists; they are
 * not here.
 *
 * <ul>
 *   <li>{@code logprobs: true}, {@code top_logprobs}: the answer would come without the log probabilities asked
 *   for;</li>
 *   <li>{@code logit_bias}: tokens the client banned or favoured would not be;</li>
 *   <li>audio output ({@code modalities} with {@code audio}, {@code audio}): there would be no audio;</li>
 *   <li>{@code web_search_options}: the model would answer without searching.</li>
 * </ul>
 */
public final class Honoured {
    private Honoured() {
    }

    /** Why {@code provider} (of {@code dialect}, named for people) cannot honour the request, if so. */
    public static Optional<String> refused(ChatRequest request, String provider, String dialect) {
        Map<String, Object> fields = request.passthrough();
        String cannot = provider + " cannot honour ";
        if (Boolean.TRUE.equals(fields.get("logprobs")) || fields.containsKey("top_logprobs")) {
            return Optional.of(cannot + "logprobs (" + dialect + " returns no log probabilities)");
        }
        if (fields.get("logit_bias") instanceof Map<?, ?> bias && !bias.isEmpty()) {
            return Optional.of(cannot + "logit_bias (" + dialect + " has no token bias)");
        }
        if (fields.containsKey("audio") || fields.get("modalities") instanceof Collection<?> modalities
                && modalities.contains("audio")) {
            return Optional.of(cannot + "audio output (" + dialect + " answers in text)");
        }
        if (fields.containsKey("web_search_options")) {
            return Optional.of(cannot + "web_search_options (" + dialect + " does not search the web here)");
        }
        return Optional.empty();
    }
}
