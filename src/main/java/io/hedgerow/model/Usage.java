package io.hedgerow.model;

import java.util.Objects;
import java.util.Optional;

/**
 * Token counts reported by a provider (or estimated by the simulator), in OpenAI's sense: prompt tokens include those
 * read from the provider's prompt cache, completion tokens include reasoning tokens.
 *
 * @param promptTokens     every token of the prompt, cached or not
 * @param completionTokens every generated token, reasoning included
 * @param cachedTokens     of the prompt tokens, those read from the prompt cache; empty when the provider did not say
 * @param reasoningTokens  of the completion tokens, those spent reasoning; empty when the provider did not say
 */
public record Usage(int promptTokens, int completionTokens, Optional<Integer> cachedTokens,
                    Optional<Integer> reasoningTokens) {

    public Usage {
        Objects.requireNonNull(cachedTokens, "cachedTokens");
        Objects.requireNonNull(reasoningTokens, "reasoningTokens");
    }

    /** Counts without details. */
    public Usage(int promptTokens, int completionTokens) {
        this(promptTokens, completionTokens, Optional.empty(), Optional.empty());
    }

    public int totalTokens() {
        return promptTokens + completionTokens;
    }

    /**
     * The sum of two usages, for answers assembled from several upstream calls. A detail is present when either
     * side reported it (the other side counting 0 of it).
     */
    public Usage plus(Usage other) {
        return new Usage(promptTokens + other.promptTokens, completionTokens + other.completionTokens,
                         sum(cachedTokens, other.cachedTokens), sum(reasoningTokens, other.reasoningTokens));
    }

    private static Optional<Integer> sum(Optional<Integer> a, Optional<Integer> b) {
        return a.isEmpty() && b.isEmpty() ? Optional.empty() : Optional.of(a.orElse(0) + b.orElse(0));
    }
}
