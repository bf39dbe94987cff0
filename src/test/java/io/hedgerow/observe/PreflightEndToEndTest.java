package io.hedgerow.observe;

import com.fasterxml.jackson.databind.JsonNode;
import io.hedgerow.config.ConfigLoader;
import io.hedgerow.config.HedgerowConfig;
import io.hedgerow.config.PreflightSettings;
import io.hedgerow.fakes.FakeOpenAi;
import io.hedgerow.fakes.FakeOpenAi.Reply;
import io.hedgerow.preflight.CheckResult;
import io.hedgerow.preflight.Round;
import io.hedgerow.testing.TestConfig;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.not;

/**
 * The running router's live checks against fake upstreams that serve {@code GET /v1/models}: a key refused at
 * start-up cools along the auth ladder before any traffic (and traffic goes to the other key), events and metrics
 * tell it, {@code /status} shows each key's last check; checks are rate-limited per provider+key, a key found
 * accepted again comes back early, a reload checks only what it changed, and start-up never waits for a check.
 * Time is a fake ticker wherever it matters; rounds are awaited by their completion, never by sleeping.
 */
class PreflightEndToEndTest {
    private static final String GOOD = "sk-test-preflight-good-0123456789";
    private static final String REVOKED = "sk-test-preflight-revoked-0123456789";
    private static final String CHAT = "{\"model\":\"%s\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}";
    private static final PreflightSettings EVERY_MINUTE = new PreflightSettings(true, Duration.ofMinutes(1),
                                                                               Duration.ofSeconds(5));

    @TempDir
    Path dir;

    private FakeOpenAi upstream;
    private ObservedRouter router;
    private final AtomicLong now = new AtomicLong();

    @BeforeEach
    void start() {
        upstream = FakeOpenAi.start();
        upstream.models(key -> key.equals(GOOD) ? Reply.models("m1", "m2") : Reply.invalidApiKeyEchoed());
    }

    @AfterEach
    void stop() {
        if (router != null) {
            router.close();
        }
        upstream.close();
    }

    /** One provider with a revoked key tried first and a good one, used by two routes. */
    private HedgerowConfig config(PreflightSettings preflight) {
        return config("p1", "revoked", preflight);
    }

    /** As {@link #config(PreflightSettings)}, with names of its own (metrics are counted JVM-wide). */
    private HedgerowConfig config(String provider, String revokedLabel, PreflightSettings preflight) {
        return TestConfig.builder()
                .preflight(preflight)
                .openAi(provider, upstream.baseUrl(), p -> p.key(revokedLabel, REVOKED).key("good", GOOD))
                .route("chat", provider + "/m1")
                .route("other", provider + "/m9")
                .build();
    }

    private Round firstRound() throws InterruptedException {
        assertThat("the start-up round ended", router.server.preflight().awaitRounds(1, Duration.ofSeconds(20)),
                   is(true));
        return router.server.preflight().lastRound().orElseThrow();
    }

