package io.hedgerow.state;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Where the Responses API answers the router produced are kept, so that a client can continue a conversation with
 * {@code previous_response_id} on any provider of its route (after a failover too) and read or delete what it stored.
 * Bounded: what does not fit, or is too old, is forgotten, and a conversation that needs it is then unknown.
 * In this process by default ({@link MemoryConversationStore}); in a fleet, in Redis ({@code RedisConversations}).
 * {@link #get}, {@link #delete} and {@link #conversation} may throw {@link Unreachable}.
 */
public interface ConversationStore {
    /** The longest chain of responses a conversation is followed through. */
    int MAX_CHAIN = 10_000;

    /**
     * The store could not tell: a shared store that did not answer in time, and no copy of the response here. Not
     * "unknown": the response may well exist (the client may retry).
     */
    final class Unreachable extends RuntimeException {
        public Unreachable(String message) {
            super(message);
        }
    }

    /** New bounds (a config reload): what no longer fits is forgotten. */
    void settings(io.hedgerow.config.ConversationSettings settings);

    /** Keeps a response (replacing one of the same id); false when it is too large to keep at all. */
    boolean put(StoredResponse response);

    Optional<StoredResponse> get(String id);

    /** Forgets a response; false when it was not kept. */
    boolean delete(String id);

    /**
     * The conversation that ends with response {@code id}: every response of its chain, oldest first. Empty when
     * {@code id} or any response it continues is no longer kept (the conversation cannot be rebuilt whole).
     */
    default Optional<List<StoredResponse>> conversation(String id) {
        List<StoredResponse> chain = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        Optional<String> next = Optional.of(id);
        while (next.isPresent()) {
            if (!seen.add(next.get()) || chain.size() >= MAX_CHAIN) {
                return Optional.empty();
            }
            Optional<StoredResponse> response = get(next.get());
            if (response.isEmpty()) {
                return Optional.empty();
            }
            chain.add(response.get());
            next = response.get().previousId();
        }
        Collections.reverse(chain);
        return Optional.of(chain);
    }
}
