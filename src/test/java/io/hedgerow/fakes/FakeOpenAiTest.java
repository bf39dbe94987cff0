package io.hedgerow.fakes;

import com.fasterxml.jackson.databind.JsonNode;
import io.hedgerow.fakes.FakeOpenAi.Reply;
import io.hedgerow.testing.RawClient;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static io.hedgerow.fakes.FakeOpenAi.call;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The fake itself, spoken to directly: its wire format, its script, its waits and its hang-up detection. */
class FakeOpenAiTest {
    private static final String ASK = "{\"model\":\"gpt-x\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]";

    private static FakeOpenAi fake;
    private static HttpClient http;

    @BeforeAll
    static void start() {
        fake = FakeOpenAi.start();
        http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    }

    @AfterAll
    static void stop() {
        http.shutdownNow();
        fake.close();
    }

    @BeforeEach
    void reset() {
        fake.reset();
    }

    @Test
    void answersJsonAndRecordsTheRequest() throws Exception {
        fake.enqueue(Reply.text("a", "b").usage(3, 2), Reply.status(429).header("Retry-After", "2"));

        HttpResponse<String> first = post(ASK + "}");
        HttpResponse<String> second = post(ASK + "}");
        HttpResponse<String> third = post(ASK + "}");

        JsonNode answer = RawClient.json(first);
        assertEquals("ab", answer.at("/choices/0/message/content").asText());
        assertEquals("gpt-x", answer.get("model").asText());
        assertEquals(5, answer.at("/usage/total_tokens").asInt());
        assertEquals(429, second.statusCode());
        assertEquals(Optional.of("2"), second.headers().firstValue("Retry-After"));
        assertEquals("rate_limit_exceeded", RawClient.json(second).at("/error/code").asText());
        assertEquals(FakeOpenAi.DEFAULT_TEXT, RawClient.json(third).at("/choices/0/message/content").asText());
        assertEquals(3, fake.requestCount());
        assertEquals("Bearer k", fake.exchanges().getFirst().header("authorization").orElseThrow());
        assertEquals(Optional.of(FakeOpenAi.Outcome.COMPLETED),
                     fake.exchanges().getFirst().awaitOutcome(Duration.ofSeconds(5)));
    }

    @Test
    void streamsChunksUsageAndDone() {
        fake.enqueue(Reply.toolCalls(call("call_1", "f", "{\"a\":", "1}")));

        RawClient.SseStream stream = stream(ASK + ",\"stream\":true,\"stream_options\":{\"include_usage\":true}}");

        assertTrue(stream.done());
        List<JsonNode> chunks = stream.chunks();
        assertEquals("assistant", chunks.getFirst().at("/choices/0/delta/role").asText());
        assertEquals("call_1", chunks.get(1).at("/choices/0/delta/tool_calls/0/id").asText());
        assertEquals("{\"a\":", chunks.get(2).at("/choices/0/delta/tool_calls/0/function/arguments").asText());
        assertEquals(List.of("tool_calls"), stream.finishReasons());
        assertEquals(2, chunks.getLast().at("/usage/completion_tokens").asInt());
        assertTrue(chunks.getLast().get("choices").isEmpty());
    }

    @Test
    void cutAndDoneSwitches() {
        fake.enqueue(Reply.text("a", "b", "c").cutAfter(1), Reply.text("a").withoutDone());

        RawClient.SseStream cut = stream(ASK + ",\"stream\":true}");
        RawClient.SseStream noDone = stream(ASK + ",\"stream\":true}");

        assertEquals("a", cut.text());
        assertEquals(List.of(), cut.finishReasons());
        assertFalse(cut.anyDone());
        assertEquals(List.of("stop"), noDone.finishReasons());
        assertFalse(noDone.anyDone());
    }

    @Test
    void slowAnswerWaitsForItsGate() throws Exception {
        CountDownLatch gate = new CountDownLatch(1);
        fake.enqueue(Reply.text("late").firstTokenAfter(gate));

        CompletableFuture<HttpResponse<String>> pending = http.sendAsync(request(ASK + "}"),
                                                                         HttpResponse.BodyHandlers.ofString());
        assertTrue(fake.awaitRequests(1, Duration.ofSeconds(5)));
        assertFalse(pending.isDone(), "nothing before the gate opens");
        gate.countDown();

        JsonNode answer = RawClient.json(pending.get(5, TimeUnit.SECONDS));
        assertEquals("late", answer.at("/choices/0/message/content").asText());
    }

    @Test
    void waitingStreamNoticesTheCallerHangingUp() throws Exception {
        CountDownLatch never = new CountDownLatch(1);
        try {
            fake.enqueue(Reply.text("late").firstTokenAfter(never));

            // A bare socket, so that hanging up is immediate (an HTTP client may keep the connection a while).
            byte[] body = (ASK + ",\"stream\":true}").getBytes(StandardCharsets.UTF_8);
            try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), fake.port())) {
                socket.setSoTimeout(5000);
                OutputStream out = socket.getOutputStream();
                out.write(("POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                        + "Content-Type: application/json\r\nContent-Length: " + body.length + "\r\n\r\n")
                                  .getBytes(StandardCharsets.US_ASCII));
                out.write(body);
                out.flush();
                BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(),
                                                                             StandardCharsets.UTF_8));
                String line;
                do {
                    line = in.readLine();
                } while (line != null && !line.startsWith("data: "));
                assertTrue(line != null && line.contains("\"role\":\"assistant\""), line);
            }

            assertTrue(fake.onlyExchange().awaitDisconnect(Duration.ofSeconds(5)));
        } finally {
            never.countDown();
        }
    }

    private static HttpResponse<String> post(String body) throws Exception {
        return http.send(request(body), HttpResponse.BodyHandlers.ofString());
    }

    private static RawClient.SseStream stream(String body) {
        try {
            HttpResponse<String> response = post(body);
            return new RawClient.SseStream(response.statusCode(), response.headers(),
                                           RawClient.SseStream.parse(response.body()), response.body());
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    private static HttpRequest request(String body) {
        return HttpRequest.newBuilder(URI.create(fake.baseUrl() + "/chat/completions"))
                .timeout(Duration.ofSeconds(10))
                .header("Content-Type", "application/json")
                .header("Authorization", "Bearer k")
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .build();
    }
}
