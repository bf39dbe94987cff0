package io.hedgerow.api;

import io.hedgerow.model.ChatRequest;
import io.hedgerow.provider.ProviderCall;
import io.hedgerow.provider.ProviderException;
import io.hedgerow.route.Candidate;
import io.hedgerow.route.PromptSize;
import io.hedgerow.route.RoutePlan;

import java.util.Optional;

/**
 * The answer to a {@code count_tokens} request: the count of the route's first candidate whose provider counts
 * (Anthropic's {@code /v1/messages/count_tokens}, with the provider's first key), trying the next on a failure; else
 * the router's own estimate (4 characters a token; see {@link PromptSize}), which says so.
 *
 * @param inputTokens the count
 * @param source      {@code upstream} or {@code estimate}, sent as {@code x-hedgerow-token-count}
 * @param countedBy   the provider that counted, when one did
 */
record TokenCount(long inputTokens, String source, Optional<String> countedBy) {
    private static final System.Logger LOG = System.getLogger(TokenCount.class.getName());

    static TokenCount of(RoutePlan plan, ChatRequest request) {
        for (Candidate candidate : plan.candidates()) {
            ProviderCall call = new ProviderCall(request, candidate.model(),
                                                 candidate.provider().keys().stream().findFirst());
            try {
                Optional<Integer> counted = candidate.client().countTokens(call);
                if (counted.isPresent()) {
                    return new TokenCount(counted.get(), "upstream", Optional.of(candidate.provider().name()));
                }
            } catch (ProviderException e) {
                LOG.log(System.Logger.Level.INFO, "count_tokens on {0} failed: {1}", candidate.label(),
                        e.getMessage());
            }
        }
        return new TokenCount(PromptSize.estimateTokens(request), "estimate", Optional.empty());
    }
}
