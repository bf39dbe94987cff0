package io.hedgerow.config;


import java.util.Objects;

/**
 * Router-wide failover defaults: same-candidate retries, key cooldown ladders, circuit breakers, and recovery
 * of streams that break mid-answer.
 */
public record FailoverSettings(RetrySettings retry, CooldownSettings cooldowns, BreakerSettings breaker,
                               RecoverySettings recovery) {
    public static final FailoverSettings DEFAULTS = new FailoverSettings(
            RetrySettings.DEFAULTS, CooldownSettings.DEFAULTS, BreakerSettings.DEFAULTS, RecoverySettings.DEFAULTS);

    public FailoverSettings {
        Objects.requireNonNull(retry, "retry");
        Objects.requireNonNull(cooldowns, "cooldowns");
        Objects.requireNonNull(breaker, "breaker");
        Objects.requireNonNull(recovery, "recovery");
    }

    /** Settings with the default recovery. */
    public FailoverSettings(RetrySettings retry, CooldownSettings cooldowns, BreakerSettings breaker) {
        this(retry, cooldowns, breaker, RecoverySettings.DEFAULTS);
    }
}
