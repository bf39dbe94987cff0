package io.hedgerow.observe;

import com.fasterxml.jackson.databind.JsonNode;
import io.hedgerow.config.BaselineSettings;
import io.hedgerow.config.BreakerSettings;
import io.hedgerow.config.BudgetSettings;
import io.hedgerow.config.CandidateRef;
import io.hedgerow.config.CooldownSettings;
import io.hedgerow.config.DemotionSettings;
import io.hedgerow.config.FailoverSettings;
import io.hedgerow.config.HedgeSettings;
import io.hedgerow.config.HedgingSettings;
import io.hedgerow.config.RetrySettings;
import io.hedgerow.config.RouteConfig;
import io.hedgerow.fakes.FakeOpenAi;
import io.hedgerow.fakes.FakeOpenAi.Reply;
import io.hedgerow.testing.RawClient;
import io.hedgerow.testing.TestConfig;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.allOf;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.hasItems;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.lessThanOrEqualTo;
import static org.hamcrest.Matchers.startsWith;

/**
 * {@code GET /status} and readiness against a router whose upstreams fail on cue: candidates in the order a request
 * would try them and why not (breaker open, keys cooling down with the time left), baselines and recent latencies,
 * the hedge delay per route, the budget, recent events with request ids; and content negotiation.
 */
class StatusEndToEndTest {
    private static final String CHAT = "{\"model\":\"%s\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}";
    private static final String STREAM = "{\"model\":\"%s\",\"stream\":true,"
            + "\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}";

    private static FakeOpenAi first;
    private static FakeOpenAi second;
    private ObservedRouter router;

    @BeforeAll
    static void startUpstreams() {
        first = FakeOpenAi.start();
        second = FakeOpenAi.start();
    }

    @AfterAll
    static void stopUpstreams() {
        first.close();
        second.close();
    }

    @BeforeEach
    void reset() {
        first.reset();
        second.reset();
    }

    @AfterEach
    void stop() {
        if (router != null) {
            router.close();
        }
    }

    @Test
    void explainsWhyCandidatesCannotBeTriedAndHowLongUntilTheyCan() {
        AtomicLong now = new AtomicLong();
        BreakerSettings trigger = new BreakerSettings(Duration.ofSeconds(30), 1, 0.5, Duration.ofMinutes(5), 1, 1);
        router = ObservedRouter.start(TestConfig.builder()
                                              .failover(new FailoverSettings(
                                                      new RetrySettings(1, Duration.ofMillis(10), Duration.ofMillis(10),
                                                                        Duration.ZERO),
                                                      CooldownSettings.DEFAULTS, trigger))
                                              .openAi("p1", first.baseUrl())
                                              .openAi("p2", second.baseUrl(), p -> p.key("k2", "sk-test-status-k2-000000"))
                                              .route("chat", "p1/m1", "p2/m2")
                                              .route("solo", "p2/m2")
                                              .build(), now::get);
        first.otherwise(Reply.status(503));
        second.otherwise(Reply.status(429).header("Retry-After", "40"));
        assertThat(readiness().statusCode(), is(200));

        HttpResponse<String> failed = router.raw.chat(CHAT.formatted("chat"));
        assertThat(failed.statusCode(), is(429));
        String requestId = failed.headers().firstValue("x-request-id").orElseThrow();

        JsonNode status = router.status();
        assertThat(status.path("status").asText(), is("cannot_serve"));
        assertThat(status.path("generation").asInt(), is(1));
        JsonNode chat = route(status, "chat");
        assertThat(chat.path("ready").asBoolean(), is(false));
        JsonNode p1 = chat.path("candidates").path(0);
        assertThat(p1.path("label").asText(), is("p1/m1"));
        assertThat(p1.path("state").asText(), is("breaker_open"));
        assertThat(p1.path("why").asText(), is("breaker open, retry in 5m"));
        assertThat(p1.path("breaker").path("state").asText(), is("open"));
        assertThat(p1.path("breaker").path("retry_in_ms").asLong(), is(300_000L));
        JsonNode p2 = chat.path("candidates").path(1);
        assertThat(p2.path("state").asText(), is("keys_cooling"));
        assertThat(p2.path("why").asText(), is("every key cooling down, next in 40s"));
        JsonNode key = p2.path("keys").path(0);
        assertThat(key.path("label").asText(), is("k2"));
        assertThat(key.path("cooling").asBoolean(), is(true));
        assertThat(key.path("cooling_for_ms").asLong(), is(40_000L));
        assertThat(key.path("cause").asText(), is("rate_limited"));
        assertThat(key.path("until").asText(), startsWith("20"));
        assertThat(route(status, "solo").path("ready").asBoolean(), is(false));

        List<String> events = new ArrayList<>();
        status.path("recent_events").forEach(e -> events.add(e.path("event").asText()));
        assertThat(events, hasItems("breaker_transition", "cooldown_started", "chain_failed"));
        for (JsonNode e : status.path("recent_events")) {
            assertThat(e.toString(), e.path("request_id").asText(), is(requestId));
        }

        HttpResponse<String> ready = readiness();
        assertThat(ready.statusCode(), is(503));
        assertThat(ready.body(), allOf(containsString("DOWN"), containsString("\"chat\":\"cannot serve: rung 1 p1/m1: breaker open, retry in 5m; rung 2 p2/m2: every key cooling down")));

        // 41 seconds on, the key is back: the route serves again, degraded: p1's breaker is still open.
        now.addAndGet(Duration.ofSeconds(41).toNanos());
        JsonNode later = router.status();
        assertThat(later.path("status").asText(), is("degraded"));
        assertThat(route(later, "chat").path("ready").asBoolean(), is(true));
        assertThat(route(later, "chat").path("verdict").path("summary").asText(),
                   is("serving on rung 2 (p2/m2); rung 1 p1/m1: breaker open, retry in 4m19s"));
        JsonNode p2Later = route(later, "chat").path("candidates").path(1);
        assertThat(p2Later.path("state").asText(), is("ok"));
        assertThat(p2Later.path("keys").path(0).path("cooling").asBoolean(), is(false));
        assertThat(route(later, "chat").path("candidates").path(0).path("why").asText(),
                   is("breaker open, retry in 4m19s"));
        assertThat(readiness().statusCode(), is(200));
        assertThat(router.events("cooldown_ended").size(), is(1));
    }

