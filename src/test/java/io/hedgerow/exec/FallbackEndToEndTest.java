package io.hedgerow.exec;

import com.fasterxml.jackson.databind.JsonNode;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.errors.RateLimitException;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import io.hedgerow.HedgerowServer;
import io.hedgerow.fakes.FakeOpenAi;
import io.hedgerow.fakes.FakeOpenAi.Reply;
import io.hedgerow.testing.Inbound;
import io.hedgerow.testing.RawClient;
import io.hedgerow.testing.TestConfig;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.net.http.HttpHeaders;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Fallback along a chain, end to end: a primary that fails in each way a real upstream does, and the second
 * candidate that then serves, with the {@code x-hedgerow-*} headers telling the story; failures that must not
 * move on; a whole chain rate-limited; and a primary that stalls before its first token, which is cut off
 * (the upstream sees the disconnect) while the second candidate answers. Each runs once through each inbound API.
 */
class FallbackEndToEndTest {
    private static FakeOpenAi primary;
    private static FakeOpenAi secondary;
    private static HedgerowServer router;
    private static RawClient raw;

    @BeforeAll
    static void start() {
        primary = FakeOpenAi.start();
        secondary = FakeOpenAi.start();
    }

    @AfterAll
    static void stop() {
        primary.close();
        secondary.close();
    }

    /** A fresh router per test: breakers, cooldowns and baselines from one test must not steer the next. */
    @BeforeEach
    void startRouter() {
        router = HedgerowServer.start(TestConfig.builder()
                                              .openAi("p1", primary.baseUrl())
                                              .openAi("p2", secondary.baseUrl())
                                              .openAi("dead", "http://127.0.0.1:" + TestConfig.closedPort() + "/v1")
                                              .openAi("slow", primary.baseUrl(),
                                                      p -> p.firstToken(Duration.ofMillis(300)))
                                              .route("chat", "p1/m1", "p2/m2")
                                              .route("refused", "dead/m0", "p2/m2")
                                              .route("stalls", "slow/m1", "p2/m2")
                                              .route("all-stall", "slow/m1", "slow/m2")
                                              .build());
        raw = new RawClient(router.port());
    }

    @org.junit.jupiter.api.AfterEach
    void stopRouter() {
        raw.close();
        router.close();
    }

    @BeforeEach
    void reset() {
        primary.reset();
        secondary.reset();
        secondary.otherwise(Reply.text("Served", " by p2"));
    }

    @ParameterizedTest
    @EnumSource(Inbound.class)
    void rateLimitedPrimary(Inbound api) {
        Reply limited = Reply.status(429).header("Retry-After", "2");
        assertFallback(api, limited, false, "p1/m1: 429 rate limited");
        // The 429 cooled p1's key for its Retry-After: the next request skips p1 without calling it.
        primary.reset();
        RawClient.SseStream answer = api.stream(raw, api.streamRequest("chat", "Hi"));
        assertEquals(200, answer.status(), answer.raw());
        assertEquals("Served by p2", answer.text());
        assertThat(answer.headers().firstValue("x-hedgerow-attempts").orElse(""),
                   startsWith("p1/m1:skipped (every key cooling down, next in "));
        assertEquals(0, primary.requestCount());
    }

    @ParameterizedTest
    @EnumSource(Inbound.class)
    void rateLimitedPrimaryStreaming(Inbound api) {
        assertFallback(api, Reply.status(429).header("Retry-After", "2"), true, "p1/m1: 429 rate limited");
    }

    @ParameterizedTest
    @EnumSource(Inbound.class)
    void failingPrimary(Inbound api) {
        assertFallback(api, Reply.status(500), false, "p1/m1: 500 server error");
        assertFallback(api, Reply.status(503), true, "p1/m1: 503 server error");
    }

    @ParameterizedTest
    @EnumSource(Inbound.class)
    void primaryWithRevokedKey(Inbound api) {
        assertFallback(api, Reply.status(401), false, "p1/m1: 401 auth failed");
    }

    @ParameterizedTest
    @EnumSource(Inbound.class)
    void primaryAnsweringGarbage(Inbound api) {
        Reply html = Reply.raw(200, "text/html", "<html><body>502 Bad Gateway</body></html>");
        assertFallback(api, html, false, "p1/m1: bad response");
        assertFallback(api, html, true, "p1/m1: bad response");
    }

    @ParameterizedTest
    @EnumSource(Inbound.class)
    void primaryAnsweringAnErrorWithStatus200(Inbound api) {
        Reply error = Reply.raw(200, "application/json",
                                "{\"error\":{\"message\":\"The server had an error\",\"code\":\"server_error\"}}");
        assertFallback(api, error, false, "p1/m1: 502 server error");
        assertFallback(api, error, true, "p1/m1: 502 server error");
    }

