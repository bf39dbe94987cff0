package io.hedgerow.config;

/**
 * What a model costs, in US dollars per million tokens.
 *
 * @param inputPerMillion  per million prompt (input) tokens
 * @param outputPerMillion per million completion (output) tokens
 */
public record Price(double inputPerMillion, double outputPerMillion) {
    public Price {
        Checks.within("price.input", inputPerMillion, 0, 1_000_000, "0..1000000");
        Checks.within("price.output", outputPerMillion, 0, 1_000_000, "0..1000000");
    }

    /** The cost of these token counts, in dollars. */
    public double cost(long inputTokens, long outputTokens) {
        return (inputTokens * inputPerMillion + outputTokens * outputPerMillion) / 1_000_000d;
    }
}
