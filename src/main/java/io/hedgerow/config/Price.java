package io.hedgerow.config;

/**
 * What a model costs, in US dollars per million tokens.
 *
 * <p>A call's cost is {@code ((prompt - cached) × input + cached × cachedInput + output × output) / 1,000,000}: the
 * prompt tokens read from the provider's prompt cache are billed at the cached price (providers charge 10-50 % of
 * the input price for them), the rest of the prompt at the input price.
 *
 * @param inputPerMillion       per million prompt (input) tokens not read from the prompt cache
 * @param cachedInputPerMillion per million prompt tokens read from the prompt cache; at most the input price
 * @param outputPerMillion      per million completion (output) tokens, reasoning included
 */
public record Price(double inputPerMillion, double cachedInputPerMillion, double outputPerMillion) {
    public Price {
        Checks.within("price.input", inputPerMillion, 0, 1_000_000, "0..1000000");
        Checks.within("price.cached-input", cachedInputPerMillion, 0, inputPerMillion,
                      "0.." + trim(inputPerMillion) + ", at most the input price");
        Checks.within("price.output", outputPerMillion, 0, 1_000_000, "0..1000000");
    }

    /** A price with no discount for cached prompt tokens: they cost as much as the others. */
    public Price(double inputPerMillion, double outputPerMillion) {
        this(inputPerMillion, inputPerMillion, outputPerMillion);
    }

    /**
     * The cost of these token counts, in dollars.
     *
     * @param promptTokens every prompt token, cached or not (OpenAI's {@code prompt_tokens})
     * @param cachedTokens of those, the ones read from the prompt cache (counted as at most {@code promptTokens})
     * @param outputTokens completion tokens
     */
    public double cost(long promptTokens, long cachedTokens, long outputTokens) {
        long cached = Math.clamp(cachedTokens, 0, Math.max(0, promptTokens));
        return ((promptTokens - cached) * inputPerMillion + cached * cachedInputPerMillion
                + outputTokens * outputPerMillion) / 1_000_000d;
    }

    /** The cost of these token counts, none read from the prompt cache, in dollars. */
    public double cost(long promptTokens, long outputTokens) {
        return cost(promptTokens, 0, outputTokens);
    }

    private static String trim(double d) {
        return d == Math.rint(d) && Math.abs(d) < 1e15 ? Long.toString((long) d) : Double.toString(d);
    }
}