    @Test
    void aKeyRefusedAtStartUpCoolsAndTrafficGoesToTheOtherKey() throws InterruptedException {
        router = ObservedRouter.start(config("pf", "revoked-pf", PreflightSettings.DEFAULTS), now::get);

        Round round = firstRound();

        assertThat(round.trigger(), is("startup"));
        assertThat(round.ran().stream().map(r -> r.target() + "=" + r.verdict().wireName()).toList(),
                   is(List.of("pf#revoked-pf=auth_failed", "pf#good=ok")));
        // Two routes use p1: still one check per key.
        assertThat(upstream.modelListings().size(), is(2));

        JsonNode candidate = router.status().path("routes").path(0).path("candidates").path(0);
        assertThat(candidate.path("label").asText(), is("pf/m1"));
        JsonNode revoked = candidate.path("keys").path(0);
        assertThat(revoked.path("label").asText(), is("revoked-pf"));
        assertThat(revoked.path("cooling").asBoolean(), is(true));
        assertThat(revoked.path("cause").asText(), is("auth"));
        assertThat(revoked.path("cooling_for_ms").asLong(), is(Duration.ofMinutes(10).toMillis()));
        JsonNode checks = candidate.path("preflight");
        assertThat(checks.path(0).path("key").asText(), is("revoked-pf"));
        assertThat(checks.path(0).path("result").asText(), is("auth_failed"));
        assertThat(checks.path(0).path("detail").asText(), containsString("401 auth failed: Incorrect API key provided"));
        assertThat(checks.path(1).path("result").asText(), is("ok"));
        assertThat(checks.path(1).path("model_listed").asBoolean(), is(true));
        JsonNode other = router.status().path("routes").path(1).path("candidates").path(0).path("preflight");
        assertThat(other.path(1).path("model_listed").asBoolean(true), is(false));
        JsonNode summary = router.status().path("preflight");
        assertThat(summary.path("enabled").asBoolean(), is(true));
        assertThat(summary.path("interval_s").asLong(), is(1800L));
        assertThat(summary.path("last_round").path("checked").asInt(), is(2));
        assertThat(summary.path("cannot_serve").size(), is(0));
        assertThat(summary.path("not_listed").path(0).asText(), is("pf/m9#good"));

        // Traffic skips the refused key: the one chat request goes out with the good one.
        HttpResponse<String> answer = router.raw.chat(CHAT.formatted("chat"));
        assertThat(answer.statusCode(), is(200));
        assertThat(upstream.onlyExchange().header("Authorization"), is(Optional.of("Bearer " + GOOD)));

        JsonNode failed = router.events("preflight_failed").getFirst();
        assertThat(failed.path("provider").asText(), is("pf"));
        assertThat(failed.path("key").asText(), is("revoked-pf"));
        assertThat(failed.path("result").asText(), is("auth_failed"));
        assertThat(failed.path("trigger").asText(), is("startup"));
        assertThat(failed.path("candidates").toString(), is("[\"pf/m1\",\"pf/m9\"]"));
        assertThat(router.events("preflight_failed").size(), is(1));
        JsonNode cooldown = router.events("cooldown_started").getFirst();
        assertThat(cooldown.path("key").asText(), is("revoked-pf"));
        assertThat(cooldown.path("cause").asText(), is("auth"));
        JsonNode line = router.events("preflight").getFirst();
        assertThat(line.path("checked").asInt(), is(2));
        assertThat(line.path("ok").asInt(), is(1));
        assertThat(line.path("auth_failed").asInt(), is(1));
        assertThat(line.path("not_listed").toString(), is("[\"pf/m9#good\"]"));

        io.hedgerow.testing.Scrape metrics = router.metrics();
        assertThat(metrics.sum("hedgerow_preflight_checks_total", "provider", "pf", "key", "revoked-pf", "result",
                               "auth_failed"), is(1.0));
        assertThat(metrics.sum("hedgerow_preflight_checks_total", "provider", "pf", "key", "good", "result", "ok"),
                   is(1.0));
        assertThat(metrics.sum("hedgerow_key_cooldowns_total", "key", "revoked-pf", "cause", "auth"), is(1.0));
        assertThat(metrics.sum("hedgerow_key_cooldown_remaining_seconds", "provider", "pf", "key", "revoked-pf"),
                   is(600.0));

        String everything = router.eventLines + router.raw.get("/status?format=json").body() + metrics.text()
                + answer.body() + answer.headers().map();
        assertThat(everything, not(containsString(REVOKED)));
        assertThat(everything, not(containsString(GOOD)));
    }

    @Test
    void eachProviderAndKeyIsCheckedAtMostOncePerInterval() throws InterruptedException {
        router = ObservedRouter.start(config(EVERY_MINUTE), now::get);
        firstRound();

        assertThat(router.server.preflight().runDue("interval"), is(Optional.empty()));
        now.addAndGet(Duration.ofSeconds(59).toNanos());
        assertThat(router.server.preflight().runDue("interval"), is(Optional.empty()));
        assertThat(upstream.modelListings().size(), is(2));

        now.addAndGet(Duration.ofSeconds(1).toNanos());
        Round second = router.server.preflight().runDue("interval").orElseThrow();

        assertThat(second.ran().size(), is(2));
        assertThat(upstream.modelListings().size(), is(4));
        assertThat(router.server.preflight().runDue("interval"), is(Optional.empty()));
    }

    @Test
    void aKeyFoundAcceptedAgainComesBackBeforeItsCooldownEnds() throws InterruptedException {
        router = ObservedRouter.start(config(EVERY_MINUTE), now::get);
        firstRound();
        assertThat(keyStatus("revoked").path("cooling").asBoolean(), is(true));

        // The key was renewed: the provider accepts it now; a minute on, its check says so.
        upstream.models(key -> Reply.models("m1"));
        now.addAndGet(Duration.ofMinutes(1).toNanos());
        Round round = router.server.preflight().runDue("interval").orElseThrow();

        assertThat(round.ran().stream().map(CheckResult::verdict).map(Enum::name).toList(), is(List.of("OK", "OK")));
        assertThat(keyStatus("revoked").path("cooling").asBoolean(), is(false));
        assertThat(router.events("cooldown_ended").getFirst().path("key").asText(), is("revoked"));
        router.raw.chat(CHAT.formatted("chat"));
        assertThat(upstream.onlyExchange().header("Authorization"), is(Optional.of("Bearer " + REVOKED)));
    }

