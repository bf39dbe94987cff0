package io.hedgerow.exec;

import io.hedgerow.HedgerowServer;
import io.hedgerow.config.BreakerSettings;
import io.hedgerow.config.CandidateRef;
import io.hedgerow.config.CooldownSettings;
import io.hedgerow.config.FailoverSettings;
import io.hedgerow.config.HedgerowConfig;
import io.hedgerow.config.RetrySettings;
import io.hedgerow.config.RouteConfig;
import io.hedgerow.fakes.FakeOpenAi;
import io.hedgerow.fakes.FakeOpenAi.Reply;
import io.hedgerow.testing.Inbound;
import io.hedgerow.testing.RawClient;
import io.hedgerow.testing.TestConfig;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.greaterThanOrEqualTo;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.lessThan;
import static org.hamcrest.Matchers.startsWith;

/**
 * The failure policy end to end, against real fake upstreams: same-candidate retries with backoff and
 * Retry-After, key rotation, rate-limit domains, circuit breakers (on a fake ticker), context windows, content
 * filters and client deadlines. Each test asserts what the client got and what each upstream saw, once through each
 * inbound API (Chat Completions and Messages, both routed to OpenAI-compatible fakes).
 */
class FailoverEndToEndTest {
    private static FakeOpenAi first;
    private static FakeOpenAi second;
    private HedgerowServer router;
    private RawClient raw;

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
        first.otherwise(Reply.text("from ", "first"));
        second.otherwise(Reply.text("from ", "second"));
    }

    @AfterEach
    void stopRouter() {
        if (raw != null) {
            raw.close();
        }
        if (router != null) {
            router.close();
        }
    }

    private void start(HedgerowConfig config) {
        start(config, io.hedgerow.time.Ticker.system());
    }

    private void start(HedgerowConfig config, io.hedgerow.time.Ticker ticker) {
        router = HedgerowServer.start(config, ticker);
        raw = new RawClient(router.port());
    }

    private static TestConfig.Builder twoProviders(RetrySettings retry) {
        return TestConfig.builder()
                .failover(new FailoverSettings(retry, CooldownSettings.DEFAULTS, BreakerSettings.DEFAULTS))
                .openAi("p1", first.baseUrl())
                .openAi("p2", second.baseUrl())
                .route("chat", "p1/m1", "p2/m2");
    }

    private static String attempts(HttpResponse<?> response) {
        return response.headers().firstValue("x-hedgerow-attempts").orElse("");
    }

    @ParameterizedTest
    @EnumSource(Inbound.class)
    void persistentServerErrorIsRetriedABoundedNumberOfTimesThenFallsBack(Inbound api) {
        start(twoProviders(new RetrySettings(3, Duration.ofMillis(100), Duration.ofMillis(400), Duration.ofSeconds(5)))
                      .build());
        first.otherwise(Reply.status(503));

        HttpResponse<String> response = api.send(raw, api.request("chat", "Hi"));

        assertThat(response.body(), response.statusCode(), is(200));
        assertThat(api.text(response), is("from second"));
        assertThat(first.requestCount(), is(3));
        assertThat(second.requestCount(), is(1));
        assertThat(attempts(response), is("p1/m1#main:503 server error, p1/m1#main:503 server error, "
                                                  + "p1/m1#main:503 server error, p2/m2#main:ok"));
        // Full jitter: each wait is below its bound (100 ms, then 200 ms); allow for a loaded machine.
        List<FakeOpenAi.Exchange> calls = first.exchanges();
        for (int i = 1; i < calls.size(); i++) {
            long gapMillis = (calls.get(i).receivedNanos() - calls.get(i - 1).receivedNanos()) / 1_000_000;
            assertThat(gapMillis, lessThan(100L * (1L << (i - 1)) + 1000));
        }
    }

    @ParameterizedTest
    @EnumSource(Inbound.class)
    void transientServerErrorRecoversOnTheSameCandidate(Inbound api) {
        start(twoProviders(new RetrySettings(2, Duration.ofMillis(50), Duration.ofMillis(100), Duration.ofSeconds(5)))
                      .build());
        first.enqueue(Reply.status(502));

        HttpResponse<String> response = api.send(raw, api.request("chat", "Hi"));

        assertThat(api.text(response), is("from first"));
        assertThat(attempts(response), is("p1/m1#main:502 server error, p1/m1#main:ok"));
        assertThat(second.requestCount(), is(0));
        assertThat(response.headers().firstValue("x-hedgerow-provider"), is(Optional.of("p1")));
    }

    @ParameterizedTest
    @EnumSource(Inbound.class)
    void aModelMissingAtOneProviderIsLookedForAtTheNext(Inbound api) {
        start(twoProviders(new RetrySettings(2, Duration.ofMillis(50), Duration.ofMillis(100), Duration.ofSeconds(5)))
                      .build());
        first.otherwise(Reply.error(404, "invalid_request_error", "model_not_found",
                                    "The model `m1` does not exist or you do not have access to it."));

        HttpResponse<String> response = api.send(raw, api.request("chat", "Hi"));

        assertThat(api.text(response), is("from second"));
        assertThat(attempts(response), is("p1/m1#main:404 not found, p2/m2#main:ok"));
    }

    @ParameterizedTest
    @EnumSource(Inbound.class)
    void retryAfterThatFitsIsWaitedOutOnTheSameCandidate(Inbound api) {
        start(TestConfig.builder()
                      .failover(new FailoverSettings(new RetrySettings(2, Duration.ofMillis(50), Duration.ofMillis(100),
                                                                       Duration.ofSeconds(5)),
                                                     CooldownSettings.DEFAULTS, BreakerSettings.DEFAULTS))
                      .openAi("p1", first.baseUrl())
                      .route("solo", "p1/m1")
                      .build());
        first.enqueue(Reply.status(429).header("Retry-After", "2"));

        HttpResponse<String> response = api.send(raw, api.request("solo", "Hi"));

        assertThat(response.body(), response.statusCode(), is(200));
        assertThat(api.text(response), is("from first"));
        List<FakeOpenAi.Exchange> calls = first.exchanges();
        assertThat(calls.size(), is(2));
        long gapMillis = (calls.get(1).receivedNanos() - calls.get(0).receivedNanos()) / 1_000_000;
        assertThat("waited for Retry-After: 2", gapMillis, greaterThanOrEqualTo(1990L));
    }

    @ParameterizedTest
    @EnumSource(Inbound.class)
    void retryAfterBeyondTheThresholdMovesOnAtOnce(Inbound api) {
        start(twoProviders(new RetrySettings(2, Duration.ofMillis(50), Duration.ofMillis(100), Duration.ofSeconds(5)))
                      .build());
        first.enqueue(Reply.status(429).header("Retry-After", "30"));
        long started = System.nanoTime();

        HttpResponse<String> response = api.send(raw, api.request("chat", "Hi"));

        assertThat(api.text(response), is("from second"));
        assertThat(first.requestCount(), is(1));
        assertThat((System.nanoTime() - started) / 1_000_000, lessThan(5_000L));
    }

    @ParameterizedTest
    @EnumSource(Inbound.class)
    void theNextKeyIsTriedBeforeTheNextProviderAndTheCoolingKeyIsAvoided(Inbound api) {
        start(TestConfig.builder()
                      .openAi("p1", first.baseUrl(), p -> p.key("k1", "sk-first-key-1111").key("k2", "sk-second-key-2222"))
                      .openAi("p2", second.baseUrl())
                      .route("chat", "p1/m1", "p2/m2")
                      .build());
        first.enqueue(Reply.status(429));

        HttpResponse<String> response = api.send(raw, api.request("chat", "Hi"));

        assertThat(api.text(response), is("from first"));
        assertThat(attempts(response), is("p1/m1#k1:429 rate limited, p1/m1#k2:ok"));
        assertThat(first.exchanges().get(0).header("Authorization"), is(Optional.of("Bearer sk-first-key-1111")));
        assertThat(first.exchanges().get(1).header("Authorization"), is(Optional.of("Bearer sk-second-key-2222")));
        assertThat(second.requestCount(), is(0));

        // k1 cools down (30 s, the first rung for a 429 without Retry-After): the next request goes to k2 directly.
        HttpResponse<String> next = api.send(raw, api.request("chat", "Hi"));
        assertThat(attempts(next), is("p1/m1#k2:ok"));
        assertThat(first.exchanges().get(2).header("Authorization"), is(Optional.of("Bearer sk-second-key-2222")));
    }

    @ParameterizedTest
    @EnumSource(Inbound.class)
    void modelsSharingAKeyShareItsRateLimit(Inbound api) {
        start(TestConfig.builder()
                      .openAi("p1", first.baseUrl())
                      .openAi("p2", second.baseUrl())
                      .route("chat", "p1/big", "p1/small", "p2/m2")
                      .build());
        first.enqueue(Reply.status(429));

        HttpResponse<String> response = api.send(raw, api.request("chat", "Hi"));

        assertThat(api.text(response), is("from second"));
        assertThat(first.requestCount(), is(1));
        assertThat(attempts(response), startsWith("p1/big#main:429 rate limited, "
                                                          + "p1/small:skipped (every key cooling down, next in "));
        assertThat(attempts(response), containsString(", p2/m2#main:ok"));
    }

    @ParameterizedTest
    @EnumSource(Inbound.class)
    void breakerSkipsAFailingPrimaryAndTrafficReturnsWhenItRecovers(Inbound api) {
        AtomicLong now = new AtomicLong();
        BreakerSettings breaker = new BreakerSettings(Duration.ofSeconds(30), 3, 0.5, Duration.ofSeconds(10), 1, 1);
        start(TestConfig.builder()
                      .failover(new FailoverSettings(new RetrySettings(1, Duration.ofMillis(10), Duration.ofMillis(10),
                                                                       Duration.ZERO),
                                                     CooldownSettings.DEFAULTS, breaker))
                      .openAi("p1", first.baseUrl())
                      .openAi("p2", second.baseUrl())
                      .route("chat", "p1/m1", "p2/m2")
                      .build(), now::get);
        first.otherwise(Reply.status(500));

        for (int i = 0; i < 3; i++) {
            assertThat(api.text(api.send(raw, api.request("chat", "Hi"))), is("from second"));
        }
        assertThat(first.requestCount(), is(3));

        // Open: the primary is skipped at zero cost.
        HttpResponse<String> skipped = api.send(raw, api.request("chat", "Hi"));
        assertThat(api.text(skipped), is("from second"));
        assertThat(attempts(skipped), startsWith("p1/m1:skipped (breaker open, retry in 10s)"));
        assertThat(first.requestCount(), is(3));

        // The primary recovers; once open-for has passed, one probe goes through, succeeds and closes the breaker.
        first.otherwise(Reply.text("from ", "first"));
        now.addAndGet(Duration.ofSeconds(10).toNanos());
        HttpResponse<String> probe = api.send(raw, api.request("chat", "Hi"));
        assertThat(api.text(probe), is("from first"));
        assertThat(api.text(api.send(raw, api.request("chat", "Hi"))), is("from first"));
        assertThat(first.requestCount(), is(5));
    }

    @ParameterizedTest
    @EnumSource(Inbound.class)
    void everyCandidateOpenIsA503WithRetryAfter(Inbound api) {
        AtomicLong now = new AtomicLong();
        BreakerSettings breaker = new BreakerSettings(Duration.ofSeconds(30), 1, 0.5, Duration.ofSeconds(20), 1, 1);
        start(TestConfig.builder()
                      .failover(new FailoverSettings(new RetrySettings(1, Duration.ofMillis(10), Duration.ofMillis(10),
                                                                       Duration.ZERO),
                                                     CooldownSettings.DEFAULTS, breaker))
                      .openAi("p1", first.baseUrl())
                      .route("solo", "p1/m1")
                      .build(), now::get);
        first.otherwise(Reply.status(500));
        assertThat(api.send(raw, api.request("solo", "Hi")).statusCode(), is(api.status(502)));

        HttpResponse<String> response = api.send(raw, api.request("solo", "Hi"));

        assertThat(response.statusCode(), is(api.status(503)));
        assertThat(response.headers().firstValue("Retry-After"), is(Optional.of("20")));
        assertThat(api.errorKind(response), is(api.pick("upstream_unavailable", "overloaded_error")));
        assertThat(first.requestCount(), is(1));
    }

    @ParameterizedTest
    @EnumSource(Inbound.class)
    void aCandidateWhoseWindowCannotHoldThePromptIsSkippedBeforeTrying(Inbound api) {
        start(TestConfig.builder()
                      .openAi("p1", first.baseUrl(), p -> p.model("m1", 100))
                      .openAi("p2", second.baseUrl(), p -> p.model("m2", 100_000))
                      .route("chat", "p1/m1", "p2/m2")
                      .build());
        HttpResponse<String> response = api.send(raw, api.request("chat", "x".repeat(4000)));

        assertThat(api.text(response), is("from second"));
        assertThat(first.requestCount(), is(0));
        // ~1004 tokens of prompt, and the output limit where the API makes the client set one
        assertThat(attempts(response), startsWith("p1/m1:skipped (prompt ~" + api.pick("1004", "2028")
                + " tokens > context window 100)"));
    }

    @ParameterizedTest
    @EnumSource(Inbound.class)
    void aContextLengthErrorSkipsCandidatesWithNoLargerWindow(Inbound api) {
        start(TestConfig.builder()
                      .openAi("p1", first.baseUrl(), p -> p.model("m1", 8000))
                      .openAi("p2", first.baseUrl(), p -> p.model("m2", 4000))
                      .openAi("p3", second.baseUrl(), p -> p.model("m3", 128_000))
                      .route("chat", "p1/m1", "p2/m2", "p3/m3")
                      .build());
        first.otherwise(Reply.error(400, "invalid_request_error", "context_length_exceeded",
                                    "This model's maximum context length is 8000 tokens."));

        HttpResponse<String> response = api.send(raw, api.request("chat", "Hi"));

        assertThat(api.text(response), is("from second"));
        assertThat(first.requestCount(), is(1));
        assertThat(attempts(response), is("p1/m1#main:400 context length exceeded, "
                                                  + "p2/m2:skipped (context window 4000 too small after a context-length error), "
                                                  + "p3/m3#main:ok"));
    }

    @ParameterizedTest
    @EnumSource(Inbound.class)
    void contentFilterGoesBackToTheClientUnlessTheRouteRoutesAroundIt(Inbound api) {
        start(TestConfig.builder()
                      .openAi("p1", first.baseUrl())
                      .openAi("p2", second.baseUrl())
                      .route("strict", "p1/m1", "p2/m2")
                      .route(new RouteConfig("lenient", List.of(new CandidateRef("p1", "m1"), new CandidateRef("p2", "m2")),
                                             Optional.empty(), Optional.empty(), true, Optional.empty()))
                      .build());
        Reply filtered = Reply.error(400, "invalid_request_error", "content_filter",
                                     "The response was filtered due to the prompt triggering content management policy.");
        first.enqueue(filtered);

        HttpResponse<String> strict = api.send(raw, api.request("strict", "Hi"));
        assertThat(strict.statusCode(), is(400));
        assertThat(api.errorKind(strict), is(api.pick("content_filter", "invalid_request_error")));
        assertThat(api.errorMessage(strict), containsString("content filtered"));
        assertThat(second.requestCount(), is(0));

        first.enqueue(filtered);
        HttpResponse<String> lenient = api.send(raw, api.request("lenient", "Hi"));
        assertThat(api.text(lenient), is("from second"));
    }

    @ParameterizedTest
    @EnumSource(Inbound.class)
    void aClientDeadlineHeaderShortensTheRequest(Inbound api) throws Exception {
        CountDownLatch never = new CountDownLatch(1);
        // The route's own timeouts are a minute: only the client's 300 ms can end the request within the bound below,
        // which is a liveness bound (generous for a loaded machine), not a speed claim.
        start(TestConfig.builder()
                      .openAi("p1", first.baseUrl(), p -> p.firstToken(Duration.ofSeconds(60))
                              .total(Duration.ofSeconds(120)))
                      .route("solo", "p1/m1")
                      .build());
        first.otherwise(Reply.text("late").firstTokenAfter(never));
        long started = System.nanoTime();

        HttpResponse<String> response = api.send(raw, api.streamRequest("solo", "Hi"),
                                                 Map.of("x-hedgerow-timeout", "300"));

        long tookMillis = (System.nanoTime() - started) / 1_000_000;
        assertThat(response.body(), response.statusCode(), is(api.status(504)));
        assertThat(tookMillis, lessThan(30_000L));
        assertThat(first.exchanges().getFirst().awaitDisconnect(Duration.ofSeconds(15)), is(true));
        assertThat(api.send(raw, api.request("solo", "Hi"), Map.of("x-hedgerow-timeout", "soon")).statusCode(),
                   is(400));
        never.countDown();
    }

    @ParameterizedTest
    @EnumSource(Inbound.class)
    void aStreamCutAfterFortyTokensEndsWithAnErrorNotDone(Inbound api) {
        start(TestConfig.builder().openAi("p1", first.baseUrl()).openAi("p2", second.baseUrl())
                      .route("chat", "p1/m1", "p2/m2").build());
        String[] tokens = new String[60];
        for (int i = 0; i < tokens.length; i++) {
            tokens[i] = "t" + i + " ";
        }
        first.enqueue(Reply.text(tokens).cutAfter(40));

        RawClient.SseStream stream = api.stream(raw, api.streamRequest("chat", "Hi"));

        assertThat(stream.status(), is(200));
        assertThat(stream.done(), is(false));
        Optional<JsonNode> error = stream.error();
        assertThat(error.isPresent(), is(true));
        assertThat(stream.text(), startsWith("t0 t1 "));
        assertThat(stream.text(), containsString("t39 "));
        // Recovery restarted the request on p2, whose answer differs: nothing is stitched, the break is reported.
        assertThat(error.get().at("/error/message").asText(), containsString("interrupted after 40 tokens"));
        assertThat(second.requestCount(), is(1));
    }
}
