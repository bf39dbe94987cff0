package io.hedgerow.config;

/**
 * How large one embeddings call to a provider may be. A larger request is split into calls within both limits (by
 * the tightest limits among its route's candidates) and its vectors put back together in order.
 *
 * @param maxInputs inputs per call
 * @param maxTokens estimated tokens per call, all inputs together (a text counts one token per 3 bytes of UTF-8,
 *                  a deliberately generous estimate; a token array counts its length)
 */
public record EmbeddingBatch(int maxInputs, long maxTokens) {
    /** OpenAI's own limits: 2048 inputs and 300,000 tokens per request. */
    public static final EmbeddingBatch DEFAULTS = new EmbeddingBatch(2048, 300_000);

    public EmbeddingBatch {
        Checks.atLeast("embedding-batch.max-inputs", maxInputs, 1);
        if (maxTokens < 1) {
            throw new IllegalArgumentException("embedding-batch.max-tokens: " + maxTokens + " (expected: at least 1)");
        }
    }

    /** The tighter of two limits, each part on its own. */
    public EmbeddingBatch tightest(EmbeddingBatch other) {
        return new EmbeddingBatch(Math.min(maxInputs, other.maxInputs), Math.min(maxTokens, other.maxTokens));
    }
}
