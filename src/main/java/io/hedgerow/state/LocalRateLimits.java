package io.hedgerow.state;

import io.hedgerow.config.ClientKey;
import io.hedgerow.time.Ticker;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Per-client request rates in this process: a token bucket per client with a {@link ClientKey.RateLimit}. The bucket holds up to
 * {@code burst} tokens and refills at {@code perMinute / 60} tokens a second; a request takes one. Over any span
 * of {@code t} seconds a client gets at most {@code burst + perMinute * t / 60} requests. Refill is computed when
 * a request asks (no timer), from the injected ticker.
 *
 * <p>Thread-safe: each bucket is updated under its own lock.
 */
public final class LocalRateLimits implements RateLimits {
    private static final long NANOS_PER_MINUTE = Duration.ofMinutes(1).toNanos();

    private final Ticker ticker;
    private final Map<String, Bucket> buckets = new ConcurrentHashMap<>();

    private final int share;

    /** Each client gets its whole limit. */
    public LocalRateLimits(Ticker ticker) {
        this(ticker, 1);
    }

    /**
     * Each client gets {@code 1 / share} of its limit (and of its burst), at least one request a minute: this
     * replica's part of a fleet-wide limit while the fleet cannot count together.
     */
    LocalRateLimits(Ticker ticker, int share) {
        this.ticker = java.util.Objects.requireNonNull(ticker, "ticker");
        this.share = share;
    }

    @Override
    public Verdict acquire(ClientKey client) {
        return take(client).<Verdict>map(Verdict.Wait::new).orElse(Verdict.ADMITTED);
    }

    /** {@code limit / share}, at least 1 a minute and a burst of at least 1. */
    static ClientKey.RateLimit share(ClientKey.RateLimit limit, int share) {
        return share <= 1 ? limit : new ClientKey.RateLimit(Math.max(1, limit.perMinute() / share),
                                                           Math.max(1, limit.burst() / share));
    }

    /** Takes a token for this client; empty when allowed, else how long until a token is there. */
    Optional<Duration> take(ClientKey client) {
        if (client.rateLimit().isEmpty()) {
            return Optional.empty();
        }
        ClientKey.RateLimit limit = share(client.rateLimit().get(), share);
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