    @Test
    void showsBaselinesRecentLatenciesAndTheHedgeDelayTheyGive() {
        HedgingSettings quickBaseline = new HedgingSettings(BudgetSettings.DEFAULTS,
                                                            new BaselineSettings(Duration.ofSeconds(20), 3,
                                                                                 Duration.ofMinutes(10)),
                                                            DemotionSettings.DEFAULTS, HedgeSettings.OFF);
        HedgeSettings p50 = new HedgeSettings(true, new HedgeSettings.Delay.Percentile(50), Duration.ofMillis(20),
                                              Duration.ofSeconds(2), Optional.of(Duration.ofMillis(700)), 2, false);
        router = ObservedRouter.start(TestConfig.builder().hedging(quickBaseline)
                                              .openAi("p1", first.baseUrl())
                                              .openAi("p2", second.baseUrl())
                                              .route(new RouteConfig("chat", List.of(new CandidateRef("p1", "m1"),
                                                                                     new CandidateRef("p2", "m2")),
                                                                     Optional.empty(), Optional.of(p50), false,
                                                                     Optional.empty()))
                                              .build());
        first.otherwise(Reply.text("a", "b"));

        JsonNode before = route(router.status(), "chat").path("hedge");
        assertThat(before.path("enabled").asBoolean(), is(true));
        assertThat(before.path("delay").asText(), is("p50"));
        assertThat(before.path("for").asText(), is("p1/m1"));
        assertThat("warm-up delay before the baseline is ready", before.path("delay_ms_stream").asLong(), is(700L));

        for (int i = 0; i < 3; i++) {
            assertThat(router.raw.chatStream(STREAM.formatted("chat")).text(), is("ab"));
        }
        JsonNode chat = route(router.status(), "chat");
        JsonNode p1 = chat.path("candidates").path(0);
        JsonNode firstToken = p1.path("baseline").path("first_token");
        assertThat(firstToken.path("samples").asInt(), is(3));
        assertThat(firstToken.path("ready").asBoolean(), is(true));
        assertThat(firstToken.path("p50_ms").asLong(), greaterThan(0L));
        assertThat(p1.path("recent_ms").size(), is(3));
        long delay = chat.path("hedge").path("delay_ms_stream").asLong();
        assertThat(delay, greaterThan(19L));
        assertThat(delay, lessThanOrEqualTo(2000L));
        assertThat(chat.path("hedge").path("delay_ms_complete").asLong(), is(700L));
        assertThat(router.status().path("hedge_budget").path("ratio").asDouble(), is(0.1));
    }

    @Test
    void servesThePageToBrowsersAndJsonToEveryoneElse() throws Exception {
        router = ObservedRouter.start(TestConfig.builder().sim("sim").route("chat", "sim/s1").build());
        HttpClient http = HttpClient.newHttpClient();
        String base = "http://127.0.0.1:" + router.port() + "/status";
        HttpResponse<String> browser = http.send(HttpRequest.newBuilder(URI.create(base))
                .header("Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8").build(),
                                                 HttpResponse.BodyHandlers.ofString());
        assertThat(browser.headers().firstValue("content-type").orElse(""), startsWith("text/html"));
        assertThat(browser.body(), containsString("<title>Hedgerow status</title>"));
        HttpResponse<String> curl = http.send(HttpRequest.newBuilder(URI.create(base)).header("Accept", "*/*").build(),
                                              HttpResponse.BodyHandlers.ofString());
        assertThat(curl.headers().firstValue("content-type").orElse(""), is("application/json"));
        assertThat(RawClient.json(curl.body()).path("routes").path(0).path("name").asText(), is("chat"));
        HttpResponse<String> forced = http.send(HttpRequest.newBuilder(URI.create(base + "?format=json"))
                .header("Accept", "text/html").build(), HttpResponse.BodyHandlers.ofString());
        assertThat(forced.headers().firstValue("content-type").orElse(""), is("application/json"));
        assertThat(router.raw.get("/observe/health/live").statusCode(), is(200));
        http.close();
    }

    private HttpResponse<String> readiness() {
        return router.raw.get("/observe/health/ready");
    }

    private static JsonNode route(JsonNode status, String name) {
        for (JsonNode route : status.path("routes")) {
            if (route.path("name").asText().equals(name)) {
                return route;
            }
        }
        throw new AssertionError("no route " + name + " in " + status);
    }
}
