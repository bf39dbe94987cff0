package io.hedgerow.model;

/** Token counts reported by a provider (or estimated by the simulator). */
public record Usage(int promptTokens, int completionTokens) {

    public int totalTokens() {
        return promptTokens + completionTokens;
    }

    /** The sum of two usages, for answers assembled from several upstream calls. */
    public Usage plus(Usage other) {
        return new Usage(promptTokens + other.promptTokens, completionTokens + other.completionTokens);
    }
}
