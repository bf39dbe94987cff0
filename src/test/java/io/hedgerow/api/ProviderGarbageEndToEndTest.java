package io.hedgerow.api;

import com.fasterxml.jackson.databind.JsonNode;
import io.hedgerow.HedgerowServer;
import io.hedgerow.fakes.FakeOpenAi;
import io.hedgerow.fakes.FakeOpenAi.Reply;
import io.hedgerow.testing.RawClient;
import io.hedgerow.testing.TestConfig;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * An upstream that misbehaves with no other candidate to turn to: garbage answers become a 502 before the
 * stream starts; a stream that breaks after its first tokens ends with an SSE error event and never
 * {@code [DONE]}; a stream that merely forgets its {@code [DONE]} still ends properly; a stream that goes
 * silent is cut by the idle timeout; and a client that hangs up takes the upstream connection with it.
 */
class ProviderGarbageEndToEndTest {
    private static final String CHAT = "{\"model\":\"chat\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}";
    private static final String CHAT_STREAM =
            "{\"model\":\"chat\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}";

    private static FakeOpenAi upstream;
    private static HedgerowServer router;
    private static RawClient raw;

    @BeforeAll
    static void start() {
        upstream = FakeOpenAi.start();
    }

    @AfterAll
    static void stop() {
        upstream.close();
    }

