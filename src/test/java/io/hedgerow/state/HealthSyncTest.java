package io.hedgerow.state;

import io.hedgerow.config.ApiKey;
import io.hedgerow.config.BreakerSettings;
import io.hedgerow.config.CooldownSettings;
import io.hedgerow.config.FailoverSettings;
import io.hedgerow.config.HedgingSettings;
import io.hedgerow.config.RecoverySettings;
import io.hedgerow.config.RetrySettings;
import io.hedgerow.config.StateSettings;
import io.hedgerow.health.BreakerState;
import io.hedgerow.health.CircuitBreaker;
import io.hedgerow.health.HealthEvent;
import io.hedgerow.health.HealthRegistry;
import io.hedgerow.health.Measure;
import io.hedgerow.model.FailureKind;

import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.instanceOf;
import static org.hamcrest.Matchers.is;

/**
 * Health and the store kept in step, on a fake ticker and a fixed clock: what changes here is published once with
 * absolute times; what is learned is adopted when newer, ignored when older, and not published again.
 */
class HealthSyncTest {
    private static final long T0 = 1_800_000_000_000L; // epoch ms of the fixed clock
    private final AtomicLong now = new AtomicLong(5_000_000_000L);
    private final Clock clock = Clock.fixed(Instant.ofEpochMilli(T0), ZoneOffset.UTC);
    private final List<StateRecord> published = new ArrayList<>();
    private final List<HealthEvent> events = new ArrayList<>();
    private final List<java.util.function.Supplier<java.util.Collection<StateRecord>>> saving = new ArrayList<>();
    private final LocalStore store = new LocalStore(StateSettings.DEFAULTS, clock, now::get, "here");
    private final HealthSync sync = new HealthSync(new Recording(), now::get, clock, "here");
    private final BreakerSettings breaker = new BreakerSettings(Duration.ofSeconds(30), 2, 0.5, Duration.ofSeconds(30),
                                                                1, 1);
    private final HealthRegistry registry = new HealthRegistry(
            new FailoverSettings(RetrySettings.DEFAULTS, CooldownSettings.DEFAULTS, breaker, RecoverySettings.DEFAULTS),
            HedgingSettings.DEFAULTS, now::get, ((io.hedgerow.health.HealthListener) events::add).andThen(sync), sync);
    private final ApiKey key = ApiKey.of("main", "sk-sync-test");

    HealthSyncTest() {
        sync.attach(() -> registry, label -> label.equals("p/m"));
    }

    /** A store that records what it is told and grants probes as a single router does. */
    private final class Recording implements StateStore {
        @Override
        public void start(java.util.function.Consumer<StateRecord> learned) {
        }

        @Override
        public void publish(StateRecord record) {
            published.add(record);
            store.publish(record);
        }

        @Override
        public java.util.Collection<StateRecord> records() {
            return store.records();
        }

        @Override
        public boolean tryProbe(String b) {
            return true;
        }

        @Override
        public void releaseProbe(String b) {
        }

        @Override
        public RateLimits rateLimits() {
            return store.rateLimits();
        }

        @Override
        public StoreStatus status() {
            return store.status();
        }

        @Override
        public void onStatus(java.util.function.Consumer<StoreStatus> listener) {
        }

        @Override
        public void onSave(java.util.function.Supplier<java.util.Collection<StateRecord>> records) {
            saving.add(records);
        }

        @Override
        public void close() {
        }
    }

    @Test
    void aCooldownIsPublishedOnceWithItsAbsoluteEnd() {
        registry.keys().onFailure(key, FailureKind.RATE_LIMITED, Optional.of(Duration.ofSeconds(60)));
        assertThat(published, hasSize(1));
        StateRecord.Key record = (StateRecord.Key) published.getFirst();
        assertThat(record.cooling(), is(true));
        assertThat(record.untilMillis(), is(T0 + 60_000));
        assertThat(record.consecutive(), is(1));
        assertThat(record.origin(), is("here"));
        assertThat("kept at least as long as the ladder's longest rung", record.expiresAtMillis() >= T0 + 60_000
                + Duration.ofMinutes(25).toMillis(), is(true));
        // A failure of a call that was in flight when the cooldown began changes nothing worth telling.
        registry.keys().onFailure(key, FailureKind.RATE_LIMITED, Optional.of(Duration.ofSeconds(60)));
        assertThat(published, hasSize(1));
    }

