package io.hedgerow.state;

import io.hedgerow.config.ConversationSettings;
import io.hedgerow.config.StateSettings;
import io.hedgerow.testing.RedisServer;
import io.hedgerow.testing.TcpRelay;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;

import static io.hedgerow.testing.Eventually.eventually;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Responses API conversation store of a fleet, on a real Redis: what one replica stores another continues, in
 * one round trip; the bounds are the fleet's; a delete is a delete everywhere; while Redis is down a replica goes on
 * with its own conversations and says "unreachable" (not "unknown") for the others', and writes its own back when
 * Redis returns empty.
 */
class RedisConversationsTest {
    private static RedisServer redis;
    private final AtomicLong now = new AtomicLong();
    private final String prefix = "t-" + UUID.randomUUID().toString().substring(0, 8) + ":";
    private final List<RedisStore> stores = new ArrayList<>();

    @BeforeAll
    static void redis() {
        redis = RedisServer.start();
    }

    @AfterAll
    static void stopRedis() {
        if (redis != null) {
            redis.close();
        }
    }

    @AfterEach
    void close() {
        stores.forEach(RedisStore::close);
    }

    private ConversationStore replica(String name, ConversationSettings bounds) {
        return replica(name, bounds, redis.port(), Duration.ofSeconds(1));
    }

    private ConversationStore replica(String name, ConversationSettings bounds, int port, Duration timeout) {
        StateSettings settings = new StateSettings(StateSettings.Store.REDIS, Optional.empty(), Duration.ofSeconds(5),
                                                   Optional.of(URI.create("redis://127.0.0.1:" + port)), prefix,
                                                   timeout, 1, StateSettings.WhenDown.PER_REPLICA);
        RedisStore store = new RedisStore(settings, Clock.systemUTC(), now::get, name);
        stores.add(store);
        ConversationStore conversations = store.conversations(new MemoryConversationStore(bounds, now::get), bounds);
        store.start(r -> { });
        eventually(Duration.ofSeconds(20), () -> store.status().up());
        return conversations;
    }

    private static StoredResponse response(String id, String previous, int chars) {
        String text = "x".repeat(chars);
        return new StoredResponse(id, Optional.ofNullable(previous),
                                  ("[{\"role\":\"user\",\"content\":\"" + id + "\"}]").getBytes(StandardCharsets.UTF_8),
                                  ("[{\"type\":\"message\",\"content\":\"" + text + " é\"}]")
                                          .getBytes(StandardCharsets.UTF_8),
                                  ("{\"id\":\"" + id + "\"}").getBytes(StandardCharsets.UTF_8));
    }

