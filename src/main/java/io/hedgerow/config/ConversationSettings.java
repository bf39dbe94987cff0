package io.hedgerow.config;

import java.time.Duration;

/**
 * How many Responses API answers the router keeps ({@code conversations:}), so that a client can continue a
 * conversation with {@code previous_response_id} on any provider of its route, and read or delete what it stored.
 * The oldest go first when either bound is reached; each is forgotten {@code ttl} after it was stored.
 *
 * @param maxResponses the most responses kept
 * @param maxBytes     the most bytes they may take (their input and output items and their response object, as JSON)
 * @param ttl          how long one is kept
 */
public record ConversationSettings(int maxResponses, long maxBytes, Duration ttl) {
    public static final ConversationSettings DEFAULTS = new ConversationSettings(10_000, 32L * 1024 * 1024,
                                                                                 Duration.ofHours(24));

    public ConversationSettings {
        Checks.atLeast("conversations.max-responses", maxResponses, 1);
        if (maxBytes < 1024) {
            throw new IllegalArgumentException("conversations.max-size: " + maxBytes + " (expected: at least 1KiB)");
        }
        Checks.positive("conversations.ttl", ttl);
    }
}
