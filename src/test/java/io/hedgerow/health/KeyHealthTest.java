package io.hedgerow.health;

import io.hedgerow.config.CooldownSettings;
import io.hedgerow.config.KeyRotation;

import io.hedgerow.config.ApiKey;
import io.hedgerow.health.HealthEvent.CooldownEnded;
import io.hedgerow.health.HealthEvent.CooldownStarted;
import io.hedgerow.model.Failure;
import io.hedgerow.model.FailureKind;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static io.hedgerow.model.FailureKind.AUTH;
import static io.hedgerow.model.FailureKind.RATE_LIMITED;
import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.containsString;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Key cooldowns with a fake ticker: ladders, Retry-After, rate-limit domains, lazy expiry, picking. */
class KeyHealthTest {
    private static final Optional<Duration> NO_RETRY_AFTER = Optional.empty();

    private final AtomicLong now = new AtomicLong();
    private final List<HealthEvent> events = new CopyOnWriteArrayList<>();
    private final KeyHealth health = new KeyHealth(CooldownSettings.DEFAULTS, now::get, events::add);

    private final ApiKey k1 = ApiKey.of("k1", "sk-one");
    private final ApiKey k2 = ApiKey.of("k2", "sk-two");
    private final ApiKey k3 = ApiKey.of("k3", "sk-three");

    private void advance(Duration d) {
        now.addAndGet(d.toNanos());
    }

    /** Reports failures one after another, each after the previous cooldown ended; returns the cooldowns. */
    private List<Duration> ladder(ApiKey key, FailureKind kind, int failures) {
        List<Duration> out = new ArrayList<>();
        for (int i = 0; i < failures; i++) {
            health.onFailure(key, kind, NO_RETRY_AFTER);
            Duration d = health.coolingFor(key).orElseThrow();
            out.add(d);
            advance(d);
            assertTrue(health.available(key));
        }
        return out;
    }

    @Test
    void rateLimitLadderGrowsAndCaps() {
        assertThat(ladder(k1, RATE_LIMITED, 6), contains(
                Duration.ofSeconds(30), Duration.ofMinutes(1), Duration.ofMinutes(5),
                Duration.ofMinutes(25), Duration.ofMinutes(25), Duration.ofMinutes(25)));
        assertThat(events.getFirst(), is(new CooldownStarted("k1", RATE_LIMITED, Duration.ofSeconds(30), 1)));
        assertThat(events.get(events.size() - 2), is(new CooldownStarted("k1", RATE_LIMITED, Duration.ofMinutes(25), 6)));
        assertThat(events.getLast(), is(new CooldownEnded("k1")));
    }

    @Test
    void aLiveCheckThatFindsTheKeyAcceptedEndsACredentialCooldown() {
        health.onFailure(k1, new Failure(AUTH, 401, "invalid key", Optional.empty()));
        advance(Duration.ofSeconds(5));
        long checkStarted = now.get();
        advance(Duration.ofMillis(200));

        assertTrue(health.verified(k1, checkStarted));

        assertTrue(health.available(k1));
        assertThat(events.getLast(), is(new CooldownEnded("k1")));
        // The count stands: a key that lists models but is refused for chat climbs on its next 401 ...
        health.onFailure(k1, new Failure(AUTH, 401, "invalid key", Optional.empty()));
        assertThat(health.coolingFor(k1), is(Optional.of(Duration.ofHours(1))));
        // ... a check that started at the very moment of that 401 is no evidence either way ...
        assertFalse(health.verified(k1, now.get()));
        // ... a later one is; and a real success resets the count.
        advance(Duration.ofMillis(1));
        assertTrue(health.verified(k1, now.get()));
        health.onSuccess(k1);
        health.onFailure(k1, new Failure(AUTH, 403, "forbidden", Optional.empty()));
        assertThat(health.coolingFor(k1), is(Optional.of(Duration.ofMinutes(10))));
    }

