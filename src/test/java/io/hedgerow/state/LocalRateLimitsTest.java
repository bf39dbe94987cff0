package io.hedgerow.state;

import io.hedgerow.config.ClientKey;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.is;

class LocalRateLimitsTest {
    private final AtomicLong now = new AtomicLong(1_000_000_000L);
    private final LocalRateLimits limiter = new LocalRateLimits(now::get);

    private static ClientKey client(String name, int perMinute, int burst) {
        return new ClientKey(name, "0".repeat(64), Optional.of(new ClientKey.RateLimit(perMinute, burst)));
    }

    @Test
    void aBurstThenOneRequestPerRefill() {
        ClientKey c = client("c", 60, 3);
        for (int i = 0; i < 3; i++) {
            assertThat(limiter.take(c), is(Optional.empty()));
        }
        // 60/min: a token each second.
        assertThat(limiter.take(c), is(Optional.of(Duration.ofSeconds(1))));
        now.addAndGet(Duration.ofMillis(400).toNanos());
        assertThat(limiter.take(c), is(Optional.of(Duration.ofMillis(600))));
        now.addAndGet(Duration.ofMillis(600).toNanos());
        assertThat(limiter.take(c), is(Optional.empty()));
        assertThat(limiter.take(c).isPresent(), is(true));
    }

    @Test
    void aLongQuietSpellRefillsOnlyUpToTheBurst() {
        ClientKey c = client("c", 6, 2);
        limiter.take(c);
        limiter.take(c);
        now.addAndGet(Duration.ofDays(3).toNanos());
        assertThat(limiter.take(c), is(Optional.empty()));
        assertThat(limiter.take(c), is(Optional.empty()));
        assertThat(limiter.take(c), is(Optional.of(Duration.ofSeconds(10))));
    }

    @Test
    void clientsHaveTheirOwnBucketsAndUnlimitedOnesAreNeverStopped() {
        ClientKey a = client("a", 1, 1);
        ClientKey b = client("b", 1, 1);
        ClientKey free = new ClientKey("free", "0".repeat(64), Optional.empty());
        assertThat(limiter.take(a), is(Optional.empty()));
        assertThat(limiter.take(a).isPresent(), is(true));
        assertThat(limiter.take(b), is(Optional.empty()));
        for (int i = 0; i < 1000; i++) {
            assertThat(limiter.take(free), is(Optional.empty()));
        }
    }

    @Test
    void overAnySpanAtMostBurstPlusRateTimesSpan() {
        ClientKey c = client("c", 120, 10);
        int allowed = 0;
        // Ask every 10 ms from 0 to 60 s inclusive: the burst, then 2 a second.
        for (int i = 0; i <= 6000; i++) {
            if (limiter.take(c).isEmpty()) {
                allowed++;
            }
            now.addAndGet(Duration.ofMillis(10).toNanos());
        }
        assertThat(allowed, is(10 + 120));
    }
}