    @Test
    void aNewerCooldownFromElsewhereIsAdoptedAndNotPublishedAgain() {
        String fp = fingerprint();
        sync.learn(new StateRecord.Key(fp, "main", FailureKind.AUTH, 2, true, T0 + 3_600_000, true, T0 - 1000, T0,
                                       T0 + 90_000_000, "there"));
        assertThat(registry.keys().coolingFor(key).orElseThrow(), is(Duration.ofHours(1)));
        assertThat(events.getLast(), instanceOf(HealthEvent.CooldownStarted.class));
        assertThat("adopting publishes nothing", published, hasSize(0));
        // An older record of the same key (a replica that had not heard) does not undo it.
        sync.learn(new StateRecord.Key(fp, "main", FailureKind.AUTH, 1, false, T0 - 10, true, T0 - 5000, T0 - 1,
                                       T0 + 90_000_000, "late"));
        assertThat(registry.keys().coolingFor(key).isPresent(), is(true));
        // A newer one that ends it (a live check elsewhere found the key fixed) does.
        sync.learn(new StateRecord.Key(fp, "main", FailureKind.AUTH, 2, false, T0 + 3_600_000, true, T0 - 1000,
                                       T0 + 1, T0 + 90_000_000, "there"));
        assertThat(registry.keys().coolingFor(key).isPresent(), is(false));
        assertThat(events.getLast(), instanceOf(HealthEvent.CooldownEnded.class));
        assertThat(published, hasSize(0));
    }

    @Test
    void aBreakerOpenedElsewhereIsOpenHereUntilTheSameTimeAndClosedWhenItsProbeSucceeded() {
        sync.learn(new StateRecord.Breaker("p/m", BreakerState.Kind.OPEN, T0 + 30_000, 0, "failure ratio", T0,
                                           T0 + 600_000, "there"));
        CircuitBreaker b = registry.candidate("p/m").breaker();
        assertThat(b.state().kind(), is(BreakerState.Kind.OPEN));
        assertThat(b.retryIn().orElseThrow(), is(Duration.ofSeconds(30)));
        assertThat(b.acquire().isPresent(), is(false));
        sync.learn(new StateRecord.Breaker("p/m", BreakerState.Kind.CLOSED, T0 + 31_000, 0, "1 probe success",
                                           T0 + 31_000, T0 + 600_000, "there"));
        assertThat(b.state().kind(), is(BreakerState.Kind.CLOSED));
        assertThat(b.acquire().isPresent(), is(true));
        assertThat(published, hasSize(0));
        // A candidate this router does not route to is not created by news of it.
        sync.learn(new StateRecord.Breaker("other/x", BreakerState.Kind.OPEN, T0 + 30_000, 0, "r", T0 + 2,
                                           T0 + 600_000, "there"));
        assertThat(registry.candidates().containsKey("other/x"), is(false));
    }

    @Test
    void aBreakerOpenedHereIsPublishedWithItsEndAndItsCloseToo() {
        CircuitBreaker b = registry.candidate("p/m").breaker();
        for (int i = 0; i < 2; i++) {
            b.onFailure(b.acquire().orElseThrow(), FailureKind.SERVER_ERROR);
        }
        StateRecord.Breaker open = (StateRecord.Breaker) published.getLast();
        assertThat(open.kind(), is(BreakerState.Kind.OPEN));
        assertThat(open.untilMillis(), is(T0 + 30_000));
        now.addAndGet(Duration.ofSeconds(30).toNanos());
        b.onSuccess(b.acquire().orElseThrow()); // the probe
        StateRecord.Breaker closed = (StateRecord.Breaker) published.getLast();
        assertThat(closed.kind(), is(BreakerState.Kind.CLOSED));
        assertThat(published, hasSize(2));
    }

    @Test
    void aDemotionVerdictTravelsBothWays() {
        sync.learn(new StateRecord.Demotion("p/m", Measure.FIRST_TOKEN, true, "slow elsewhere", T0, T0 + 1_800_000,
                                            "there"));
        assertThat(registry.candidate("p/m").demoted(), is(true));
        assertThat(registry.candidate("p/m").demoted(true), is(true));
        assertThat(registry.candidate("p/m").demoted(false), is(false));
        assertThat(registry.candidate("p/m").demotionReason(), is("slow elsewhere"));
        sync.learn(new StateRecord.Demotion("p/m", Measure.FIRST_TOKEN, false, "", T0 + 1, T0 + 600_000, "there"));
        assertThat(registry.candidate("p/m").demoted(), is(false));
        assertThat(published, hasSize(0));
    }

    private String fingerprint() {
        registry.keys().onFailure(key, FailureKind.RATE_LIMITED, Optional.of(Duration.ZERO));
        published.clear();
        return registry.keys().entries().getFirst().fingerprint();
    }

    private void advance(Duration d) {
        now.addAndGet(d.toNanos());
    }

    private StateRecord.Demotion demotion(boolean demoted, long at) {
        return new StateRecord.Demotion("p/m", Measure.WHOLE_ANSWER, demoted, demoted ? "slow elsewhere" : "", at,
                                        at + HealthSync.VERDICT.toMillis(), "there");
    }