    @Test
    void aLiveCheckOlderThanTheFailureOrAboutAnotherCauseChangesNothing() {
        long before = now.get();
        advance(Duration.ofSeconds(1));
        health.onFailure(k1, new Failure(AUTH, 401, "invalid key", Optional.empty()));
        health.onFailure(k2, new Failure(AUTH, 402, "payment required", Optional.empty()));
        health.onFailure(k3, new Failure(AUTH, 429, "insufficient_quota", Optional.empty()));
        ApiKey k4 = ApiKey.of("k4", "sk-four");
        health.onFailure(k4, new Failure(RATE_LIMITED, 429, "slow down", Optional.empty()));
        ApiKey k5 = ApiKey.of("k5", "sk-five");
        health.onFailure(k5, AUTH, NO_RETRY_AFTER);
        int reported = events.size();
        advance(Duration.ofSeconds(1));

        assertFalse(health.verified(k1, before), "the check started before the 401: the 401 is newer news");
        for (ApiKey key : List.of(k2, k3, k4, k5)) {
            assertFalse(health.verified(key, now.get()), key.label());
            assertFalse(health.available(key), key.label());
        }
        assertFalse(health.available(k1));
        assertFalse(health.verified(ApiKey.of("fresh", "sk-never-failed"), now.get()));
        assertThat(events.size(), is(reported));
    }

    @Test
    void authCoolsFarLongerAndIgnoresRetryAfter() {
        health.onFailure(k1, new Failure(AUTH, 401, "invalid key", Optional.of(Duration.ofSeconds(5))));
        assertThat(health.coolingFor(k1), is(Optional.of(Duration.ofMinutes(10))));
        advance(Duration.ofMinutes(10));
        assertThat(ladder(k1, AUTH, 4), contains(
                Duration.ofHours(1), Duration.ofHours(6), Duration.ofHours(24), Duration.ofHours(24)));
    }

    @Test
    void retryAfterSetsTheCooldownCappedAtTheMaximum() {
        health.onFailure(k1, RATE_LIMITED, Optional.of(Duration.ofSeconds(7)));
        assertThat(health.coolingFor(k1), is(Optional.of(Duration.ofSeconds(7))));
        advance(Duration.ofSeconds(7));
        health.onFailure(k1, RATE_LIMITED, Optional.of(Duration.ofHours(2)));
        assertThat(health.coolingFor(k1), is(Optional.of(Duration.ofMinutes(10))));
        assertThat(events.getLast(), is(new CooldownStarted("k1", RATE_LIMITED, Duration.ofMinutes(10), 2)));
        advance(Duration.ofMinutes(10));
        // Without Retry-After the ladder continues where the count is: third rung.
        health.onFailure(k1, RATE_LIMITED, NO_RETRY_AFTER);
        assertThat(health.coolingFor(k1), is(Optional.of(Duration.ofMinutes(5))));
    }

    @Test
    void aRetryAfterOfZeroIsObeyed() {
        health.onFailure(k1, RATE_LIMITED, Optional.of(Duration.ZERO));
        assertTrue(health.available(k1));
        assertThat(events, empty());
        assertThat(health.status(k1).consecutiveFailures(), is(1));
    }

    @Test
    void successResetsTheLadderButNotACooldown() {
        assertThat(ladder(k1, RATE_LIMITED, 2), contains(Duration.ofSeconds(30), Duration.ofMinutes(1)));
        health.onSuccess(k1);
        health.onFailure(k1, RATE_LIMITED, NO_RETRY_AFTER);
        assertThat(health.coolingFor(k1), is(Optional.of(Duration.ofSeconds(30))));
        health.onSuccess(k1); // a call from before the cooldown
        assertFalse(health.available(k1));
        assertThat(health.status(k1).consecutiveFailures(), is(0));
        advance(Duration.ofSeconds(30));
        assertTrue(health.available(k1));
        assertThat(health.trackedKeys(), is(0));
    }

    @Test
    void switchingKindRestartsTheCount() {
        ladder(k1, RATE_LIMITED, 3);
        health.onFailure(k1, AUTH, NO_RETRY_AFTER);
        assertThat(health.coolingFor(k1), is(Optional.of(Duration.ofMinutes(10))));
        assertThat(events.getLast(), is(new CooldownStarted("k1", AUTH, Duration.ofMinutes(10), 1)));
    }

    @Test
    void otherFailuresChangeNothing() {
        for (FailureKind kind : FailureKind.values()) {
            if (kind != RATE_LIMITED && kind != AUTH) {
                health.onFailure(k1, kind, Optional.of(Duration.ofMinutes(1)));
            }
        }
        assertTrue(health.available(k1));
        assertThat(health.trackedKeys(), is(0));
        assertThat(events, empty());
    }

