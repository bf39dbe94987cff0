package io.hedgerow.exec;

import io.hedgerow.config.ModelSettings;
import io.hedgerow.config.Price;
import io.hedgerow.model.ChatRequest;
import io.hedgerow.route.Candidate;
import io.hedgerow.route.PromptSize;

import java.util.Optional;

/**
 * What one request's attempts would cost, for the hedge budget's {@code max-cost-share}: the candidate's configured
 * price for the prompt (estimated at a token per 4 characters) and for {@code max_tokens} of output ({@value
 * #DEFAULT_OUTPUT_TOKENS} when the request sets none), as if the attempt ran to its end. A cancelled loser costs less
 * (its prompt and a few tokens), so the spend this counts for hedges is an upper bound of what they cost. A candidate
 * with no declared price costs 0: it counts against the request share only. Confined to the race's thread.
 */
final class HedgeCosts {
    /** The output assumed when a request does not limit it. */
    static final int DEFAULT_OUTPUT_TOKENS = 256;

    private final long promptTokens;
    private final long outputTokens;

    HedgeCosts(long promptTokens, long outputTokens) {
        this.promptTokens = Math.max(0, promptTokens);
        this.outputTokens = Math.max(0, outputTokens);
    }

    static HedgeCosts of(Job<?> job) {
        return switch (job) {
            case Job.Chat chat -> {
                ChatRequest request = chat.request();
                long output = request.sampling().maxTokens().orElse(DEFAULT_OUTPUT_TOKENS);
                yield new HedgeCosts(PromptSize.estimateTokens(request) - request.sampling().maxTokens().orElse(0),
                                     output);
            }
            // Vectors have no output tokens: an embedding costs its input.
            case Job.Embedding embedding -> new HedgeCosts(embedding.promptTokens(), 0);
        };
    }

    /** The prompt's estimated tokens (a token per 4 characters; the output limit not counted). */
    long promptTokens() {
        return promptTokens;
    }

    /** The candidate's estimated cost for this request, in dollars; 0 when its price is not declared. */
    double of(Candidate candidate) {
        Optional<Price> price = Optional.ofNullable(candidate.provider().models().get(candidate.model()))
                .flatMap(ModelSettings::price);
        return price.map(p -> p.cost(promptTokens, 0, outputTokens)).orElse(0.0);
    }
}
