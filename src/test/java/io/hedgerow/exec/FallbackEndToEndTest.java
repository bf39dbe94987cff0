package io.hedgerow.exec;

import com.fasterxml.jackson.databind.JsonNode;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.errors.RateLimitException;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import io.hedgerow.HedgerowServer;
import io.hedgerow.fakes.FakeOpenAi;
import io.hedgerow.fakes.FakeOpenAi.Reply;
import io.hedgerow.testing.RawClient;
import io.hedgerow.testing.TestConfig;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

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
 * (the upstream sees the disconnect) while the second candidate answers.
 */
class FallbackEndToEndTest {
    private static final String CHAT = "{\"model\":\"chat\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}";
    private static final String CHAT_STREAM =
            "{\"model\":\"chat\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}";

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

    @Test
    void rateLimitedPrimary() {
        Reply limited = Reply.status(429).header("Retry-After", "2");
        assertFallback(limited, false, "p1/m1: 429 rate limited");
        // The 429 cooled p1's key for its Retry-After: the next request skips p1 without calling it.
        primary.reset();
        RawClient.SseStream answer = raw.chatStream(CHAT_STREAM);
        assertEquals(200, answer.status(), answer.raw());
        assertEquals("Served by p2", answer.text());
        assertThat(answer.headers().firstValue("x-hedgerow-attempts").orElse(""),
                   startsWith("p1/m1:skipped (every key cooling down, next in "));
        assertEquals(0, primary.requestCount());
    }

    @Test
    void rateLimitedPrimaryStreaming() {
        assertFallback(Reply.status(429).header("Retry-After", "2"), true, "p1/m1: 429 rate limited");
    }

    @Test
    void failingPrimary() {
        assertFallback(Reply.status(500), false, "p1/m1: 500 server error");
        assertFallback(Reply.status(503), true, "p1/m1: 503 server error");
    }

    @Test
    void primaryWithRevokedKey() {
        assertFallback(Reply.status(401), false, "p1/m1: 401 auth failed");
    }

    @Test
    void primaryAnsweringGarbage() {
        Reply html = Reply.raw(200, "text/html", "<html><body>502 Bad Gateway</body></html>");
        assertFallback(html, false, "p1/m1: bad response");
        assertFallback(html, true, "p1/m1: bad response");
    }

    @Test
    void primaryAnsweringAnErrorWithStatus200() {
        Reply error = Reply.raw(200, "application/json",
                                "{\"error\":{\"message\":\"The server had an error\",\"code\":\"server_error\"}}");
        assertFallback(error, false, "p1/m1: 502 server error");
        assertFallback(error, true, "p1/m1: 502 server error");
    }

    @Test
    void primaryStreamOpeningWithAnErrorEvent() {
        // OpenRouter and others answer 200 and put the real status in the stream's first event.
        Reply errorEvent = Reply.raw(200, "text/event-stream", "data: {\"error\":{\"message\":"
                + "\"Rate limit exceeded: free-models-per-min\",\"code\":429}}\n\n");
        assertFallback(errorEvent, true, "p1/m1: 429 rate limited");
    }

    @Test
    void primaryStreamCutBeforeItsFirstToken() {
        assertFallback(Reply.text("never", " sent").cutAfter(0), true, "p1/m1: bad response");
    }

    @Test
    void refusedConnection() {
        HttpResponse<String> response = raw.chat(CHAT.replace("\"chat\"", "\"refused\""));

        assertEquals(200, response.statusCode(), response::body);
        assertEquals("Served by p2", RawClient.json(response).at("/choices/0/message/content").asText());
        assertEquals(Optional.of("dead/m0: connection failed"), header(response, "x-hedgerow-fallback-reason"));
        assertEquals(Optional.of("dead/m0#main:connection failed, p2/m2#main:ok"),
                     header(response, "x-hedgerow-attempts"));
        assertEquals(Optional.of("p2"), header(response, "x-hedgerow-provider"));
    }

    @Test
    void rejectedRequestIsNotTriedElsewhere() {
        primary.enqueue(Reply.error(400, "invalid_request_error", "string_above_max_length",
                                    "Invalid 'messages[0].content': string too long."));

        HttpResponse<String> response = raw.chat(CHAT);

        assertEquals(400, response.statusCode(), response::body);
        JsonNode error = RawClient.json(response).get("error");
        assertEquals("invalid_request_error", error.get("type").asText());
        assertEquals("upstream_rejected_request", error.get("code").asText());
        assertThat(error.get("message").asText(), containsString("string too long"));
        assertEquals(1, primary.requestCount());
        assertEquals(0, secondary.requestCount(), "a request the upstream rejected is not sent to the next one");
        assertEquals(Optional.of("p1/m1#main:400 request rejected"), header(response, "x-hedgerow-attempts"));
    }

