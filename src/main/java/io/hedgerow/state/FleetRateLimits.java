package io.hedgerow.state;

import io.hedgerow.config.ClientKey;
import io.hedgerow.config.StateSettings;
import io.hedgerow.time.Ticker;

import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.async.RedisAsyncCommands;

import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Client rate limits counted once for the whole fleet: one token bucket per client in Redis, taken from atomically
 * by a script that reads Redis's own clock ({@code TIME}), so replicas' clocks do not matter and no two replicas can
 * spend one token. The bucket's arithmetic is {@link LocalRateLimits}': {@code burst} tokens, refilled at
 * {@code perMinute / 60} a second.
 *
 * <p>This is the one place a request waits on Redis, and only a rate-limited client's request: at most
 * {@code state.timeout}. Past it, or while Redis is down, the limit is enforced as {@code state.rate-limits-when-down}
 * says, and the store's status tells so: {@code per-replica} enforces {@code limit / N} here (N: the configured
 * replicas, or as many as were last seen alive if more; at least 1 a minute), so the fleet admits at most the limit;
 * {@code refuse} refuses rate-limited clients with a 503. Never the whole limit on every replica. The slack: each
 * replica's share starts as a full bucket ({@code burst / N}), so each move to per-replica limits may admit up to one
 * burst more across the fleet than a single bucket would have.
 */
final class FleetRateLimits implements RateLimits {
    static final String TAKE = """
            local t = redis.call('TIME')
            local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
            local rate = tonumber(ARGV[1]) / 60000000
            local burst = tonumber(ARGV[2])
            local b = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
            local tokens = tonumber(b[1]) or burst
            local ts = tonumber(b[2]) or now
            if now > ts then
              tokens = math.min(burst, tokens + (now - ts) * rate)
              ts = now
            end
            local wait = 0
            if tokens >= 1 then
              tokens = tokens - 1
            else
              wait = math.ceil((1 - tokens) / rate)
            end
            redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(ts))
            redis.call('PEXPIRE', KEYS[1], math.ceil(burst / rate / 1000) + 1000)
            return wait
            """;

    private final RedisStore store;
    private final Ticker ticker;
    private final ConcurrentHashMap<Integer, LocalRateLimits> shares = new ConcurrentHashMap<>();
    private final java.util.concurrent.atomic.AtomicInteger slow = new java.util.concurrent.atomic.AtomicInteger();

    FleetRateLimits(RedisStore store, Ticker ticker) {
        this.store = store;
        this.ticker = ticker;
    }

    @Override
    public Verdict acquire(ClientKey client) {
        if (client.rateLimit().isEmpty()) {
            return Verdict.ADMITTED;
        }
        ClientKey.RateLimit limit = client.rateLimit().get();
        RedisAsyncCommands<String, String> async = store.up() ? store.commands() : null;
        if (async != null) {
            Duration timeout = store.settings().timeout();
            try {
                // Keyed by name and limit, so a changed limit starts a fresh bucket.
                Long waitMicros = async.<Long>eval(TAKE, ScriptOutputType.INTEGER,
                                                   new String[]{store.key("rate:" + client.name() + ":"
                                                                                  + limit.perMinute() + ":"
                                                                                  + limit.burst())},
                                                   Integer.toString(limit.perMinute()), Integer.toString(limit.burst()))
                        .get(timeout.toNanos(), TimeUnit.NANOSECONDS);
                slow.set(0);
                return waitMicros == null || waitMicros <= 0 ? Verdict.ADMITTED
                        : new Verdict.Wait(Duration.ofNanos(waitMicros * 1000));
            } catch (TimeoutException e) {
                // This request goes on without Redis; two in a row and the store counts as down (one may be a pause).
                if (slow.incrementAndGet() >= 2) {
                    store.markDown("Redis is slow: it did not answer rate-limit checks within " + timeout.toMillis()
                                   + " ms");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return new Verdict.Unavailable("interrupted");
            } catch (Exception e) {
                store.markDown("a rate-limit check failed: " + RedisStore.rootCause(e));
            }
        }
        if (store.settings().whenDown() == StateSettings.WhenDown.REFUSE) {
            return new Verdict.Unavailable("the shared state store is unreachable");
        }
        int n = store.replicasSharing();
        return shares.computeIfAbsent(n, k -> new LocalRateLimits(ticker, k)).acquire(client);
    }
}
