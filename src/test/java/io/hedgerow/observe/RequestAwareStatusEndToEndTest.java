package io.hedgerow.observe;

import com.fasterxml.jackson.databind.JsonNode;
import io.hedgerow.config.BaselineSettings;
import io.hedgerow.config.BudgetSettings;
import io.hedgerow.config.CandidateRef;
import io.hedgerow.config.DemotionSettings;
import io.hedgerow.config.HedgeSettings;
import io.hedgerow.config.HedgingSettings;
import io.hedgerow.config.RouteConfig;
import io.hedgerow.fakes.FakeOpenAi;
import io.hedgerow.fakes.FakeOpenAi.Reply;
import io.hedgerow.testing.Scrape;
import io.hedgerow.testing.TestConfig;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.closeTo;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.greaterThanOrEqualTo;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.lessThanOrEqualTo;

/**
 * Slowness shown against what is usual for the request, through the real router and a real fake upstream, on an
 * injected ticker: the upstream holds each answer until the test has moved the clock by that request's latency, so
 * every latency the router measures is exact. {@code /status} shows what is usual per prompt size, the last request
 * as "1.4x the usual for a 12k-token prompt", the hedge delay per size; the metrics a slowdown histogram.
 */
class RequestAwareStatusEndToEndTest {
    private static final long MS = 1_000_000L;
    /** A prompt of {@code 4 + chars / 4} estimated tokens (4 for the message). */
    private static final String STREAM = "{\"model\":\"chat\",\"stream\":true,\"stream_options\":{\"include_usage\":true},"
            + "\"messages\":[{\"role\":\"user\",\"content\":\"%s\"}]}";
    private static final int SHORT = 404;
    private static final int LONG = 12_004;

    private final AtomicLong now = new AtomicLong();
    private final FakeOpenAi upstream = FakeOpenAi.start();
    private ObservedRouter router;

    @AfterEach
    void stop() {
        if (router != null) {
            router.close();
        }
        upstream.close();
    }

    /** One streamed request of {@code tokens} estimated tokens whose upstream answers {@code latencyMs} later. */
    private void request(int tokens, long latencyMs) throws Exception {
        CountDownLatch gate = new CountDownLatch(1);
        // The provider reports the prompt as the router estimated it: its calibration stays at 1.
        upstream.enqueue(Reply.text("a", "b").usage(tokens, 2).headersAfter(gate));
        int before = upstream.requestCount();
        CompletableFuture<String> answer = CompletableFuture.supplyAsync(
                () -> router.raw.chatStream(STREAM.formatted("x".repeat(4 * (tokens - 4)))).text());
        assertThat(upstream.awaitRequests(before + 1, Duration.ofSeconds(10)), is(true));
        now.addAndGet(latencyMs * MS);
        gate.countDown();
        assertThat(answer.get(10, TimeUnit.SECONDS), is("ab"));
    }

