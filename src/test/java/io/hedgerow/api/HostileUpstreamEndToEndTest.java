package io.hedgerow.api;

import com.fasterxml.jackson.databind.JsonNode;
import io.hedgerow.HedgerowServer;
import io.hedgerow.config.BreakerSettings;
import io.hedgerow.config.CooldownSettings;
import io.hedgerow.config.FailoverSettings;
import io.hedgerow.config.RecoverySettings;
import io.hedgerow.config.RetrySettings;
import io.hedgerow.fakes.FakeOpenAi;
import io.hedgerow.fakes.FakeOpenAi.Reply;
import io.hedgerow.testing.RawClient;
import io.hedgerow.testing.TestConfig;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.function.Supplier;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.startsWith;

/**
 * Upstreams that misbehave on purpose: an answer larger than the provider's cap, a stream that never ends, a stream
 * that drips a byte at a time, SSE framing that carries no events, the wrong content type, a redirect to another
 * host, a TLS handshake with a plain-HTTP port. Each becomes a clean error for the client (a JSON 502/504 before
 * the stream starts, an SSE error event and no {@code [DONE]} after) and a health signal: a second failure opens
 * the candidate's breaker (minimum 2 calls here), so the third request skips it without a call.
 */
class HostileUpstreamEndToEndTest {
    private static final String CHAT = "{\"model\":\"solo\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}";
    private static final String STREAM =
            "{\"model\":\"solo\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}";
    private static final RetrySettings ONE_ATTEMPT = new RetrySettings(1, Duration.ofMillis(50),
                                                                       Duration.ofMillis(200), Duration.ofSeconds(2));
    private static final BreakerSettings QUICK_BREAKER = new BreakerSettings(Duration.ofSeconds(30), 2, 0.5,
                                                                             Duration.ofSeconds(30), 1, 2);

    private static FakeOpenAi hostile;
    private static FakeOpenAi elsewhere;
    private HedgerowServer router;
    private RawClient raw;

    @BeforeAll
    static void startUpstreams() {
        hostile = FakeOpenAi.start();
        elsewhere = FakeOpenAi.start();
    }

    @AfterAll
    static void stopUpstreams() {
        hostile.close();
        elsewhere.close();
    }

    @BeforeEach
    void reset() {
        hostile.reset();
        elsewhere.reset();
    }

    @AfterEach
    void stop() {
        if (raw != null) {
            raw.close();
        }
        if (router != null) {
            router.close();
        }
    }

    private void start(String baseUrl, java.util.function.Consumer<TestConfig.Provider> setup) {
        router = HedgerowServer.start(TestConfig.builder()
                                              .failover(new FailoverSettings(ONE_ATTEMPT,
                                                                             CooldownSettings.DEFAULTS, QUICK_BREAKER,
                                                                             RecoverySettings.OFF))
                                              .openAi("p1", baseUrl, setup)
                                              .route("solo", "p1/m1")
                                              .build());
        raw = new RawClient(router.port());
    }

    private void start(java.util.function.Consumer<TestConfig.Provider> setup) {
        start(hostile.baseUrl(), setup);
    }

    @Test
    void anAnswerOverTheResponseCapIsA502NotAnOutOfMemory() {
        start(p -> p.maxResponseBytes(64 * 1024));
        String huge = "{\"id\":\"x\",\"object\":\"chat.completion\",\"choices\":[{\"index\":0,\"message\":{\"role\":"
                + "\"assistant\",\"content\":\"" + "a".repeat(200 * 1024) + "\"},\"finish_reason\":\"stop\"}]}";
        hostile.otherwise(Reply.raw(200, "application/json", huge));

        assertCleanErrorThenBreaker(() -> raw.chat(CHAT), 502, "upstream_failed", "larger than 65536 bytes");
    }

    @Test
    void aStreamEventOverTheResponseCapIsA502() {
        start(p -> p.maxResponseBytes(16 * 1024));
        hostile.otherwise(Reply.raw(200, "text/event-stream", "data: {\"pad\":\"" + "b".repeat(64 * 1024) + "\"}\n\n"));

        assertCleanErrorThenBreaker(() -> raw.chat(STREAM), 502, "upstream_failed", "line longer than 16384 bytes");
    }