    /** How many responses Redis holds under this test's prefix. */
    private int stored() {
        try {
            return redis.keys(prefix + "resp:*").size();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static List<String> ids(Optional<List<StoredResponse>> conversation) {
        return conversation.orElseThrow().stream().map(StoredResponse::id).toList();
    }

    private static final ConversationSettings BOUNDS = new ConversationSettings(100, 1024 * 1024,
                                                                                Duration.ofHours(1));

    @Test
    void aConversationStoredByOneReplicaContinuesOnAnother() throws Exception {
        ConversationStore a = replica("a", BOUNDS);
        ConversationStore b = replica("b", BOUNDS);
        StoredResponse first = response("resp_1", null, 10);
        assertTrue(a.put(first));
        assertTrue(a.put(response("resp_2", "resp_1", 10)));
        assertTrue(a.put(response("resp_3", "resp_2", 10)));

        assertEquals(List.of("resp_1", "resp_2", "resp_3"), ids(b.conversation("resp_3")));
        StoredResponse read = b.get("resp_1").orElseThrow();
        assertArrayEquals(first.input(), read.input());
        assertArrayEquals(first.output(), read.output(), "bytes as stored (UTF-8 included)");
        assertArrayEquals(first.response(), read.response());
        assertEquals(Optional.empty(), read.previousId());
        assertEquals(Optional.of("resp_2"), b.get("resp_3").orElseThrow().previousId());
        assertTrue(b.get("resp_missing").isEmpty(), "unknown is empty, not an error");
        assertTrue(b.conversation("resp_missing").isEmpty());

        long pttl = Long.parseLong(redis.command("PTTL", prefix + "resp:resp_1").substring(1));
        assertTrue(pttl > Duration.ofMinutes(59).toMillis() && pttl <= Duration.ofHours(1).toMillis(),
                   "expires at conversations.ttl in Redis: " + pttl);
    }

    @Test
    void theBoundsAreTheFleetsInRedis() throws Exception {
        ConversationSettings bounds = new ConversationSettings(3, 64 * 1024, Duration.ofHours(1));
        ConversationStore a = replica("a", bounds);
        ConversationStore b = replica("b", bounds);
        long sizes = 0;
        for (int i = 0; i < 5; i++) {
            ConversationStore by = i % 2 == 0 ? a : b;
            by.put(response("resp_" + i, null, 10));
        }
        assertEquals(3, redis.keys(prefix + "resp:*").size(), "count bound, across both writers");
        for (int i = 2; i < 5; i++) {
            assertTrue(a.get("resp_" + i).isPresent());
            sizes += response("resp_" + i, null, 10).size();
        }
        assertTrue(b.get("resp_0").isEmpty(), "the oldest went first");
        assertEquals(String.valueOf(sizes), redis.command("GET", prefix + "responses:bytes"));

        // The byte bound: a second 40 KiB response pushes out the oldest until it fits (the first large one too).
        assertTrue(a.put(response("resp_large1", null, 40 * 1024)));
        assertTrue(b.get("resp_2").isEmpty(), "the count bound made room");
        assertTrue(b.put(response("resp_large2", null, 40 * 1024)));
        assertTrue(a.get("resp_large2").isPresent());
        assertTrue(a.get("resp_3").isEmpty() && a.get("resp_4").isEmpty() && a.get("resp_large1").isEmpty(),
                   "the byte bound made room, oldest first");
        assertEquals(1, stored());
        long bytes = Long.parseLong(redis.command("GET", prefix + "responses:bytes"));
        assertTrue(bytes <= 64 * 1024, String.valueOf(bytes));
        assertFalse(a.put(response("resp_huge", null, 70 * 1024)), "larger than the bound: not kept at all");
        assertTrue(b.get("resp_huge").isEmpty());
    }

    @Test
    void aDeleteOnOneReplicaIsADeleteOnAll() throws Exception {
        ConversationStore a = replica("a", BOUNDS);
        ConversationStore b = replica("b", BOUNDS);
        a.put(response("resp_1", null, 10));
        assertTrue(b.delete("resp_1"));
        assertFalse(b.delete("resp_1"), "gone");
        assertTrue(a.get("resp_1").isEmpty());
        // a's own copy (its fallback while Redis is down) goes too: news of the delete reaches it.
        eventually(Duration.ofSeconds(5), () -> a.get("resp_1").isEmpty() && stored() == 0);
        redis.stop();
        try {
            eventually(Duration.ofSeconds(10), () -> stores.stream().noneMatch(s -> s.status().up()));
            assertThrows(ConversationStore.Unreachable.class, () -> a.get("resp_1"),
                         "deleted, so not a's to answer from memory");
        } finally {
            redis.restart();
        }
    }

    @Test
    void whileRedisIsDownAReplicaGoesOnWithItsOwnAndWritesThemBackWhenRedisReturnsEmpty() throws Exception {
        ConversationStore a = replica("a", BOUNDS);
        ConversationStore b = replica("b", BOUNDS);
        a.put(response("resp_1", null, 10));
        redis.stop();
        try {
            eventually(Duration.ofSeconds(10), () -> stores.stream().noneMatch(s -> s.status().up()));
            assertEquals(List.of("resp_1"), ids(a.conversation("resp_1")), "a's own, from its memory");
            assertTrue(a.put(response("resp_2", "resp_1", 10)), "kept here while Redis is down");
            assertEquals(List.of("resp_1", "resp_2"), ids(a.conversation("resp_2")));
            assertThrows(ConversationStore.Unreachable.class, () -> b.get("resp_1"),
                         "b cannot tell: not 'unknown' (a 404) but unreachable (a 503 the client retries)");
            assertThrows(ConversationStore.Unreachable.class, () -> b.conversation("resp_2"));
        } finally {
            redis.restart();
        }
        eventually(Duration.ofSeconds(20), () -> stores.stream().allMatch(s -> s.status().up()));
        // Redis came back empty: a wrote back what it keeps.
        eventually(Duration.ofSeconds(5), () -> stored() == 2);
        assertEquals(List.of("resp_1", "resp_2"), ids(b.conversation("resp_2")));
    }

    @Test
    void aSlowRedisIsUnreachableWithinTheTimeoutNotAWait() throws Exception {
        ConversationStore a = replica("a", BOUNDS);
        a.put(response("resp_1", null, 10));
        try (TcpRelay relay = TcpRelay.to(redis.port())) {
            ConversationStore b = replica("b", BOUNDS, relay.port(), Duration.ofMillis(100));
            // The first reads on a fresh connection may be slow on a loaded machine: until one is in time.
            eventually(Duration.ofSeconds(10), () -> {
                try {
                    return b.get("resp_1").isPresent();
                } catch (ConversationStore.Unreachable e) {
                    return false;
                }
            });
            relay.delay(Duration.ofMillis(500));
            long started = System.nanoTime();
            assertThrows(ConversationStore.Unreachable.class, () -> b.get("resp_1"));
            long took = System.nanoTime() - started;
            assertTrue(took < Duration.ofMillis(400).toNanos(), "bounded by state.timeout (100 ms): " + took);
            assertTrue(b.put(response("resp_b", null, 10)), "kept here, Redis or not");
            assertEquals(List.of("resp_b"), ids(b.conversation("resp_b")), "b's own, from its memory");
            assertEquals(List.of("resp_1"), ids(a.conversation("resp_1")), "a, not behind the relay, reads Redis");
        }
    }
}