    @Test
    void failuresWhileCoolingDoNotClimbTheLadder() {
        for (int i = 0; i < 4; i++) { // a burst of parallel calls all refused
            health.onFailure(k1, RATE_LIMITED, NO_RETRY_AFTER);
        }
        assertThat(health.coolingFor(k1), is(Optional.of(Duration.ofSeconds(30))));
        assertThat(health.status(k1).consecutiveFailures(), is(1));
        assertThat(events, contains(new CooldownStarted("k1", RATE_LIMITED, Duration.ofSeconds(30), 1)));
        advance(Duration.ofSeconds(10));
        health.onFailure(k1, RATE_LIMITED, Optional.of(Duration.ofMinutes(2))); // can lengthen it
        assertThat(health.coolingFor(k1), is(Optional.of(Duration.ofMinutes(2))));
        health.onFailure(k1, RATE_LIMITED, Optional.of(Duration.ofSeconds(1))); // cannot shorten it
        assertThat(health.coolingFor(k1), is(Optional.of(Duration.ofMinutes(2))));
        assertThat(events.size(), is(1));
    }

    @Test
    void keysWithTheSameValueShareOneRateLimitDomain() {
        ApiKey onOpenAi = ApiKey.of("openai-main", "sk-shared");
        ApiKey onAzure = ApiKey.of("azure-proxy", "sk-shared");
        health.onFailure(onOpenAi, RATE_LIMITED, NO_RETRY_AFTER);
        assertFalse(health.available(onAzure));
        assertThat(health.coolingFor(onAzure), is(Optional.of(Duration.ofSeconds(30))));
        assertTrue(health.available(k1));
        // The ladder is shared too: a 429 seen through the other label climbs it.
        advance(Duration.ofSeconds(30));
        health.onFailure(onAzure, RATE_LIMITED, NO_RETRY_AFTER);
        assertThat(health.coolingFor(onOpenAi), is(Optional.of(Duration.ofMinutes(1))));
        assertThat(events.getLast(), is(new CooldownStarted("azure-proxy", RATE_LIMITED, Duration.ofMinutes(1), 2)));
    }

    @Test
    void cooldownEndedIsReportedOnceByTheFirstQueryAfterTheEnd() {
        health.onFailure(k1, RATE_LIMITED, NO_RETRY_AFTER);
        advance(Duration.ofSeconds(29));
        assertFalse(health.available(k1));
        advance(Duration.ofSeconds(5));
        assertThat(events.size(), is(1)); // nothing happens by itself
        assertTrue(health.available(k1));
        assertTrue(health.available(k1));
        assertThat(health.coolingFor(k1), is(Optional.empty()));
        health.snapshot();
        assertThat(events, contains(new CooldownStarted("k1", RATE_LIMITED, Duration.ofSeconds(30), 1),
                                    new CooldownEnded("k1")));
    }

    @Test
    void pickOrderedTakesTheFirstAvailableNotExcluded() {
        List<ApiKey> keys = List.of(k1, k2, k3);
        assertThat(health.pick(keys, Set.of(), KeyRotation.ORDERED), is(Optional.of(k1)));
        assertThat(health.pick(keys, Set.of(), KeyRotation.ORDERED), is(Optional.of(k1)));
        health.onFailure(k1, RATE_LIMITED, NO_RETRY_AFTER);
        assertThat(health.pick(keys, Set.of(), KeyRotation.ORDERED), is(Optional.of(k2)));
        assertThat(health.pick(keys, Set.of(k2), KeyRotation.ORDERED), is(Optional.of(k3)));
        health.onFailure(k3, RATE_LIMITED, Optional.of(Duration.ofSeconds(10)));
        assertThat(health.pick(keys, Set.of(k2), KeyRotation.ORDERED), is(Optional.empty()));
        assertThat(health.pick(List.of(), Set.of(), KeyRotation.ORDERED), is(Optional.empty()));
        // Excluding a key excludes its value, whatever the label.
        assertThat(health.pick(keys, Set.of(ApiKey.of("other-label", "sk-two")), KeyRotation.ORDERED),
                   is(Optional.empty()));
        advance(Duration.ofSeconds(10));
        assertThat(health.pick(keys, Set.of(k2), KeyRotation.ORDERED), is(Optional.of(k3)));
    }

    @Test
    void nextAvailableInIsTheShortestCooldownWhenAllCool() {
        List<ApiKey> keys = List.of(k1, k2);
        health.onFailure(k1, RATE_LIMITED, Optional.of(Duration.ofSeconds(40)));
        assertThat(health.nextAvailableIn(keys), is(Optional.empty()));
        health.onFailure(k2, RATE_LIMITED, Optional.of(Duration.ofSeconds(15)));
        advance(Duration.ofSeconds(5));
        assertThat(health.nextAvailableIn(keys), is(Optional.of(Duration.ofSeconds(10))));
    }

