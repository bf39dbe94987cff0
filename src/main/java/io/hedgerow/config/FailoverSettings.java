package io.hedgerow.config;


import java.util.Objects;

/** Router-wide failover defaults: same-candidate retries, key cooldown ladders, circuit breakers. */
public record FailoverSettings(RetrySettings retry, CooldownSettings cooldowns, BreakerSettings breaker) {
    public static final FailoverSettings DEFAULTS =
            new FailoverSettings(RetrySettings.DEFAULTS, CooldownSettings.DEFAULTS, BreakerSettings.DEFAULTS);

    public FailoverSettings {
        Objects.requireNonNull(retry, "retry");
        Objects.requireNonNull(cooldowns, "cooldowns");
        Objects.requireNonNull(breaker, "breaker");
    }
}
