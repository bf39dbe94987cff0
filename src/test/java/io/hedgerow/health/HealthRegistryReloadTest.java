package io.hedgerow.health;

import io.hedgerow.config.ApiKey;
import io.hedgerow.config.BaselineSettings;
import io.hedgerow.config.BreakerSettings;
import io.hedgerow.config.BudgetSettings;
import io.hedgerow.config.CooldownSettings;
import io.hedgerow.config.DemotionSettings;
import io.hedgerow.config.FailoverSettings;
import io.hedgerow.config.HedgeSettings;
import io.hedgerow.config.HedgingSettings;
import io.hedgerow.model.FailureKind;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.sameInstance;

/**
 * {@link HealthRegistry#reconfigured}: what a config reload keeps. Unchanged candidates keep their state (the very
 * same objects, so requests still on the old config feed it), a candidate the caller does not keep starts afresh,
 * a part whose own settings changed is rebuilt while the others stay, key cooldowns carry over, and the budget is
 * kept unless its settings changed. On a fake ticker.
 */
class HealthRegistryReloadTest {
    private final AtomicLong now = new AtomicLong();
    private final BreakerSettings breaker = new BreakerSettings(Duration.ofSeconds(30), 1, 0.5, Duration.ofMinutes(5),
                                                                1, 1);
    private final FailoverSettings failover = new FailoverSettings(FailoverSettings.DEFAULTS.retry(),
                                                                   CooldownSettings.DEFAULTS, breaker);
    private final HedgingSettings hedging = HedgingSettings.DEFAULTS;

    @Test
    void unchangedCandidatesKeepTheirStateAndOthersStartAfresh() {
        HealthRegistry before = new HealthRegistry(failover, hedging, now::get, HealthListener.NONE);
        CandidateHealth kept = before.candidate("p1/m1");
        kept.breaker().onFailure(FailureKind.SERVER_ERROR);
        before.candidate("p2/m2").breaker().onFailure(FailureKind.SERVER_ERROR);
        assertThat(kept.breaker().state().kind(), is(BreakerState.Kind.OPEN));

        HealthRegistry after = before.reconfigured(failover, hedging, label -> label.startsWith("p1/"));

        assertThat(after.candidate("p1/m1"), sameInstance(kept));
        assertThat(after.candidate("p2/m2").breaker().state().kind(), is(BreakerState.Kind.CLOSED));
        assertThat(after.keys(), sameInstance(before.keys()));
        assertThat(after.budget(), sameInstance(before.budget()));
    }

    @Test
    void aPartWhoseSettingsChangedIsRebuiltAndTheRestKept() {
        HealthRegistry before = new HealthRegistry(failover, hedging, now::get, HealthListener.NONE);
        CandidateHealth health = before.candidate("p1/m1");
        health.breaker().onFailure(FailureKind.SERVER_ERROR);
        health.recordLatency(true, Duration.ofMillis(200).toNanos());

        BreakerSettings longer = new BreakerSettings(Duration.ofSeconds(30), 1, 0.5, Duration.ofMinutes(10), 1, 1);
        HedgingSettings otherBudget = new HedgingSettings(new BudgetSettings(0.2, 1, Duration.ofSeconds(10)),
                                                          hedging.baseline(), hedging.demotion(), hedging.defaults());
        HealthRegistry after = before.reconfigured(new FailoverSettings(failover.retry(), failover.cooldowns(), longer),
                                                   otherBudget, label -> true);

        CandidateHealth next = after.candidate("p1/m1");
        assertThat(next, not(sameInstance(health)));
        assertThat("a new breaker starts closed", next.breaker().state().kind(), is(BreakerState.Kind.CLOSED));
        assertThat(next.breaker().settings(), is(longer));
        assertThat("the baseline is kept", next.baseline(true), sameInstance(health.baseline(true)));
        assertThat(next.baseline(true).windowCount(), is(1L));
        assertThat(after.budget(), not(sameInstance(before.budget())));
        assertThat(after.budget().settings().ratio(), is(0.2));

        HedgingSettings otherBaseline = new HedgingSettings(hedging.budget(), new BaselineSettings(
                Duration.ofSeconds(40), 10, Duration.ofMinutes(5)), DemotionSettings.DEFAULTS, HedgeSettings.OFF);
        CandidateHealth rebased = before.reconfigured(failover, otherBaseline, label -> true).candidate("p1/m1");
        assertThat(rebased.breaker(), sameInstance(health.breaker()));
        assertThat(rebased.baseline(true).windowCount(), is(0L));
    }

    @Test
    void keyCooldownsCarryOverEvenWhenTheLaddersChange() {
        ApiKey key = ApiKey.of("main", "sk-test-reload-0000");
        HealthRegistry before = new HealthRegistry(failover, hedging, now::get, HealthListener.NONE);
        before.keys().onFailure(key, FailureKind.RATE_LIMITED, Optional.of(Duration.ofSeconds(40)));

        CooldownSettings ladder = new CooldownSettings(List.of(Duration.ofSeconds(5)), CooldownSettings.DEFAULTS.auth(),
                                                       CooldownSettings.DEFAULTS.maxRetryAfter());
        HealthRegistry after = before.reconfigured(new FailoverSettings(failover.retry(), ladder, breaker), hedging,
                                                   label -> true);

        assertThat(after.keys(), not(sameInstance(before.keys())));
        assertThat(after.keys().coolingFor(key), is(Optional.of(Duration.ofSeconds(40))));
        now.addAndGet(Duration.ofSeconds(41).toNanos());
        assertThat(after.keys().available(key), is(true));
        after.keys().onFailure(key, FailureKind.RATE_LIMITED, Optional.empty());
        assertThat("the next 429 climbs the new ladder", after.keys().coolingFor(key),
                   is(Optional.of(Duration.ofSeconds(5))));
    }
}
