package io.hedgerow.api;

import io.hedgerow.config.ClientKey;
import io.hedgerow.time.Ticker;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Per-client request rates: a token bucket per client with a {@link ClientKey.RateLimit}. The bucket holds up to
 * {@code burst} tokens and refills at {@code perMinute / 60} tokens a second; a request takes one. Over any span
 * of {@code t} seconds a client gets at most {@code burst + perMinute * t / 60} requests. Refill is computed when
 * a request asks (no timer), from the injected ticker.
 *
 * <p>Thread-safe: each bucket is updated under its own lock.
 */
final class RateLimiter {
    private static final long NANOS_PER_MINUTE = Duration.ofMinutes(1).toNanos();

    private final Ticker ticker;
    private final Map<String, Bucket> buckets = new ConcurrentHashMap<>();

    RateLimiter(Ticker ticker) {
        this.ticker = ticker;
    }

    /** Takes a token for this client; empty when allowed, else how long until a token is there. */
    Optional<Duration> acquire(ClientKey client) {
        if (client.rateLimit().isEmpty()) {
            return Optional.empty();
        }
        ClientKey.RateLimit limit = client.rateLimit().get();
        // Keyed by name and limit, so a reloaded limit starts a fresh bucket.
        Bucket bucket = buckets.computeIfAbsent(client.name() + "@" + limit, k -> new Bucket(limit, ticker.read()));
        return bucket.take(ticker.read());
    }

    /** Tokens are kept in units of 1/perMinute of a token per nanosecond... in nano-tokens, to stay integral. */
    private static final class Bucket {
        private final long capacity;
        private final long perMinute;
        private long tokens;
        private long updated;

        Bucket(ClientKey.RateLimit limit, long now) {
            // One token is NANOS_PER_MINUTE units; refill is perMinute units per nanosecond.
            this.capacity = limit.burst() * NANOS_PER_MINUTE;
            this.perMinute = limit.perMinute();
            this.tokens = capacity;
            this.updated = now;
        }

        synchronized Optional<Duration> take(long now) {
            long elapsed = Math.max(0, now - updated);
            updated = now;
            // Saturating: a long quiet spell fills the bucket, never overflows it.
            long refill = elapsed > capacity / perMinute ? capacity : elapsed * perMinute;
            tokens = Math.min(capacity, tokens + refill);
            if (tokens >= NANOS_PER_MINUTE) {
                tokens -= NANOS_PER_MINUTE;
                return Optional.empty();
            }
            long missing = NANOS_PER_MINUTE - tokens;
            return Optional.of(Duration.ofNanos((missing + perMinute - 1) / perMinute));
        }
    }
}