    @Test
    void aRungThatCannotServeIsInStatusAndInTheRoundsEvent() throws InterruptedException {
        upstream.models(key -> Reply.invalidApiKeyEchoed());
        router = ObservedRouter.start(TestConfig.builder()
                                              .preflight(PreflightSettings.DEFAULTS)
                                              .openAi("p1", upstream.baseUrl(), p -> p.key("revoked", REVOKED))
                                              .sim("sim")
                                              .route("chat", "p1/m1", "sim/s1")
                                              .build(), now::get);
        firstRound();

        JsonNode status = router.status();
        assertThat(status.path("preflight").path("cannot_serve").path(0).asText(),
                   is("chat: p1/m1 (its key was refused (expired, revoked, unpaid or mistyped))"));
        assertThat(status.path("routes").path(0).path("candidates").path(0).path("state").asText(), is("keys_cooling"));
        assertThat(router.events("preflight").getFirst().path("cannot_serve").path(0).asText(),
                   containsString("chat: p1/m1"));
        // The simulator still serves the route.
        assertThat(router.raw.chat(CHAT.formatted("chat")).statusCode(), is(200));
        assertThat(upstream.exchanges().size(), is(0));
    }

    @Test
    void startUpDoesNotWaitForTheChecks() throws InterruptedException {
        CountDownLatch never = new CountDownLatch(1);
        upstream.models(key -> Reply.models("m1").headersAfter(never));
        router = ObservedRouter.start(config(new PreflightSettings(true, Duration.ofMinutes(30),
                                                                   Duration.ofSeconds(30))), now::get);

        // The checks hang (until the fake closes); the router serves all the same.
        assertThat(router.raw.chat(CHAT.formatted("chat")).statusCode(), is(200));
        assertThat(router.server.preflight().lastRound(), is(Optional.empty()));
        assertThat(router.status().path("preflight").path("last_round").isNull(), is(true));
        assertThat(router.events("preflight"), is(List.of()));
        // Closing with a round in flight abandons it quietly (no events about keys it never heard back from).
        router.close();
        router = null;
    }

    @Test
    void aReloadChecksTheProvidersItChangedAndOnlyThose() throws Exception {
        FakeOpenAi second = FakeOpenAi.start();
        try {
            second.models(key -> Reply.models("m2"));
            Path file = dir.resolve("hedgerow.yaml");
            Files.writeString(file, yaml(second, "v1"));
            HedgerowConfig config = ConfigLoader.load(file).config().orElseThrow();
            router = ObservedRouter.start(config, file, b -> { });
            firstRound();
            assertThat(upstream.modelListings().size(), is(2));
            assertThat(second.modelListings().size(), is(1));

            // p2's headers change (a new upstream identity); p1 stays as it was.
            Files.writeString(file, yaml(second, "v2"));
            assertThat(router.server.reload().orElseThrow().result(), is("applied"));
            assertThat(router.server.preflight().awaitRounds(2, Duration.ofSeconds(20)), is(true));

            Round round = router.server.preflight().lastRound().orElseThrow();
            assertThat(round.trigger(), is("reload"));
            assertThat(round.ran().stream().map(r -> r.target().toString()).toList(), is(List.of("p2#k2")));
            assertThat(second.modelListings().size(), is(2));
            assertThat(second.modelListings().getLast().header("X-Build"), is(Optional.of("v2")));
            assertThat(upstream.modelListings().size(), is(2));
            // Every target still has its latest result, the unchanged ones from start-up.
            assertThat(round.latest().size(), is(3));
        } finally {
            if (router != null) {
                router.close();
                router = null;
            }
            second.close();
        }
    }

    private String yaml(FakeOpenAi second, String build) {
        return """
                server: {host: 127.0.0.1, port: 0}
                observe: {events: off, watch-config: false}
                providers:
                  p1:
                    type: openai
                    base-url: %s
                    keys: [{label: revoked, value: %s}, {label: good, value: %s}]
                  p2:
                    type: openai
                    base-url: %s
                    keys: [{label: k2, value: sk-test-preflight-p2-0123456789}]
                    headers: {X-Build: %s}
                routes:
                  chat: {chain: [p1/m1, p2/m2]}
                """.formatted(upstream.baseUrl(), REVOKED, GOOD, second.baseUrl(), build);
    }

    private JsonNode keyStatus(String label) {
        List<JsonNode> keys = new ArrayList<>();
        router.status().path("routes").path(0).path("candidates").path(0).path("keys").forEach(keys::add);
        return keys.stream().filter(k -> k.path("label").asText().equals(label)).findFirst().orElseThrow();
    }
}
