package io.hedgerow.observe;

import io.hedgerow.config.BreakerSettings;
import io.hedgerow.config.CooldownSettings;
import io.hedgerow.config.FailoverSettings;
import io.hedgerow.config.RetrySettings;
import io.hedgerow.fakes.FakeOpenAi;
import io.hedgerow.fakes.FakeOpenAi.Reply;
import io.hedgerow.testing.RawClient;
import io.hedgerow.testing.Scrape;
import io.hedgerow.testing.TestConfig;

import com.fasterxml.jackson.databind.JsonNode;

import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Optional;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.is;

/**
 * What the router says about an answer and about itself is what happened (issue 18, each seen): an answer served by
 * rung 2 after rung 1 was skipped said {@code x-hedgerow-winner: 1 primary} beside a fallback reason (and the metrics
 * counted that call as {@code role="primary"});
 * {@code /observe/health} said a route was plain {@code ok} while its first rung's breaker was open; a same-candidate
 * retry was logged as a {@code failover}.
 */
class TruthfulAnswersEndToEndTest {
    private static final String CHAT = "{\"model\":\"%s\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}";
    /** One failure in one call opens a breaker, for 5 minutes. */
    private static final BreakerSettings TRIGGER = new BreakerSettings(Duration.ofSeconds(30), 1, 0.5,
                                                                       Duration.ofMinutes(5), 1, 1);

    @Test
    void rungTwoServingForAnOpenRungOneSaysSoInTheHeaderHealthAndEvents() {
        try (FakeOpenAi first = FakeOpenAi.start(); FakeOpenAi second = FakeOpenAi.start();
             ObservedRouter router = ObservedRouter.start(TestConfig.builder()
                     .failover(new FailoverSettings(new RetrySettings(1, Duration.ofMillis(10), Duration.ofMillis(10),
                                                                      Duration.ZERO), CooldownSettings.DEFAULTS, TRIGGER))
                     .openAi("p1", first.baseUrl())
                     .openAi("p2", second.baseUrl())
                     .route("chat", "p1/m1", "p2/m2")
                     .build())) {
            first.otherwise(Reply.status(503));
            second.otherwise(Reply.text("from p2"));
            router.raw.chat(CHAT.formatted("chat")); // p1 fails once: its breaker opens; p2 answers

            HttpResponse<String> served = router.raw.chat(CHAT.formatted("chat"));

            assertThat(served.statusCode(), is(200));
            assertThat(served.headers().firstValue("x-hedgerow-provider"), is(Optional.of("p2")));
            assertThat(served.headers().firstValue("x-hedgerow-winner"), is(Optional.of("2 fallback")));
            assertThat(served.headers().firstValue("x-hedgerow-fallback-reason").orElseThrow(),
                       containsString("p1/m1: skipped (breaker open"));
            // Readiness: the route serves (up), and the detail says on which rung and why not on the first.
            HttpResponse<String> health = router.raw.get("/observe/health");
            assertThat(health.statusCode(), is(200));
            JsonNode detail = RawClient.json(health).at("/checks/0/data/chat");
            assertThat(detail.asText(), containsString("degraded: serving on rung 2 (p2/m2); rung 1 p1/m1: breaker "
                                                               + "open, retry in"));
            assertThat(router.events("failover").size(), is(2));
            assertThat(router.events("failover").getLast().path("role").asText(), is("fallback"));
            assertThat(router.events("retried"), is(empty()));
            // The metrics count the call to rung 2 as a fallback both times: after rung 1 failed, and after it was
            // skipped; rung 1's one call was the primary.
            Scrape metrics = router.metrics();
            assertThat(metrics.sum("hedgerow_attempts_total", "provider", "p2", "role", "fallback"), is(2.0));
            assertThat(metrics.sum("hedgerow_attempts_total", "role", "primary"), is(1.0));
        }
    }

    @Test
    void aSameCandidateRetryIsARetryNotAFailover() {
        try (FakeOpenAi first = FakeOpenAi.start(); FakeOpenAi second = FakeOpenAi.start();
             ObservedRouter router = ObservedRouter.start(TestConfig.builder()
                     .failover(new FailoverSettings(new RetrySettings(2, Duration.ofMillis(1), Duration.ofMillis(1),
                                                                      Duration.ZERO), CooldownSettings.DEFAULTS,
                                                    BreakerSettings.DEFAULTS))
                     .openAi("p1", first.baseUrl())
                     .openAi("p2", second.baseUrl())
                     .route("chat", "p1/m1", "p2/m2")
                     .build())) {
            first.enqueue(Reply.status(503)).otherwise(Reply.text("from p1"));

            HttpResponse<String> served = router.raw.chat(CHAT.formatted("chat"));

            assertThat(served.headers().firstValue("x-hedgerow-provider"), is(Optional.of("p1")));
            assertThat(served.headers().firstValue("x-hedgerow-winner"), is(Optional.of("2 retry")));
            assertThat(router.events("failover"), is(empty()));
            JsonNode retried = router.events("retried").getFirst();
            assertThat(retried.path("candidate").asText(), is("p1/m1"));
            assertThat(retried.path("reason").asText(), containsString("503"));
            assertThat(RawClient.json(router.raw.get("/observe/health")).at("/checks/0/data/chat").asText(), is("ok"));
        }
    }
}