    @Test
    void wholeChainRateLimited() {
        primary.enqueue(Reply.status(429).header("Retry-After", "2"));
        secondary.enqueue(Reply.status(429).header("Retry-After", "7"));

        HttpResponse<String> response = raw.chat(CHAT);

        assertEquals(429, response.statusCode(), response::body);
        assertEquals(Optional.of("2"), header(response, "Retry-After"), "the soonest any candidate frees up");
        JsonNode error = RawClient.json(response).get("error");
        assertEquals("rate_limit_error", error.get("type").asText());
        assertEquals("upstream_rate_limited", error.get("code").asText());
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

    @Test
    void chainOfDifferentFailuresIsA502NamingEach() {
        primary.enqueue(Reply.status(429));
        secondary.enqueue(Reply.status(500));

        HttpResponse<String> response = raw.chat(CHAT);

        assertEquals(502, response.statusCode(), response::body);
        JsonNode error = RawClient.json(response).get("error");
        assertEquals("upstream_error", error.get("type").asText());
        assertThat(error.get("message").asText(), containsString("p1/m1 (429 rate limited"));
        assertThat(error.get("message").asText(), containsString("p2/m2 (500 server error"));
    }

    @Test
    void stalledFirstTokenIsCutOffAndTheNextCandidateServes() throws Exception {
        CountDownLatch never = new CountDownLatch(1);
        try {
            primary.enqueue(Reply.text("too", " late").firstTokenAfter(never));

            RawClient.SseStream stream = raw.chatStream(CHAT_STREAM.replace("\"chat\"", "\"stalls\""));

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

    @Test
    void wholeChainStalledIsA504AndEveryAttemptIsCancelled() throws Exception {
        CountDownLatch never = new CountDownLatch(1);
        try {
            primary.enqueue(Reply.text("late").firstTokenAfter(never), Reply.text("later").firstTokenAfter(never));

            HttpResponse<String> response = raw.chat(CHAT_STREAM.replace("\"chat\"", "\"all-stall\""));

            assertEquals(504, response.statusCode(), response::body);
            JsonNode error = RawClient.json(response).get("error");
            assertEquals("upstream_timeout", error.get("code").asText());
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

    @Test
    void upstreamSilentBeforeItsHeadersIsCutOffToo() throws Exception {
        CountDownLatch gate = new CountDownLatch(1);
        try {
            primary.enqueue(Reply.text("too", " late").headersAfter(gate));

            RawClient.SseStream stream = raw.chatStream(CHAT_STREAM.replace("\"chat\"", "\"stalls\""));

            assertEquals(200, stream.status(), stream.raw());
            assertEquals("Served by p2", stream.text());
            assertEquals(Optional.of("slow/m1: timed out"), stream.header("x-hedgerow-fallback-reason"));
        } finally {
            gate.countDown();
        }
    }

    /** The primary answers {@code failure}; the second candidate serves and the headers say why. */
    private static void assertFallback(Reply failure, boolean stream, String reason) {
        primary.reset();
        secondary.reset();
        secondary.otherwise(Reply.text("Served", " by p2"));
        primary.enqueue(failure);
        String what = (stream ? "stream" : "json") + " after " + reason;
        HttpHeaders headers;
        if (stream) {
            RawClient.SseStream answer = raw.chatStream(CHAT_STREAM);
            assertEquals(200, answer.status(), what + ": " + answer.raw());
            assertEquals("Served by p2", answer.text(), what);
            assertTrue(answer.done(), what);
            assertTrue(answer.chunks().stream().allMatch(c -> c.get("model").asText().equals("m2")), what);
            headers = answer.headers();
        } else {
            HttpResponse<String> answer = raw.chat(CHAT);
            assertEquals(200, answer.statusCode(), what + ": " + answer.body());
            JsonNode json = RawClient.json(answer);
            assertEquals("Served by p2", json.at("/choices/0/message/content").asText(), what);
            assertEquals("m2", json.get("model").asText(), what);
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
