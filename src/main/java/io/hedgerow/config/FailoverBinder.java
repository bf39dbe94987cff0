package io.hedgerow.config;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Binds {@code failover}: same-candidate retries, key cooldowns, circuit breakers and mid-stream recovery. Routes
 * override {@code retry} and {@code recovery} through {@link #retry} and {@link #recovery}.
 */
final class FailoverBinder {
    static final Keys FAILOVER = Keys.of("failover", "retry", "cooldowns", "breaker", "recovery");
    static final Keys RETRY = Keys.of("failover.retry", "max-attempts", "base-delay", "max-delay", "max-retry-after");
    static final Keys COOLDOWNS = Keys.of("failover.cooldowns", "rate-limited", "auth", "max-retry-after");
    static final Keys BREAKER = Keys.of("failover.breaker", "window", "minimum-calls", "failure-ratio", "open-for",
                                        "half-open-probes", "successes-to-close");
    static final Keys RECOVERY = Keys.of("failover.recovery", "mode", "max-resumptions");

    static List<Keys> keys() {
        return List.of(FAILOVER, RETRY, COOLDOWNS, BREAKER, RECOVERY);
    }

    FailoverSettings bind(ConfigNode node) {
        node.check(FAILOVER);
        FailoverSettings d = FailoverSettings.DEFAULTS;
        return new FailoverSettings(retry(node.get("retry"), d.retry()), cooldowns(node.get("cooldowns")),
                                    breaker(node.get("breaker")), recovery(node.get("recovery"), d.recovery()));
    }

    private static CooldownSettings cooldowns(ConfigNode c) {
        c.check(COOLDOWNS);
        CooldownSettings d = CooldownSettings.DEFAULTS;
        return c.build(() -> new CooldownSettings(
                ladder(c.get("rate-limited")).orElse(d.rateLimited()),
                ladder(c.get("auth")).orElse(d.auth()),
                c.get("max-retry-after").positive().orElse(d.maxRetryAfter())), d);
    }

    /** A cooldown ladder: consecutive failures climb it, so a step shorter than the one before is most likely a slip. */
    private static Optional<List<Duration>> ladder(ConfigNode node) {
        Optional<List<Duration>> steps = node.durations();
        steps.ifPresent(s -> {
            for (int i = 1; i < s.size(); i++) {
                if (s.get(i).compareTo(s.get(i - 1)) < 0) {
                    node.warn(s.stream().map(Checks::human).toList() + " descends at step " + (i + 1)
                            + " (expected: each step at least as long as the one before: a key that keeps failing "
                            + "rests longer, not shorter)");
                    return;
                }
            }
        });
        return steps;
    }

    private static BreakerSettings breaker(ConfigNode b) {
        b.check(BREAKER);
        BreakerSettings d = BreakerSettings.DEFAULTS;
        return b.build(() -> new BreakerSettings(
                b.get("window").positive().orElse(d.window()),
                b.get("minimum-calls").integer(1, 1_000_000).orElse(d.minimumCalls()),
                b.get("failure-ratio").number(0.01, 1).orElse(d.failureRatio()),
                b.get("open-for").positive().orElse(d.openFor()),
                b.get("half-open-probes").integer(1, 1000).orElse(d.halfOpenProbes()),
                b.get("successes-to-close").integer(1, 1000).orElse(d.successesToClose())), d);
    }

    /** {@code off}, or {@code {mode, max-resumptions}} over {@code d}. */
    static RecoverySettings recovery(ConfigNode node, RecoverySettings d) {
        if (node.isScalar()) {
            if (node.yamlBoolean().equals(Optional.of(false)) || node.text().orElse("").equals("off")) {
                return RecoverySettings.OFF;
            }
            node.error("'" + node.text().orElse("") + "' (expected: off, or {mode, max-resumptions})");
            return d;
        }
        node.check(RECOVERY);
        RecoverySettings.Mode mode = node.get("mode").choice(Map.of(
                "off", RecoverySettings.Mode.OFF,
                "prefill-only", RecoverySettings.Mode.PREFILL_ONLY,
                "prefill-or-splice", RecoverySettings.Mode.PREFILL_OR_SPLICE),
                "off, prefill-only or prefill-or-splice").orElse(d.mode());
        return new RecoverySettings(mode, node.get("max-resumptions").integer(0, 10).orElse(d.maxResumptions()));
    }

    /** {@code {max-attempts, base-delay, max-delay, max-retry-after}} over {@code d}. */
    static RetrySettings retry(ConfigNode node, RetrySettings d) {
        node.check(RETRY);
        return node.build(() -> new RetrySettings(
                node.get("max-attempts").integer(1, 10).orElse(d.maxAttempts()),
                node.get("base-delay").positive().orElse(d.baseDelay()),
                node.get("max-delay").positive().orElse(d.maxDelay()),
                node.get("max-retry-after").duration().orElse(d.maxRetryAfter())), d);
    }
}