    @ParameterizedTest
    @EnumSource(Inbound.class)
    void primaryStreamOpeningWithAnErrorEvent(Inbound api) {
        // OpenRouter and others answer 200 and put the real status in the stream's first event.
        Reply errorEvent = Reply.raw(200, "text/event-stream", "data: {\"error\":{\"message\":"
                + "\"Rate limit exceeded: free-models-per-min\",\"code\":429}}\n\n");
        assertFallback(api, errorEvent, true, "p1/m1: 429 rate limited");
    }

    @ParameterizedTest
    @EnumSource(Inbound.class)
    void primaryStreamCutBeforeItsFirstToken(Inbound api) {
        assertFallback(api, Reply.text("never", " sent").cutAfter(0), true, "p1/m1: bad response");
    }

    @ParameterizedTest
    @EnumSource(Inbound.class)
    void refusedConnection(Inbound api) {
        HttpResponse<String> response = api.send(raw, api.request("refused", "Hi"));

        assertEquals(200, response.statusCode(), response::body);
        assertEquals("Served by p2", api.text(response));
        assertEquals(Optional.of("dead/m0: connection failed"), header(response, "x-hedgerow-fallback-reason"));
        assertEquals(Optional.of("dead/m0#main:connection failed, p2/m2#main:ok"),
                     header(response, "x-hedgerow-attempts"));
        assertEquals(Optional.of("p2"), header(response, "x-hedgerow-provider"));
    }

    @ParameterizedTest
    @EnumSource(Inbound.class)
    void rejectedRequestIsNotTriedElsewhere(Inbound api) {
        primary.enqueue(Reply.error(400, "invalid_request_error", "string_above_max_length",
                                    "Invalid 'messages[0].content': string too long."));

        HttpResponse<String> response = api.send(raw, api.request("chat", "Hi"));

        assertEquals(400, response.statusCode(), response::body);
        JsonNode error = RawClient.json(response).get("error");
        assertEquals("invalid_request_error", error.get("type").asText());
        assertEquals(api.pick("upstream_rejected_request", "invalid_request_error"), api.errorKind(response));
        assertThat(error.get("message").asText(), containsString("string too long"));
        assertEquals(1, primary.requestCount());
        assertEquals(0, secondary.requestCount(), "a request the upstream rejected is not sent to the next one");
        assertEquals(Optional.of("p1/m1#main:400 request rejected"), header(response, "x-hedgerow-attempts"));
    }

    @ParameterizedTest
    @EnumSource(Inbound.class)
    void wholeChainRateLimited(Inbound api) {
        primary.enqueue(Reply.status(429).header("Retry-After", "2"));
        secondary.enqueue(Reply.status(429).header("Retry-After", "7"));

        HttpResponse<String> response = api.send(raw, api.request("chat", "Hi"));

        assertEquals(429, response.statusCode(), response::body);
        assertEquals(Optional.of("2"), header(response, "Retry-After"), "the soonest any candidate frees up");
        JsonNode error = RawClient.json(response).get("error");
        assertEquals("rate_limit_error", error.get("type").asText());
        assertEquals(api.pick("upstream_rate_limited", "rate_limit_error"), api.errorKind(response));
        assertThat(error.get("message").asText(), containsString("p1/m1"));
        assertThat(error.get("message").asText(), containsString("p2/m2"));
        assertEquals(1, primary.requestCount());
        assertEquals(1, secondary.requestCount());
    }

    @Test
    void wholeChainRateLimitedAsTheSdkSeesIt() {
        primary.enqueue(Reply.status(429).header("Retry-After", "3"));
        secondary.enqueue(Reply.status(429).header("retry-after-ms", "1500"));
        OpenAIClient client = OpenAIOkHttpClient.builder().baseUrl("http://127.0.0.1:" + router.port() + "/v1")
                .apiKey("test").maxRetries(0).timeout(Duration.ofSeconds(15)).build();
        try {
            RateLimitException e = assertThrows(RateLimitException.class, () -> client.chat().completions().create(
                    ChatCompletionCreateParams.builder().model("chat").addUserMessage("Hi").build()));
            assertEquals(429, e.statusCode());
            assertEquals(List.of("2"), e.headers().values("Retry-After"));
            assertEquals(Optional.of("upstream_rate_limited"), e.code());
        } finally {
            client.close();
        }
    }

    @ParameterizedTest
    @EnumSource(Inbound.class)
    void chainOfDifferentFailuresIsA502NamingEach(Inbound api) {
        primary.enqueue(Reply.status(429));
        secondary.enqueue(Reply.status(500));

        HttpResponse<String> response = api.send(raw, api.request("chat", "Hi"));

        assertEquals(api.status(502), response.statusCode(), response::body);
        JsonNode error = RawClient.json(response).get("error");
        assertEquals(api.pick("upstream_error", "api_error"), error.get("type").asText());
        assertThat(error.get("message").asText(), containsString("p1/m1 (429 rate limited"));
        assertThat(error.get("message").asText(), containsString("p2/m2 (500 server error"));
    }