    @Test
    void pickRoundRobinRotatesAndSkips() {
        List<ApiKey> keys = List.of(k1, k2, k3);
        List<ApiKey> picked = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            picked.add(health.pick(keys, Set.of(), KeyRotation.ROUND_ROBIN).orElseThrow());
        }
        assertThat(picked, contains(k1, k2, k3, k1));
        health.onFailure(k3, RATE_LIMITED, NO_RETRY_AFTER);
        picked.clear();
        for (int i = 0; i < 3; i++) { // starts at k2, k3 (cooling: k1), k1
            picked.add(health.pick(keys, Set.of(), KeyRotation.ROUND_ROBIN).orElseThrow());
        }
        assertThat(picked, contains(k2, k1, k1));
        // starts at k2, excluded; k3 cools; k1
        assertThat(health.pick(keys, Set.of(k2), KeyRotation.ROUND_ROBIN), is(Optional.of(k1)));
        // Another list has its own counter.
        assertThat(health.pick(List.of(k2, k1), Set.of(), KeyRotation.ROUND_ROBIN), is(Optional.of(k2)));
    }

    @Test
    void statusAndSnapshotNameKeysByLabelOnly() {
        health.onFailure(k2, AUTH, NO_RETRY_AFTER);
        advance(Duration.ofMinutes(4));
        health.onFailure(k1, RATE_LIMITED, NO_RETRY_AFTER);
        List<KeyStatus> snapshot = health.snapshot();
        assertThat(snapshot, contains(
                new KeyStatus("k1", Duration.ofSeconds(30), Optional.of(RATE_LIMITED), 1),
                new KeyStatus("k2", Duration.ofMinutes(6), Optional.of(AUTH), 1)));
        assertTrue(snapshot.getFirst().cooling());
        assertThat(snapshot.toString(), not(containsString("sk-")));
        assertThat(health.status(k3), is(new KeyStatus("k3", Duration.ZERO, Optional.empty(), 0)));
        assertFalse(health.status(k3).cooling());
    }

    @Test
    void aThrowingListenerDoesNotReachTheCaller() {
        KeyHealth throwing = new KeyHealth(CooldownSettings.DEFAULTS, now::get, event -> {
            throw new IllegalStateException("listener bug");
        });
        throwing.onFailure(k1, RATE_LIMITED, NO_RETRY_AFTER);
        assertFalse(throwing.available(k1));
        advance(Duration.ofSeconds(30));
        assertTrue(throwing.available(k1));
    }

    @Test
    void settingsAreValidated() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new CooldownSettings(
                List.of(), List.of(Duration.ofMinutes(1)), Duration.ofMinutes(1)));
        assertThat(e.getMessage(), is("cooldown.rate-limited: [] (expected: at least one duration)"));
        e = assertThrows(IllegalArgumentException.class, () -> new CooldownSettings(
                List.of(Duration.ofSeconds(1)), List.of(Duration.ofMinutes(1), Duration.ofSeconds(-1)),
                Duration.ofMinutes(1)));
        assertThat(e.getMessage(), containsString("cooldown.auth[1]: "));
    }

    @Test
    void concurrentFailuresStartOneCooldownAndItEndsOnce() throws Exception {
        Concurrently.run(200, i -> health.onFailure(i % 2 == 0 ? k1 : ApiKey.of("k1-alias", "sk-one"),
                                                    RATE_LIMITED, NO_RETRY_AFTER));
        assertThat(events.size(), is(1));
        assertThat(health.status(k1).consecutiveFailures(), is(1));
        advance(Duration.ofSeconds(30));
        AtomicInteger available = new AtomicInteger();
        Concurrently.run(200, i -> {
            if (health.available(k1)) {
                available.incrementAndGet();
            }
        });
        assertThat(available.get(), is(200));
        assertThat(events.stream().filter(e -> e instanceof CooldownEnded).count(), is(1L));
    }

    @Test
    void concurrentRoundRobinSpreadsEvenly() throws Exception {
        List<ApiKey> keys = List.of(k1, k2, k3);
        Map<ApiKey, AtomicInteger> counts = new ConcurrentHashMap<>();
        Concurrently.run(300, i -> counts.computeIfAbsent(
                health.pick(keys, Set.of(), KeyRotation.ROUND_ROBIN).orElseThrow(), k -> new AtomicInteger())
                .incrementAndGet());
        assertThat(counts.get(k1).get(), is(100));
        assertThat(counts.get(k2).get(), is(100));
        assertThat(counts.get(k3).get(), is(100));
    }
}
