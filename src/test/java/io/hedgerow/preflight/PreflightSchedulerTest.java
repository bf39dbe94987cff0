package io.hedgerow.preflight;

import io.hedgerow.config.ApiKey;
import io.hedgerow.config.CooldownSettings;
import io.hedgerow.config.HedgerowConfig;
import io.hedgerow.config.ObserveSettings;
import io.hedgerow.config.PreflightSettings;
import io.hedgerow.health.HealthListener;
import io.hedgerow.health.KeyHealth;
import io.hedgerow.model.ChatResponse;
import io.hedgerow.model.Failure;
import io.hedgerow.model.FailureKind;
import io.hedgerow.provider.ChatStream;
import io.hedgerow.provider.ModelListing;
import io.hedgerow.provider.ProviderCall;
import io.hedgerow.provider.ProviderClient;
import io.hedgerow.provider.ProviderException;
import io.hedgerow.testing.TestConfig;
import io.hedgerow.time.Ticker;

import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.is;

/**
 * Rounds with a fake ticker and in-process clients that answer by key: what is due, what a config change makes
 * due, what feeds key health, and that a failing listener changes nothing.
 */
class PreflightSchedulerTest {
    private static final Clock CLOCK = Clock.fixed(Instant.parse("2026-11-22T07:00:00Z"), ZoneOffset.UTC);
    private static final PreflightSettings HOURLY = new PreflightSettings(true, Duration.ofHours(1),
                                                                         Duration.ofSeconds(2));

    private final AtomicLong now = new AtomicLong();
    private final List<String> asked = new CopyOnWriteArrayList<>();
    private final KeyHealth keys = new KeyHealth(CooldownSettings.DEFAULTS, now::get, HealthListener.NONE);
    private final AtomicReference<HedgerowConfig> config = new AtomicReference<>();

    /** Refuses keys whose value contains "revoked"; lists m1 for the others. */
    private final ProviderClient client = new ProviderClient() {
        @Override
        public String name() {
            return "any";
        }

        @Override
        public ChatResponse complete(ProviderCall call) {
            throw new UnsupportedOperationException();
        }

        @Override
        public ChatStream stream(ProviderCall call) {
            throw new UnsupportedOperationException();
        }

        @Override
        public ModelListing listModels(Optional<ApiKey> key, Duration timeout) throws ProviderException {
            asked.add(key.map(ApiKey::label).orElse("none"));
            if (key.map(k -> k.value().contains("revoked")).orElse(false)) {
                throw new ProviderException(new Failure(FailureKind.AUTH, 401, "invalid key", Optional.empty()));
            }
            return ModelListing.of(List.of("m1"));
        }
    };

    private PreflightScheduler scheduler(PreflightListener listener) {
        return new PreflightScheduler(() -> new PreflightScheduler.Fleet(
                config.get(), Map.of("a", client, "b", client), keys), now::get, Ticker.system(), CLOCK, listener);
    }

    private static HedgerowConfig twoProviders(String bKey, PreflightSettings preflight) {
        HedgerowConfig c = TestConfig.builder()
                .openAi("a", "http://a.invalid/v1", p -> p.key("a1", "sk-a1").key("a2", "sk-revoked-a2"))
                .openAi("b", "http://b.invalid/v1", p -> p.key("b1", bKey))
                .route("r1", "a/m1", "b/m1")
                .route("r2", "a/m2")
                .build();
        return c.withObserve(ObserveSettings.DEFAULTS.withPreflight(preflight));
    }

    @Test
    void aConfigChangeMakesOnlyTheChangedTargetsDue() {
        config.set(twoProviders("sk-b1", HOURLY));
        PreflightScheduler scheduler = scheduler(PreflightListener.NONE);

        Round first = scheduler.runDue("startup").orElseThrow();
        assertThat(first.ran().stream().map(r -> r.target().toString()).toList(), is(List.of("a#a1", "a#a2", "b#b1")));
        // a's revoked key entered the auth ladder as after a real 401.
        assertThat(keys.coolingFor(ApiKey.of("a2", "sk-revoked-a2")), is(Optional.of(Duration.ofMinutes(10))));

        // b's key is rotated: only b is asked again; a waits for its hour.
        config.set(twoProviders("sk-b1-rotated", HOURLY));
        now.addAndGet(Duration.ofMinutes(5).toNanos());
        Round reload = scheduler.runDue("reload").orElseThrow();

        assertThat(reload.ran().stream().map(r -> r.target().toString()).toList(), is(List.of("b#b1")));
        assertThat(reload.latest().size(), is(3));
        // A round's checks run at once, each on a thread of its own: the order they reach the upstream is free.
        assertThat(asked.stream().sorted().toList(), is(List.of("a1", "a2", "b1", "b1")));
        assertThat(scheduler.runDue("interval"), is(Optional.empty()));
    }

    @Test
    void nothingIsCheckedWhileChecksAreOff() {
        config.set(twoProviders("sk-b1", HOURLY.withEnabled(false)));

        assertThat(scheduler(PreflightListener.NONE).runDue("startup"), is(Optional.empty()));
        assertThat(asked, is(List.of()));
    }

    @Test
    void aListenerThatThrowsChangesNothing() {
        config.set(twoProviders("sk-b1", HOURLY));
        PreflightScheduler scheduler = scheduler(new PreflightListener() {
            @Override
            public void checked(CheckResult result, List<String> candidates, String trigger) {
                throw new IllegalStateException("listener bug");
            }

            @Override
            public void roundEnded(Round round) {
                throw new IllegalStateException("listener bug");
            }
        });

        Round round = scheduler.runDue("startup").orElseThrow();

        assertThat(round.ran().size(), is(3));
        assertThat(scheduler.lastRound(), is(Optional.of(round)));
        assertThat(keys.available(ApiKey.of("a2", "sk-revoked-a2")), is(false));
    }

    @Test
    void theListenerHearsEachResultWithTheCandidatesThatUseIt() {
        config.set(twoProviders("sk-b1", HOURLY));
        List<String> heard = new CopyOnWriteArrayList<>();
        scheduler(new PreflightListener() {
            @Override
            public void checked(CheckResult result, List<String> candidates, String trigger) {
                heard.add(result.target() + " " + result.verdict().wireName() + " " + candidates + " " + trigger);
            }

            @Override
            public void roundEnded(Round round) {
                heard.add("round " + round.trigger() + " " + round.ran().size() + " " + round.startedAt());
            }
        }).runDue("startup");

        assertThat(heard, is(List.of("a#a1 ok [a/m1, a/m2] startup", "a#a2 auth_failed [a/m1, a/m2] startup",
                                     "b#b1 ok [b/m1] startup", "round startup 3 2026-11-22T07:00:00Z")));
    }
}