    @Test
    void aLongPromptIsShownAgainstWhatIsUsualForItsSize() throws Exception {
        HedgingSettings quick = new HedgingSettings(BudgetSettings.DEFAULTS,
                                                    new BaselineSettings(Duration.ofMinutes(10), 3, Duration.ofMinutes(10)),
                                                    DemotionSettings.DEFAULTS, HedgeSettings.OFF);
        HedgeSettings p90 = new HedgeSettings(true, new HedgeSettings.Delay.Percentile(90), Duration.ofMillis(1),
                                              Duration.ofSeconds(30), Optional.empty(), 2, false);
        // Traffic goes to "chat", p1 alone (nothing to hedge to: no hedge can race the clock the test moves);
        // "pair" hedges p1 with p2 and shows the delays p1's health gives, health being per candidate.
        router = ObservedRouter.start(TestConfig.builder().hedging(quick).openAi("p1", upstream.baseUrl())
                                              .openAi("p2", upstream.baseUrl())
                                              .route("chat", "p1/m1")
                                              .route(new RouteConfig("pair", List.of(new CandidateRef("p1", "m1"),
                                                                                     new CandidateRef("p2", "m2")),
                                                                     Optional.empty(), Optional.of(p90), false,
                                                                     Optional.empty()))
                                              .build(), now::get);
        // Short prompts take 200 ms, 12k-token ones 2 s: both usual for their size.
        for (int i = 0; i < 4; i++) {
            request(SHORT, 200);
            request(LONG, 2000);
        }
        // Then a 12k-token prompt takes 2.8 s: 1.4x the usual for its size, though 14x a short prompt's.
        request(LONG, 2800);

        JsonNode chat = route(router.status(), "chat");
        JsonNode firstToken = chat.path("candidates").path(0).path("baseline").path("first_token");
        assertThat(firstToken.toString(), firstToken.path("scaled_to_tokens").asLong(), is(1000L));
        JsonNode bySize = firstToken.path("by_size");
        assertThat(bySize.toString(), bySize.size(), is(2));
        assertThat(bySize.path(0).path("from_tokens").asLong(), is(0L));
        assertThat((double) bySize.path(0).path("usual_ms").asLong(), closeTo(200, 10));
        assertThat(bySize.path(1).path("from_tokens").asLong(), is(8192L));
        assertThat(bySize.path(1).path("samples").asInt(), is(5));
        assertThat((double) bySize.path(1).path("usual_ms").asLong(), closeTo(2000, 100));
        JsonNode last = firstToken.path("last");
        assertThat(last.path("tokens").asLong(), is((long) LONG));
        assertThat(last.path("ms").asLong(), is(2800L));
        assertThat(last.path("slowdown").asDouble(), closeTo(1.4, 0.07));
        assertThat(last.path("text").asText(), containsString("x the usual for a 12k-token prompt (usual "));

        // The hedge delay for a prompt like the last one, and for each size seen: p90 of that size's own samples.
        assertThat(chat.path("hedge").path("enabled").asBoolean(), is(false));
        JsonNode hedge = route(router.status(), "pair").path("hedge");
        assertThat(route(router.status(), "pair").toString(), hedge.path("for").asText(), is("p1/m1"));
        assertThat(hedge.toString(), hedge.path("for_tokens").asLong(), is((long) LONG));
        JsonNode delays = hedge.path("delays_by_size");
        assertThat(delays.toString(), delays.size(), is(2));
        assertThat((double) delays.path(0).path("stream_ms").asLong(), closeTo(200, 10));
        assertThat(delays.path(1).path("stream_ms").asLong(), greaterThanOrEqualTo(1900L));
        assertThat(delays.path(1).path("stream_ms").asLong(), lessThanOrEqualTo(2950L));
        assertThat(delays.path(0).path("complete_ms").isNull(), is(true));

        // Not slow: 1.4x for its size is no demotion, whatever a size-blind median would make of 2.8 s against 200 ms.
        assertThat(chat.path("candidates").path(0).path("state").asText(), is("ok"));

        // The metric: the serving attempt's time in percent of the usual for its size; the last one in (125, 150].
        Scrape m = router.metrics();
        String[] labels = {"route", "chat", "provider", "p1", "model", "m1", "stream", "true"};
        assertThat(m.sum("hedgerow_upstream_percent_of_usual_count", labels), greaterThanOrEqualTo(1.0));
        double upTo125 = m.sum("hedgerow_upstream_percent_of_usual_bucket", with(labels, "le", "125.0"));
        double upTo150 = m.sum("hedgerow_upstream_percent_of_usual_bucket", with(labels, "le", "150.0"));
        assertThat(m.matching("hedgerow_upstream_percent_of_usual_bucket").toString(), upTo150 - upTo125, is(1.0));
    }

    private static String[] with(String[] labels, String name, String value) {
        String[] all = java.util.Arrays.copyOf(labels, labels.length + 2);
        all[labels.length] = name;
        all[labels.length + 1] = value;
        return all;
    }

    private static JsonNode route(JsonNode status, String name) {
        for (JsonNode r : status.path("routes")) {
            if (r.path("name").asText().equals(name)) {
                return r;
            }
        }
        throw new AssertionError("no route " + name + " in " + status);
    }
}
