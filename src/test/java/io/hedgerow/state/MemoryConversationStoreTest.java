package io.hedgerow.state;

import io.hedgerow.config.ConversationSettings;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The conversation store's bounds (count, bytes, age) and how a conversation is rebuilt from its chain. */
class MemoryConversationStoreTest {
    private final AtomicLong now = new AtomicLong();

    @Test
    void aHundredThousandResponsesLeaveTheNewestWithinBothBounds() {
        MemoryConversationStore store = new MemoryConversationStore(
                new ConversationSettings(1_000, 64 * 1024, Duration.ofHours(1)), now::get);
        for (int i = 0; i < 100_000; i++) {
            assertTrue(store.put(response("resp_" + i, Optional.empty(), 40)));
        }
        assertTrue(store.size() <= 1_000);
        assertTrue(store.bytes() <= 64 * 1024, String.valueOf(store.bytes()));
        assertTrue(store.get("resp_99999").isPresent());
        assertTrue(store.get("resp_0").isEmpty());
    }

    @Test
    void responsesExpireAfterTheirTtlAndTooLargeOnesAreNotKept() {
        MemoryConversationStore store = new MemoryConversationStore(
                new ConversationSettings(10, 4096, Duration.ofMinutes(10)), now::get);
        store.put(response("old", Optional.empty(), 10));
        now.addAndGet(Duration.ofMinutes(6).toNanos());
        store.put(response("new", Optional.empty(), 10));
        now.addAndGet(Duration.ofMinutes(5).toNanos());
        assertTrue(store.get("old").isEmpty());
        assertTrue(store.get("new").isPresent());
        assertFalse(store.put(response("huge", Optional.empty(), 5000)));
        assertTrue(store.get("new").isPresent(), "a refused response evicts nothing");
    }

    @Test
    void aConversationIsItsChainOldestFirstAndIsGoneWhenAnyTurnIs() {
        MemoryConversationStore store = new MemoryConversationStore(ConversationSettings.DEFAULTS, now::get);
        store.put(response("a", Optional.empty(), 1));
        store.put(response("b", Optional.of("a"), 1));
        store.put(response("c", Optional.of("b"), 1));
        assertEquals(List.of("a", "b", "c"), store.conversation("c").orElseThrow().stream()
                .map(StoredResponse::id).toList());
        assertTrue(store.delete("b"));
        assertTrue(store.conversation("c").isEmpty());
        assertFalse(store.delete("b"));
    }

    @Test
    void smallerBoundsOnReloadEvictAtOnce() {
        MemoryConversationStore store = new MemoryConversationStore(ConversationSettings.DEFAULTS, now::get);
        for (int i = 0; i < 10; i++) {
            store.put(response("r" + i, Optional.empty(), 1));
        }
        store.settings(new ConversationSettings(3, 1024 * 1024, Duration.ofHours(1)));
        assertEquals(3, store.size());
        assertTrue(store.get("r9").isPresent());
    }

    private static StoredResponse response(String id, Optional<String> previous, int size) {
        byte[] bytes = "x".repeat(size).getBytes(StandardCharsets.US_ASCII);
        return new StoredResponse(id, previous, bytes, bytes, bytes);
    }
}