    @Test
    void aStreamThatNeverEndsIsCutAtTheTotalTimeout() throws Exception {
        start(p -> p.total(Duration.ofSeconds(1)));
        hostile.otherwise(Reply.endless("more "));

        RawClient.SseStream stream = raw.chatStream(STREAM);

        assertThat(stream.raw(), stream.status(), is(200));
        assertThat(stream.text(), startsWith("more more "));
        JsonNode error = stream.error().orElseThrow(() -> new AssertionError(stream.raw())).get("error");
        assertThat(error.get("code").asText(), is("upstream_timeout"));
        assertThat(error.get("message").asText(), containsString("time limit"));
        assertThat(stream.anyDone(), is(false));
        assertThat(hostile.onlyExchange().awaitDisconnect(Duration.ofSeconds(5)), is(true));
        // One success (its first token) and one failure (the break) in the window: the breaker opens.
        assertBreakerOpen();
    }

    @Test
    void aStreamThatDripsIsCutAtTheIdleTimeout() throws Exception {
        start(p -> p.idle(Duration.ofMillis(300)));
        hostile.otherwise(Reply.text("Hel", "lo", " there").dripAfter(1, Duration.ofMillis(50)));

        RawClient.SseStream stream = raw.chatStream(STREAM);

        assertThat(stream.raw(), stream.text(), is("Hel"));
        JsonNode error = stream.error().orElseThrow(() -> new AssertionError(stream.raw())).get("error");
        assertThat(error.get("code").asText(), is("upstream_timeout"));
        assertThat(error.get("message").asText(), containsString("idle for 300ms"));
        assertThat(stream.anyDone(), is(false));
        assertThat(hostile.onlyExchange().awaitDisconnect(Duration.ofSeconds(5)), is(true));
        assertBreakerOpen();
    }

    @Test
    void sseFramingWithoutEventsIsA502() {
        start(p -> { });
        // A JSON answer labelled as a stream, and lines that are no SSE field: nothing is ever dispatched.
        hostile.otherwise(Reply.raw(200, "text/event-stream",
                                    "{\"choices\":[{\"delta\":{\"content\":\"x\"}}]}\nevent: message\nid: 7\n"
                                            + "retry: soon\n\n"));

        assertCleanErrorThenBreaker(() -> raw.chat(STREAM), 502, "upstream_failed", "stream ended before");
    }

    @Test
    void aStreamRequestAnsweredWithJsonIsA502() {
        start(p -> { });
        hostile.otherwise(Reply.raw(200, "application/json", "{\"id\":\"x\",\"object\":\"chat.completion\","
                + "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"hi\"},"
                + "\"finish_reason\":\"stop\"}]}"));

        assertCleanErrorThenBreaker(() -> raw.chat(STREAM), 502, "upstream_failed",
                                    "expected text/event-stream, got 'application/json'");
    }

    @Test
    void aJsonRequestAnsweredWithAStreamIsA502() {
        start(p -> { });
        hostile.otherwise(Reply.raw(200, "text/event-stream", "data: {\"choices\":[]}\n\ndata: [DONE]\n\n"));

        assertCleanErrorThenBreaker(() -> raw.chat(CHAT), 502, "upstream_failed", "not JSON");
    }

    @Test
    void aRedirectToAnotherHostIsNeverFollowed() {
        start(p -> { });
        hostile.otherwise(Reply.raw(302, "text/plain", "moved").header("Location", elsewhere.baseUrl()
                + "/chat/completions"));

        assertCleanErrorThenBreaker(() -> raw.chat(CHAT), 502, "upstream_failed", "redirect not followed");
        assertThat(elsewhere.requestCount(), is(0));
    }

    @Test
    void tlsToAPlainHttpPortIsAConnectionFailure() {
        start("https://127.0.0.1:" + hostile.port() + "/v1", p -> { });

        assertCleanErrorThenBreaker(() -> raw.chat(CHAT), 502, "upstream_failed", "connection failed");
    }

    /** Two clean errors with this status, code and detail; then the breaker has opened: a 503 without a call. */
    private void assertCleanErrorThenBreaker(Supplier<HttpResponse<String>> request, int status, String code,
                                             String detail) {
        for (int i = 0; i < 2; i++) {
            HttpResponse<String> response = request.get();
            assertThat(response.body(), response.statusCode(), is(status));
            assertThat(response.headers().firstValue("Content-Type").orElse(""), is("application/json"));
            JsonNode error = RawClient.json(response).get("error");
            assertThat(response.body(), error.get("code").asText(), is(code));
            assertThat(response.body(), error.get("message").asText(), containsString(detail));
        }
        assertBreakerOpen();
    }

    private void assertBreakerOpen() {
        int calls = hostile.requestCount();
        HttpResponse<String> skipped = raw.chat(CHAT);
        assertThat(skipped.body(), skipped.statusCode(), is(503));
        assertThat(skipped.headers().firstValue("x-hedgerow-attempts").orElse(""),
                   startsWith("p1/m1:skipped (breaker open"));
        assertThat(hostile.requestCount(), is(calls));
    }
}
