package io.hedgerow.config;

import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * How long {@link KeyHealth} rests a key after it is refused. Immutable; validated on construction.
 *
 * @param rateLimited   the escalation ladder for 429s without Retry-After: the n-th consecutive one cools
 *                      the key for {@code rateLimited[min(n, size) - 1]}
 * @param auth          the ladder for auth failures (401/403, billing, quota), climbed the same way
 * @param maxRetryAfter the longest an upstream's Retry-After may cool a key, so a bogus value cannot shelve it
 */
public record CooldownSettings(List<Duration> rateLimited, List<Duration> auth, Duration maxRetryAfter) {

    /** Rate-limited 30s, 1m, 5m, 25m; auth 10m, 1h, 6h, 24h; Retry-After capped at 10m. */
    public static final CooldownSettings DEFAULTS = new CooldownSettings(
            List.of(Duration.ofSeconds(30), Duration.ofMinutes(1), Duration.ofMinutes(5), Duration.ofMinutes(25)),
            List.of(Duration.ofMinutes(10), Duration.ofHours(1), Duration.ofHours(6), Duration.ofHours(24)),
            Duration.ofMinutes(10));

    public CooldownSettings {
        rateLimited = ladder("cooldown.rate-limited", rateLimited);
        auth = ladder("cooldown.auth", auth);
        Checks.positive("cooldown.max-retry-after", maxRetryAfter);
    }

    private static List<Duration> ladder(String name, List<Duration> steps) {
        Objects.requireNonNull(steps, name);
        if (steps.isEmpty()) {
            throw new IllegalArgumentException(name + ": [] (expected: at least one duration)");
        }
        for (int i = 0; i < steps.size(); i++) {
            Checks.positive(name + "[" + i + "]", steps.get(i));
        }
        return List.copyOf(steps);
    }

    /** The rung for the {@code n}-th (1-based) consecutive failure: the last rung once past the top. */
    public static Duration step(List<Duration> ladder, int n) {
        return ladder.get(Math.min(Math.max(n, 1), ladder.size()) - 1);
    }
}