    /** A fresh router per test: breakers, cooldowns and baselines from one test must not steer the next. */
    @BeforeEach
    void startRouter() {
        router = HedgerowServer.start(TestConfig.builder()
                                              .openAi("up", upstream.baseUrl())
                                              .openAi("quiet", upstream.baseUrl(),
                                                      p -> p.idle(Duration.ofMillis(300)))
                                              .route("chat", "up/m1")
                                              .route("idle", "quiet/m1")
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
        upstream.reset();
    }

    @Test
    void nonJsonAnswerIsA502() {
        upstream.otherwise(Reply.raw(200, "text/html", "<html>Service Unavailable</html>"));

        assertUpstreamFailed(raw.chat(CHAT), "not JSON");
        // A stream request gets the same JSON error: nothing was streamed yet.
        assertUpstreamFailed(raw.chat(CHAT_STREAM), "not JSON");
    }

    @Test
    void jsonThatIsNotACompletionIsA502() {
        upstream.enqueue(Reply.raw(200, "application/json", "{\"id\":\"x\",\"object\":\"chat.completion\"}"));

        assertUpstreamFailed(raw.chat(CHAT), "no choices");
    }

    @Test
    void streamCutAfterSomeChunksEndsWithAnErrorEventAndNoDone() {
        upstream.enqueue(Reply.text("Hel", "lo", " wor", "ld").cutAfter(2));

        RawClient.SseStream stream = raw.chatStream(CHAT_STREAM);

        assertEquals(200, stream.status(), stream.raw());
        assertEquals("Hello", stream.text(), "the chunks before the cut were relayed");
        JsonNode error = stream.error().orElseThrow(() -> new AssertionError("no error event: " + stream.raw()))
                .get("error");
        assertEquals("upstream_error", error.get("type").asText());
        assertEquals("upstream_stream_broken", error.get("code").asText());
        assertThat(error.get("message").asText(), containsString("interrupted"));
        assertTrue(stream.chunks().getLast().has("error"), "the error is the last event");
        assertFalse(stream.anyDone(), "a broken answer never ends with [DONE]: " + stream.raw());
        assertEquals(List.of(), stream.finishReasons());
    }

    @Test
    void malformedChunkMidStreamEndsWithAnErrorEvent() {
        upstream.enqueue(Reply.raw(200, "text/event-stream", sse(
                chunk("{\"role\":\"assistant\",\"content\":\"\"}", null),
                chunk("{\"content\":\"Partial\"}", null),
                "{\"id\":\"chatcmpl-1\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"tru",
                chunk("{}", "stop"),
                "[DONE]")));

        RawClient.SseStream stream = raw.chatStream(CHAT_STREAM);

        assertEquals("Partial", stream.text());
        assertEquals("upstream_stream_broken", stream.error().orElseThrow().at("/error/code").asText());
        assertFalse(stream.anyDone(), stream.raw());
    }

    @Test
    void errorEventFromTheUpstreamMidStreamIsRelayedAsAnError() {
        upstream.enqueue(Reply.raw(200, "text/event-stream", sse(
                chunk("{\"content\":\"Partial\"}", null),
                "{\"error\":{\"message\":\"The server had an error while processing your request.\","
                        + "\"type\":\"server_error\",\"code\":null}}")));

        RawClient.SseStream stream = raw.chatStream(CHAT_STREAM);

        assertEquals("Partial", stream.text());
        JsonNode error = stream.error().orElseThrow(() -> new AssertionError(stream.raw())).get("error");
        assertEquals("upstream_stream_broken", error.get("code").asText());
        assertThat(error.get("message").asText(), containsString("The server had an error"));
        assertFalse(stream.anyDone(), stream.raw());
    }

    @Test
    void streamEndingAfterItsFinishReasonWithoutDoneStillEndsProperly() {
        upstream.enqueue(Reply.text("All", " there").usage(5, 2).withoutDone());

        RawClient.SseStream stream = raw.chatStream(CHAT_STREAM.replace("\"stream\":true",
                "\"stream\":true,\"stream_options\":{\"include_usage\":true}"));

        assertEquals(200, stream.status(), stream.raw());
        assertEquals("All there", stream.text());
        assertEquals(List.of("stop"), stream.finishReasons());
        assertEquals(7, stream.chunks().getLast().at("/usage/total_tokens").asInt(), stream.raw());
        assertTrue(stream.done(), "the client gets its [DONE]: " + stream.raw());
        assertTrue(stream.error().isEmpty(), stream.raw());
    }

    @Test
    void streamWithCrLfLinesCompactFieldsAndCommentsIsRelayed() {
        // Legal SSE that OpenAI itself does not send but compatible servers do.
        String body = (": connected\n\n"
                + "data:" + chunk("{\"role\":\"assistant\",\"content\":\"\"}", null) + "\n\n"
                + ": OPENROUTER PROCESSING\n\n"
                + "data: " + chunk("{\"content\":\"Bonjour\"}", null) + "\n\n"
                + "id: 7\nevent: message\ndata: " + chunk("{\"content\":\" à vous\"}", null) + "\n\n"
                + "data: " + chunk("{}", "stop") + "\n\n"
                + "data: [DONE]\n\n").replace("\n", "\r\n");
        upstream.enqueue(Reply.raw(200, "text/event-stream; charset=utf-8", body));

        RawClient.SseStream stream = raw.chatStream(CHAT_STREAM);

        assertEquals("Bonjour à vous", stream.text(), stream.raw());
        assertEquals(List.of("stop"), stream.finishReasons());
        assertTrue(stream.done());
    }

    @Test
    void streamSilentMidwayIsCutByTheIdleTimeout() throws Exception {
        CountDownLatch never = new CountDownLatch(1);
        try {
            upstream.enqueue(Reply.text("Hel", "lo", " wor", "ld").stallAfter(2, never));

            RawClient.SseStream stream = raw.chatStream(CHAT_STREAM.replace("\"chat\"", "\"idle\""));

            assertEquals(200, stream.status(), stream.raw());
            assertEquals("Hello", stream.text());
            JsonNode error = stream.error().orElseThrow(() -> new AssertionError(stream.raw())).get("error");
            assertEquals("upstream_timeout", error.get("code").asText());
            assertThat(error.get("message").asText(), containsString("idle"));
            assertFalse(stream.anyDone(), stream.raw());
            assertTrue(upstream.onlyExchange().awaitDisconnect(Duration.ofSeconds(5)),
                       "the silent upstream's connection was closed");
        } finally {
            never.countDown();
        }
    }

    @Test
    void clientHangingUpMidStreamClosesTheUpstream() throws Exception {
        upstream.enqueue(Reply.endless("tick "));

        List<String> read = raw.streamAndHangUp(CHAT_STREAM, 3);

        assertEquals("HTTP/1.1 200 OK", read.getFirst());
        assertEquals(4, read.size(), read::toString);
        assertThat(read.getLast(), containsString("tick "));
        assertTrue(upstream.onlyExchange().awaitDisconnect(Duration.ofSeconds(5)),
                   "the upstream saw the client leave; outcome: " + upstream.onlyExchange().outcome());
    }

    private static void assertUpstreamFailed(HttpResponse<String> response, String detail) {
        assertEquals(502, response.statusCode(), response::body);
        assertThat(response.headers().firstValue("Content-Type").orElse(""), startsWith("application/json"));
        JsonNode error = RawClient.json(response).get("error");
        assertEquals("upstream_error", error.get("type").asText());
        assertEquals("upstream_failed", error.get("code").asText());
        assertTrue(error.has("param"));
        assertThat(error.get("message").asText(), containsString("up/m1"));
        assertThat(error.get("message").asText(), containsString(detail));
    }

    /** An OpenAI stream chunk with this delta (and finish reason). */
    private static String chunk(String delta, String finishReason) {
        return "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m1\","
                + "\"choices\":[{\"index\":0,\"delta\":" + delta + ",\"finish_reason\":"
                + (finishReason == null ? "null" : "\"" + finishReason + "\"") + "}]}";
    }

    private static String sse(String... data) {
        StringBuilder sb = new StringBuilder();
        for (String d : data) {
            sb.append("data: ").append(d).append("\n\n");
        }
        return sb.toString();
    }
}
