package io.hedgerow.tune;

import java.util.List;
import java.util.Objects;
import java.util.OptionalInt;

/**
 * One client request as hedging saw it, the unit {@code hedgerow tune} replays: its size, whether it streamed, and
 * each upstream attempt with when it started and how it ended. No content, no keys: only labels and numbers.
 *
 * @param atMillis        when the request arrived, milliseconds since the epoch
 * @param route           the route's name ({@code direct} for {@code provider/model} requests)
 * @param stream          whether it streamed: its attempts' times are then to their first token, else to the whole
 *                        answer
 * @param promptTokens    its prompt's tokens: as the provider reported them when it did, else the router's estimate
 * @param estimatedTokens the router's estimate before sending
 * @param cachedTokens    of the prompt, the tokens the provider read from its prompt cache, when it said
 * @param attempts        the attempts, in the order they started
 */
public record RequestSample(long atMillis, String route, boolean stream, long promptTokens, long estimatedTokens,
                            OptionalInt cachedTokens, List<Attempt> attempts) {
    public RequestSample {
        Objects.requireNonNull(route, "route");
        Objects.requireNonNull(cachedTokens, "cachedTokens");
        attempts = List.copyOf(attempts);
    }

    /** How an attempt ended. */
    public enum Outcome {
        /** It produced its first token (or whole answer): {@code millis} is its latency. */
        OK,
        /** It was cancelled (another attempt won, or the request ended) after {@code millis}: a lower bound. */
        CANCELLED,
        /** It ran out of time after {@code millis}: a lower bound. */
        TIMEOUT,
        /** It failed (an error from the provider or the connection). */
        FAILED;

        public String wireName() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }

        /** Whether {@code millis} bounds the latency from below rather than measuring it. */
        public boolean censored() {
            return this == CANCELLED || this == TIMEOUT;
        }
    }

    /**
     * One upstream attempt.
     *
     * @param candidate {@code provider/model}
     * @param role      {@code primary}, {@code retry}, {@code fallback}, {@code hedge} or {@code probe}
     * @param startMillis when it started, after the request arrived
     * @param millis    how long it ran until it ended (see {@link Outcome}); NaN when its end was not seen
     * @param outcome   how it ended
     */
    public record Attempt(String candidate, String role, double startMillis, double millis, Outcome outcome) {
        public Attempt {
            Objects.requireNonNull(candidate, "candidate");
            Objects.requireNonNull(role, "role");
            Objects.requireNonNull(outcome, "outcome");
        }

        /** Whether its end was seen. */
        public boolean ended() {
            return !Double.isNaN(millis);
        }
    }
}