    @ParameterizedTest
    @EnumSource(Inbound.class)
    void stalledFirstTokenIsCutOffAndTheNextCandidateServes(Inbound api) throws Exception {
        CountDownLatch never = new CountDownLatch(1);
        try {
            primary.enqueue(Reply.text("too", " late").firstTokenAfter(never));

            RawClient.SseStream stream = api.stream(raw, api.streamRequest("stalls", "Hi"));

            assertEquals(200, stream.status(), stream.raw());
            assertEquals("Served by p2", stream.text());
            assertTrue(stream.done(), stream.raw());
            assertEquals(Optional.of("slow/m1: timed out"), stream.header("x-hedgerow-fallback-reason"));
            assertEquals(Optional.of("slow/m1#main:timed out, p2/m2#main:ok"), stream.header("x-hedgerow-attempts"));
            assertTrue(primary.onlyExchange().awaitDisconnect(Duration.ofSeconds(5)),
                       "the stalled attempt was cancelled: its upstream connection was closed");
        } finally {
            never.countDown();
        }
    }

    @ParameterizedTest
    @EnumSource(Inbound.class)
    void wholeChainStalledIsA504AndEveryAttemptIsCancelled(Inbound api) throws Exception {
        CountDownLatch never = new CountDownLatch(1);
        try {
            primary.enqueue(Reply.text("late").firstTokenAfter(never), Reply.text("later").firstTokenAfter(never));

            HttpResponse<String> response = api.send(raw, api.streamRequest("all-stall", "Hi"));

            assertEquals(api.status(504), response.statusCode(), response::body);
            JsonNode error = RawClient.json(response).get("error");
            assertEquals(api.pick("upstream_timeout", "timeout_error"), api.errorKind(response));
            assertThat(error.get("message").asText(), containsString("slow/m1 (timed out"));
            assertThat(error.get("message").asText(), containsString("slow/m2 (timed out"));
            assertEquals(Optional.of("slow/m1#main:timed out, slow/m2#main:timed out"),
                         header(response, "x-hedgerow-attempts"));
            for (FakeOpenAi.Exchange stalled : primary.exchanges()) {
                assertTrue(stalled.awaitDisconnect(Duration.ofSeconds(5)), "attempt " + stalled.index());
            }
            assertEquals(List.of("m1", "m2"), primary.exchanges().stream()
                    .map(e -> e.body().get("model").asText()).toList());
        } finally {
            never.countDown();
        }
    }

    @ParameterizedTest
    @EnumSource(Inbound.class)
    void upstreamSilentBeforeItsHeadersIsCutOffToo(Inbound api) throws Exception {
        CountDownLatch gate = new CountDownLatch(1);
        try {
            primary.enqueue(Reply.text("too", " late").headersAfter(gate));

            RawClient.SseStream stream = api.stream(raw, api.streamRequest("stalls", "Hi"));

            assertEquals(200, stream.status(), stream.raw());
            assertEquals("Served by p2", stream.text());
            assertEquals(Optional.of("slow/m1: timed out"), stream.header("x-hedgerow-fallback-reason"));
        } finally {
            gate.countDown();
        }
    }

    /** The primary answers {@code failure}; the second candidate serves and the headers say why. */
    private static void assertFallback(Inbound api, Reply failure, boolean stream, String reason) {
        primary.reset();
        secondary.reset();
        secondary.otherwise(Reply.text("Served", " by p2"));
        primary.enqueue(failure);
        String what = api + " " + (stream ? "stream" : "json") + " after " + reason;
        HttpHeaders headers;
        if (stream) {
            RawClient.SseStream answer = api.stream(raw, api.streamRequest("chat", "Hi"));
            assertEquals(200, answer.status(), what + ": " + answer.raw());
            assertEquals("Served by p2", answer.text(), what);
            assertTrue(answer.done(), what);
            assertTrue(!answer.models().isEmpty() && answer.models().stream().allMatch("m2"::equals), what);
            headers = answer.headers();
        } else {
            HttpResponse<String> answer = api.send(raw, api.request("chat", "Hi"));
            assertEquals(200, answer.statusCode(), what + ": " + answer.body());
            assertEquals("Served by p2", api.text(answer), what);
            assertEquals("m2", api.model(answer), what);
            headers = answer.headers();
        }
        assertEquals(Optional.of("p2"), headers.firstValue("x-hedgerow-provider"), what);
        assertEquals(Optional.of("m2"), headers.firstValue("x-hedgerow-model"), what);
        assertEquals(Optional.of(reason), headers.firstValue("x-hedgerow-fallback-reason"), what);
        String primaryAttempt = reason.replace("p1/m1: ", "p1/m1#main:");
        assertEquals(Optional.of(primaryAttempt + ", p2/m2#main:ok"), headers.firstValue("x-hedgerow-attempts"), what);
        assertEquals(1, primary.requestCount(), what);
        assertEquals(1, secondary.requestCount(), what);
        assertEquals("m2", secondary.onlyExchange().body().get("model").asText(), what);
    }

    private static Optional<String> header(HttpResponse<?> response, String name) {
        return response.headers().firstValue(name);
    }
}