    @Test
    void anAdoptedDemotionEndsWhenItsOriginStopsRenewingIt() {
        sync.learn(demotion(true, T0));
        assertThat(registry.candidate("p/m").demoted(false), is(true));
        advance(DemotionLeases.LEASE.minusSeconds(1));
        sync.tick();
        assertThat("within the lease", registry.candidate("p/m").demoted(false), is(true));

        // The origin renews it: the lease starts again from now.
        sync.learn(demotion(true, T0 + 1));
        advance(Duration.ofSeconds(30));
        sync.tick();
        assertThat("renewed", registry.candidate("p/m").demoted(false), is(true));

        // Then nothing more (the origin died, or Redis is down): the lease runs out, this replica judges again.
        advance(DemotionLeases.LEASE);
        sync.tick();
        assertThat(registry.candidate("p/m").demoted(false), is(false));
        assertThat(events.getLast(), instanceOf(HealthEvent.Recovered.class));
        assertThat("a lapse is not news: elsewhere the verdict may stand", published, hasSize(0));
        // And a lapsed lease does not come back on its own.
        advance(DemotionLeases.LEASE);
        sync.tick();
        assertThat(registry.candidate("p/m").demoted(false), is(false));
    }

    @Test
    void aDemotionOfThisReplicaIsRenewedWhileItStandsAndNeverLapsesHere() {
        // This replica's own verdict (the Demotion's own event, not an adoption through the sync).
        var demotion = registry.candidate("p/m").demotion(false);
        demotion.adopt(true, "recent median 2 s > 3x long-run 400 ms", 400_000_000L);
        assertThat(published, hasSize(1));
        advance(DemotionLeases.RENEW.minusMillis(1));
        sync.tick();
        assertThat(published, hasSize(1));
        advance(Duration.ofMillis(1));
        sync.tick();
        assertThat("renewed for the other replicas' leases", published, hasSize(2));
        StateRecord.Demotion renewal = (StateRecord.Demotion) published.getLast();
        assertThat(renewal.demoted(), is(true));
        assertThat(renewal.reason(), is("recent median 2 s > 3x long-run 400 ms"));
        assertThat(renewal.origin(), is("here"));

        // A copy of the same verdict from elsewhere does not turn it into an adopted one with a lease.
        sync.learn(demotion(true, T0 + 5));
        advance(DemotionLeases.LEASE.multipliedBy(2));
        sync.tick();
        assertThat(demotion.demoted(), is(true));

        // Recovered here: published once, then no more renewals.
        demotion.adopt(false, "", 0);
        int afterRecovery = published.size();
        assertThat(((StateRecord.Demotion) published.getLast()).demoted(), is(false));
        advance(DemotionLeases.LEASE);
        sync.tick();
        assertThat(published, hasSize(afterRecovery));
    }

    @Test
    void longRunBaselinesAreSavedAndRestoredOnceAfterARestartDecayedByTheirAge() {
        for (int i = 0; i < 100; i++) {
            registry.candidate("p/m").recordLatency(false, 400_000_000L);
        }
        registry.candidate("other/m").recordLatency(false, 1_000_000L);
        List<StateRecord> saved = saving.getFirst().get().stream()
                .map(r -> RecordCodec.read(RecordCodec.write(r)).orElseThrow()).toList();
        assertThat("configured candidates only, measures with samples only", saved, hasSize(1));
        StateRecord.Baseline b = (StateRecord.Baseline) saved.getFirst();
        assertThat(b.id(), is("baseline:p/m#whole_answer"));
        assertThat(b.expiresAtMillis() - b.atMillis(), is(8 * Duration.ofMinutes(10).toMillis()));

        // The next process: its own ticker, and a clock one half-life later.
        AtomicLong later = new AtomicLong(42);
        Clock then = Clock.fixed(Instant.ofEpochMilli(T0).plus(Duration.ofMinutes(10)), ZoneOffset.UTC);
        HealthSync next = new HealthSync(new Recording(), later::get, then, "next");
        HealthRegistry restarted = new HealthRegistry(registry.failover(), HedgingSettings.DEFAULTS, later::get,
                                                      next, next);
        next.attach(() -> restarted, label -> label.equals("p/m"));
        next.learn(b);
        var baseline = restarted.candidate("p/m").baseline(false);
        assertThat(Math.round(baseline.longRunWeight() * 1000) / 1000.0, is(50.0));
        double median = baseline.longRunMedianNanos().getAsLong() / 400_000_000.0;
        assertThat("the median within the histogram's 4.9%: " + median, Math.abs(median - 1) <= 0.049, is(true));
        assertThat(baseline.windowCount(), is(0L));
        next.learn(b);
        assertThat("restored once", Math.round(baseline.longRunWeight() * 1000) / 1000.0, is(50.0));
        assertThat(restarted.candidate("p/m").baseline(true).longRunWeight(), is(0.0));
    }
}
