package io.hedgerow.state;

import io.hedgerow.config.ConversationSettings;

import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.async.RedisAsyncCommands;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The Responses API conversation store shared by a fleet through Redis, so that a conversation goes on with
 * {@code previous_response_id} whichever replica the load balancer picks, and {@code GET}/{@code DELETE} work on any.
 *
 * <h2>Layout and bounds</h2>
 * Under the prefix {@code P}: {@code P resp:ID} a hash of one response ({@code prev}, {@code input}, {@code output},
 * {@code response}, JSON text) expiring {@code conversations.ttl} after it was stored; {@code P responses} the index
 * (a sorted set, scored by when each was stored, on Redis's clock), {@code P responses:sizes} and
 * {@code P responses:bytes} what each and all take. One script stores a response and, atomically, forgets the expired
 * and then the oldest until {@code conversations.max-responses} and {@code max-size} hold: the bounds are the fleet's,
 * in Redis, not per replica. Redis's memory is what they bound.
 *
 * <h2>Waits</h2>
 * Unlike health state, this is read while a request waits: a continuation needs its conversation, wherever it was
 * made. One script returns a whole chain (one round trip however long the conversation), at most
 * {@code state.timeout}; storing waits as long for Redis's answer, so that a client's next turn, sent at once to
 * another replica, finds it. No answer in time is not "unknown": the store says {@link Unreachable} (a 503 the SDKs
 * retry) unless this replica has the response itself.
 *
 * <h2>When Redis goes away</h2>
 * Every response this replica stores is kept in its own memory too ({@code local}, same bounds, its own count): while
 * Redis is down or slow, and only then, conversations made here go on here from it. Each time Redis comes back (after an outage, or empty after a restart)
 * this replica writes what it keeps to Redis, where Redis lacks it (their ttl starts again there). A write that fails
 * marks the store down, so it is written back too. A delete is published ({@code P responses:deleted}) so every replica forgets its own copy as well.
 */
final class RedisConversations implements ConversationStore {
    private static final System.Logger LOG = System.getLogger(RedisConversations.class.getName());
    private static final String FORGET = """
            local function forget(id)
              local s = redis.call('HGET', KEYS[3], id)
              if s then
                redis.call('HDEL', KEYS[3], id)
                redis.call('DECRBY', KEYS[4], s)
              end
              redis.call('ZREM', KEYS[2], id)
              return redis.call('DEL', ARGV[1] .. id)
            end
            """;
    /**
     * KEYS: resp:ID, index, sizes, bytes; ARGV: P resp:, id, prev, input, output, response, size, ttl, max n,
     * max bytes, only-if-absent (1: a write-back, which never replaces).
     */
    static final String PUT = FORGET + """
            if ARGV[11] == '1' and redis.call('EXISTS', KEYS[1]) == 1 then
              return 2
            end
            local t = redis.call('TIME')
            local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
            local ttl = tonumber(ARGV[8])
            for _, old in ipairs(redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now - ttl, 'LIMIT', 0, 1000)) do
              forget(old)
            end
            forget(ARGV[2])
            local size = tonumber(ARGV[7])
            local maxBytes = tonumber(ARGV[10])
            if size > maxBytes then
              return 0
            end
            if redis.call('ZCARD', KEYS[2]) == 0 then
              redis.call('SET', KEYS[4], 0)
            end
            while redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[9])
                or tonumber(redis.call('GET', KEYS[4]) or '0') + size > maxBytes do
              local oldest = redis.call('ZRANGE', KEYS[2], 0, 0)
              if #oldest == 0 then
                redis.call('SET', KEYS[4], 0)
                break
              end
              forget(oldest[1])
            end
            redis.call('HSET', KEYS[1], 'prev', ARGV[3], 'input', ARGV[4], 'output', ARGV[5], 'response', ARGV[6])
            redis.call('PEXPIRE', KEYS[1], ttl)
            redis.call('ZADD', KEYS[2], now, ARGV[2])
            redis.call('HSET', KEYS[3], ARGV[2], size)
            redis.call('INCRBY', KEYS[4], size)
            for i = 2, 4 do
              redis.call('PEXPIRE', KEYS[i], ttl)
            end
            return 1
            """;
    /** KEYS: resp:ID, index, sizes, bytes; ARGV: P resp:, id, channel. */
    static final String DELETE = FORGET + """
            local gone = forget(ARGV[2])
            if gone == 1 then
              redis.call('PUBLISH', ARGV[3], ARGV[2])
            end
            return gone
            """;
    /** ARGV: P resp:, id, most: the responses of the chain ending with id, newest first, as far as Redis has them. */
    static final String CHAIN = """
            local out = {}
            local id = ARGV[2]
            local most = tonumber(ARGV[3])
            local n = 0
            while id and n < most do
              local h = redis.call('HMGET', ARGV[1] .. id, 'prev', 'input', 'output', 'response')
              if not h[4] then
                break
              end
              table.insert(out, id)
              table.insert(out, h[1] or '')
              table.insert(out, h[2] or '[]')
              table.insert(out, h[3] or '[]')
              table.insert(out, h[4])
              n = n + 1
              if h[1] and h[1] ~= '' then id = h[1] else id = nil end
            end
            return out
            """;

    private final RedisStore store;
    private final MemoryConversationStore local;
    private volatile ConversationSettings settings;

    RedisConversations(RedisStore store, MemoryConversationStore local, ConversationSettings settings) {
        this.store = Objects.requireNonNull(store, "store");
        this.local = Objects.requireNonNull(local, "local");
        this.settings = Objects.requireNonNull(settings, "settings");
    }

    @Override
    public void settings(ConversationSettings newSettings) {
        this.settings = Objects.requireNonNull(newSettings, "newSettings");
        local.settings(newSettings);
    }

    @Override
    public boolean put(StoredResponse response) {
        if (!local.put(response)) {
            return false;
        }
        RedisAsyncCommands<String, String> async = commands();
        if (async != null) {
            try {
                await(share(async, response, false));
            } catch (Unreachable e) {
                // Kept here; the write may still land, and if it fails the store goes down and writes back.
                LOG.log(System.Logger.Level.DEBUG, "response {0}: {1}", response.id(), e.getMessage());
            }
        }
        return true;
    }

    @Override
    public Optional<StoredResponse> get(String id) {
        return chain(id, 1).stream().findFirst();
    }

    @Override
    public boolean delete(String id) {
        boolean here = local.delete(id);
        RedisAsyncCommands<String, String> async = commands();
        if (async == null) {
            if (here) {
                return true;
            }
            throw new Unreachable("the shared state store is unreachable");
        }
        try {
            Long gone = await(async.<Long>eval(DELETE, ScriptOutputType.INTEGER, keys(id), respPrefix(), id,
                                         store.key("responses:deleted")));
            return here || gone != null && gone == 1;
        } catch (Unreachable e) {
            if (here) {
                return true;
            }
            throw e;
        }
    }

    @Override
    public Optional<List<StoredResponse>> conversation(String id) {
        List<StoredResponse> newestFirst = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        Optional<String> next = Optional.of(id);
        while (next.isPresent()) {
            List<StoredResponse> batch = chain(next.get(), MAX_CHAIN - newestFirst.size());
            if (batch.isEmpty()) {
                return Optional.empty();
            }
            for (StoredResponse response : batch) {
                if (!seen.add(response.id()) || newestFirst.size() >= MAX_CHAIN) {
                    return Optional.empty();
                }
                newestFirst.add(response);
            }
            next = newestFirst.getLast().previousId();
        }
        return Optional.of(newestFirst.reversed());
    }

    /** Another replica deleted a response: this replica's own copy goes too (on the store's applier thread). */
    void deletedElsewhere(String id) {
        local.delete(id);
    }

    /** Redis is (back) up: what this replica keeps is written there where missing (on the keeper thread; no wait). */
    void writeBack() {
        RedisAsyncCommands<String, String> async = commands();
        if (async == null) {
            return;
        }
        for (StoredResponse response : local.responses()) {
            share(async, response, true);
        }
    }

    /**
     * The responses from {@code id} back, newest first, at most {@code most}, as far as Redis has them; when Redis
     * cannot be asked, this replica's own copy of {@code id}, or {@link Unreachable}.
     */
    private List<StoredResponse> chain(String id, int most) {
        RedisAsyncCommands<String, String> async = commands();
        Unreachable unreachable = new Unreachable("the shared state store is unreachable");
        if (async != null) {
            try {
                List<Object> flat = await(async.<List<Object>>eval(CHAIN, ScriptOutputType.MULTI, new String[0],
                                                                   respPrefix(), id,
                                                                   Integer.toString(Math.max(1, most))));
                // Redis answered: it is the fleet's truth (what its bounds forgot, or another replica deleted, is gone).
                return decode(flat);
            } catch (Unreachable e) {
                unreachable = e;
            }
        }
        Optional<StoredResponse> own = local.get(id);
        if (own.isPresent()) {
            return List.of(own.get());
        }
        throw unreachable;
    }

    /** Writes one response to Redis, in the background; a failure marks the store down (it writes back when up). */
    private java.util.concurrent.CompletionStage<Long> share(RedisAsyncCommands<String, String> async,
                                                              StoredResponse response, boolean onlyIfAbsent) {
        ConversationSettings bounds = settings;
        var written = async.<Long>eval(PUT, ScriptOutputType.INTEGER, keys(response.id()), respPrefix(),
                                       response.id(), response.previousId().orElse(""), text(response.input()),
                                       text(response.output()), text(response.response()),
                                       Long.toString(response.size()), Long.toString(bounds.ttl().toMillis()),
                                       Integer.toString(bounds.maxResponses()), Long.toString(bounds.maxBytes()),
                                       onlyIfAbsent ? "1" : "0");
        written.exceptionally(e -> {
            store.markDown("cannot write a response to Redis: " + RedisStore.rootCause(e));
            return null;
        });
        return written;
    }

    private <T> T await(java.util.concurrent.CompletionStage<T> command) {
        Duration timeout = store.settings().timeout();
        try {
            return command.toCompletableFuture().get(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            throw new Unreachable("the shared state store did not answer within " + timeout.toMillis() + " ms");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Unreachable("interrupted");
        } catch (Exception e) {
            store.markDown("a conversation-store command failed: " + RedisStore.rootCause(e));
            throw new Unreachable("the shared state store failed: " + RedisStore.rootCause(e));
        }
    }

    private RedisAsyncCommands<String, String> commands() {
        return store.up() ? store.commands() : null;
    }

    private String[] keys(String id) {
        return new String[]{respPrefix() + id, store.key("responses"), store.key("responses:sizes"),
                store.key("responses:bytes")};
    }

    private String respPrefix() {
        return store.key("resp:");
    }

    private static String text(byte[] json) {
        return new String(json, StandardCharsets.UTF_8);
    }

    private static List<StoredResponse> decode(List<Object> flat) {
        List<StoredResponse> out = new ArrayList<>(flat.size() / 5);
        for (int i = 0; i + 4 < flat.size(); i += 5) {
            String prev = String.valueOf(flat.get(i + 1));
            out.add(new StoredResponse(String.valueOf(flat.get(i)), prev.isEmpty() ? Optional.empty()
                    : Optional.of(prev), bytes(flat.get(i + 2)), bytes(flat.get(i + 3)), bytes(flat.get(i + 4))));
        }
        return out;
    }

    private static byte[] bytes(Object text) {
        return String.valueOf(text).getBytes(StandardCharsets.UTF_8);
    }
}
