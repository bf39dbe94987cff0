package io.hedgerow.api;

import com.fasterxml.jackson.databind.JsonNode;
import io.hedgerow.HedgerowServer;
import io.hedgerow.fakes.FakeOpenAi;
import io.hedgerow.testing.RawClient;
import io.hedgerow.testing.RawSocket;
import io.hedgerow.testing.TestConfig;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What clients get for requests Hedgerow must refuse: the right status and an OpenAI-style error body
 * ({@code {"error": {"message", "type", "param", "code"}}}) — and the upstream never hears of them. Transport-level
 * abuse (HTTP/1.0, pipelining, malformed request lines) gets the same shape, and the router serves the next
 * request. A client hanging up mid-request or mid-stream is in {@link ClientDisconnectEndToEndTest}; slow headers,
 * bodies and readers in {@link LimitsEndToEndTest}.
 */
class BadInputEndToEndTest {
    private static final int MAX_BODY = 2048;
    private static final String USER_HI = "[{\"role\":\"user\",\"content\":\"Hi\"}]";

    private static FakeOpenAi upstream;
    private static HedgerowServer router;
    private static RawClient raw;

    @BeforeAll
    static void start() {
        upstream = FakeOpenAi.start();
        router = HedgerowServer.start(TestConfig.builder()
                                              .maxBodyBytes(MAX_BODY)
                                              .openAi("up", upstream.baseUrl())
                                              .route("chat", "up/m1")
                                              .build());
        raw = new RawClient(router.port());
    }

    @AfterAll
    static void stop() {
        raw.close();
        router.close();
        upstream.close();
    }

    @BeforeEach
    void reset() {
        upstream.reset();
    }

    @AfterEach
    void upstreamSawNothing() {
        assertEquals(0, upstream.requestCount(), "a refused request must not reach the upstream");
    }

    /** Issue 17, item 6: each of these reached the upstream, mangled or as it was. */
    @org.junit.jupiter.params.ParameterizedTest(name = "{0}")
    @org.junit.jupiter.params.provider.CsvSource(delimiter = '|', textBlock = """
            "temperature":1e400            | temperature
            "temperature":-1               | temperature
            "temperature":5                | temperature
            "top_p":2                      | top_p
            "n":1.5                        | n
            "max_completion_tokens":"x"    | max_completion_tokens
            "stop":["1","2","3","4","5"]   | stop
            "stream_options":"x"           | stream_options
            "tools":[{"type":"retrieval","function":{"name":"f"}}] | tools[0].type
            """)
    void aFieldOutsideItsDocumentedTypeOrRangeIsRefusedByName(String field, String param) {
        JsonNode error = assertError(raw.chat("{\"model\":\"chat\",\"messages\":" + USER_HI + "," + field + "}"),
                                     400, "invalid_request");
        assertEquals(param, error.get("param").asText(), error::toString);
    }

    @Test
    void toolCallArgumentsMustBeAStringAndToolCallIdsNonEmpty() {
        String call = "{\"role\":\"assistant\",\"tool_calls\":[{\"id\":\"c1\",\"type\":\"function\","
                + "\"function\":{\"name\":\"f\",\"arguments\":5}}]}";
        JsonNode error = assertError(raw.chat("{\"model\":\"chat\",\"messages\":[" + call + "]}"), 400,
                                     "invalid_request");
        assertEquals("messages[0].tool_calls[0].function.arguments", error.get("param").asText());
        String tool = "{\"role\":\"tool\",\"tool_call_id\":\"\",\"content\":\"r\"}";
        error = assertError(raw.chat("{\"model\":\"chat\",\"messages\":[" + tool + "]}"), 400, "invalid_request");
        assertEquals("messages[0].tool_call_id", error.get("param").asText());
    }

    @Test
    void malformedJson() {
        JsonNode error = assertError(raw.chat("{\"model\":\"chat\",\"messages\":[{\"role\":"), 400, "invalid_json");
        assertThat(error.get("message").asText(), containsString("not valid JSON"));
    }

    @Test
    void trailingDataAfterTheJsonObject() {
        String valid = "{\"model\":\"chat\",\"messages\":" + USER_HI + "}";
        assertError(raw.chat(valid + " {\"model\":\"other\"}"), 400, "invalid_json");
        assertError(raw.chat(valid + "]"), 400, "invalid_json");
    }

    @Test
    void emptyOrWhitespaceBody() {
        for (String body : new String[] {"", " ", "\r\n\t  \n"}) {
            JsonNode error = assertError(raw.chat(body), 400, "invalid_json");
            assertThat(error.get("message").asText(), containsString("empty"));
        }
    }

    @Test
    void bodyNotAnObject() {
        assertError(raw.chat("[{\"model\":\"chat\"}]"), 400, null);
        assertError(raw.chat("\"chat\""), 400, null);
        assertError(raw.chat("null"), 400, null);
    }

    @Test
    void missingFields() {
        assertParam(raw.chat("{\"model\":\"chat\"}"), "messages");
        assertParam(raw.chat("{\"model\":\"chat\",\"messages\":[]}"), "messages");
        assertParam(raw.chat("{\"messages\":" + USER_HI + "}"), "model");
        assertParam(raw.chat("{\"model\":\"chat\",\"messages\":[{\"role\":\"user\"}]}"), "messages[0].content");
        assertParam(raw.chat("{\"model\":\"chat\",\"messages\":[{\"role\":\"tool\",\"content\":\"42\"}]}"),
                    "messages[0].tool_call_id");
    }

    @Test
    void wrongTypes() {
        assertParam(raw.chat("{\"model\":\"chat\",\"messages\":\"Hi\"}"), "messages");
        assertParam(raw.chat("{\"model\":42,\"messages\":" + USER_HI + "}"), "model");
        assertParam(raw.chat("{\"model\":\"chat\",\"messages\":" + USER_HI + ",\"temperature\":\"hot\"}"),
                    "temperature");
        assertParam(raw.chat("{\"model\":\"chat\",\"messages\":" + USER_HI + ",\"stream\":\"yes\"}"), "stream");
        assertParam(raw.chat("{\"model\":\"chat\",\"messages\":" + USER_HI + ",\"max_tokens\":0}"), "max_tokens");
        assertParam(raw.chat("{\"model\":\"chat\",\"messages\":" + USER_HI + ",\"tools\":{}}"), "tools");
        assertParam(raw.chat("{\"model\":\"chat\",\"messages\":[\"Hi\"]}"), "messages[0]");
        assertParam(raw.chat("{\"model\":\"chat\",\"messages\":" + USER_HI + ",\"tools\":[{\"type\":\"function\","
                                     + "\"function\":{\"name\":\"f\",\"strict\":\"yes\"}}]}"),
                    "tools[0].function.strict");
    }

    @Test
    void badRole() {
        JsonNode error = assertParam(raw.chat("{\"model\":\"chat\",\"messages\":[{\"role\":\"wizard\",\"content\":\"x\"}]}"),
                                     "messages[0].role");
        assertThat(error.get("message").asText(), containsString("wizard"));
    }

    @Test
    void unsupportedOptions() {
        assertParam(raw.chat("{\"model\":\"chat\",\"messages\":" + USER_HI + ",\"n\":2}"), "n");
    }

    @Test
    void unknownModel() {
        JsonNode error = assertError(raw.chat("{\"model\":\"gpt-9\",\"messages\":" + USER_HI + "}"), 404,
                                     "model_not_found");
        assertEquals("model", error.get("param").asText());
        assertThat(error.get("message").asText(), containsString("gpt-9"));
        assertError(raw.chat("{\"model\":\"nobody/m1\",\"messages\":" + USER_HI + "}"), 404, "model_not_found");
    }

    @Test
    void bodyOverTheLimitWithContentLength() {
        assertError(raw.chat(oversized(MAX_BODY + 1)), 413, "request_too_large");
        assertError(raw.chat(oversized(256 * 1024)), 413, "request_too_large");
        assertAnswered(); // the connection (or the next one) still serves
    }

    @Test
    void bodyOverTheLimitChunked() {
        for (int size : List.of(MAX_BODY + 1, 256 * 1024)) {
            byte[] body = oversized(size).getBytes(StandardCharsets.UTF_8);
            // An input stream publisher has no length: the body goes chunked, without Content-Length.
            HttpRequest.BodyPublisher chunked = HttpRequest.BodyPublishers.ofInputStream(
                    () -> new ByteArrayInputStream(body));
            assertEquals(-1, chunked.contentLength());
            assertError(raw.post(RawClient.CHAT, "application/json", chunked), 413, "request_too_large");
        }
        assertAnswered();
    }

    @Test
    void bodyJustUnderTheLimitIsServed() {
        String body = oversized(MAX_BODY);
        assertEquals(MAX_BODY, body.getBytes(StandardCharsets.UTF_8).length);
        HttpResponse<String> response = raw.chat(body);
        assertEquals(200, response.statusCode(), response::body);
        assertEquals(1, upstream.requestCount());
        upstream.reset();
    }

    @Test
    void notJson() {
        JsonNode error = assertError(raw.post(RawClient.CHAT, "text/plain",
                                              HttpRequest.BodyPublishers.ofString("{\"model\":\"chat\"}")),
                                     415, "unsupported_media_type");
        assertThat(error.get("message").asText(), containsString("text/plain"));
        assertError(raw.post(RawClient.CHAT, "application/x-www-form-urlencoded",
                             HttpRequest.BodyPublishers.ofString("model=chat")), 415, "unsupported_media_type");
    }

    @Test
    void jsonWithCharsetIsAccepted() {
        HttpResponse<String> response = raw.post(RawClient.CHAT, "application/json; charset=utf-8",
                HttpRequest.BodyPublishers.ofString("{\"model\":\"chat\",\"messages\":" + USER_HI + "}"));
        assertEquals(200, response.statusCode(), response::body);
        upstream.reset();
    }

    @Test
    void unknownFieldsAreToleratedAndForwarded() {
        HttpResponse<String> response = raw.chat("""
                {"model":"chat","messages":[{"role":"user","content":"Hi","x_note":"ignored"}],
                 "seed":7,"metadata":{"team":"search"},"x_vendor_option":{"depth":[1,2]}}""");

        assertEquals(200, response.statusCode(), response::body);
        JsonNode sent = upstream.onlyExchange().body();
        assertEquals(7, sent.get("seed").asInt());
        assertEquals("search", sent.at("/metadata/team").asText());
        assertEquals(RawClient.json("{\"depth\":[1,2]}"), sent.get("x_vendor_option"));
        upstream.reset();
    }

    @Test
    void unknownUrlUnderV1() {
        assertError(raw.post("/v1/images/generations", "application/json",
                             HttpRequest.BodyPublishers.ofString("{\"model\":\"chat\",\"input\":\"x\"}")),
                    404, "unknown_url");
        assertError(raw.get("/v1/models/gpt-9"), 404, "model_not_found");
        JsonNode error = assertError(raw.get("/v1/assistants"), 404, "unknown_url");
        assertThat(error.get("message").asText(), containsString("/v1/assistants"));
    }

    @Test
    void deeplyNestedJsonIsRefusedBeforeItCostsAnything() {
        String deep = "[".repeat(300) + "]".repeat(300);
        JsonNode error = assertError(raw.chat("{\"model\":\"chat\",\"messages\":" + USER_HI + ",\"x\":" + deep + "}"),
                                     400, "request_too_complex");
        assertThat(error.get("message").asText(), containsString("nesting depth"));
        // Within the limit, an unknown deep field is tolerated (and forwarded).
        String fine = "[".repeat(50) + "]".repeat(50);
        assertEquals(200, raw.chat("{\"model\":\"chat\",\"messages\":" + USER_HI + ",\"x\":" + fine + "}").statusCode());
        upstream.reset();
    }

    @Test
    void hugeNumbersAndHugeStringsAreRefused() {
        assertError(raw.chat("{\"model\":\"chat\",\"messages\":" + USER_HI + ",\"temperature\":" + "9".repeat(500) + "}"),
                    400, "request_too_complex");
        // A string over the body limit is refused by size, before any parsing.
        assertError(raw.chat("{\"model\":\"chat\",\"messages\":[{\"role\":\"user\",\"content\":\""
                                     + "x".repeat(1024 * 1024) + "\"}]}"), 413, "request_too_large");
        assertAnswered();
    }

    @Test
    void invalidUtf8IsA400() {
        byte[] head = "{\"model\":\"chat\",\"messages\":[{\"role\":\"user\",\"content\":\"caf".getBytes(StandardCharsets.UTF_8);
        byte[] tail = "\"}]}".getBytes(StandardCharsets.UTF_8);
        byte[] body = new byte[head.length + 2 + tail.length];
        System.arraycopy(head, 0, body, 0, head.length);
        body[head.length] = (byte) 0xC3; // a two-byte sequence's lead byte ...
        body[head.length + 1] = (byte) 0x28; // ... followed by no continuation byte
        System.arraycopy(tail, 0, body, head.length + 2, tail.length);
        JsonNode error = assertError(raw.post(RawClient.CHAT, "application/json",
                                              HttpRequest.BodyPublishers.ofByteArray(body)), 400, "invalid_json");
        assertThat(error.get("message").asText(), containsString("UTF-8"));
        assertAnswered();
    }

    @Test
    void http10AndGarbageAreACleanClose() {
        // Helidon picks a connection's protocol from its first bytes: HTTP/1.0, HTTP/2.0 without an upgrade, and
        // bytes that are no HTTP at all match none, so the connection is closed without a word.
        for (String request : List.of("GET /v1/models HTTP/1.0\r\n\r\n", "GET /v1/models HTTP/2.0\r\nHost: x\r\n\r\n",
                                      "NONSENSE\r\n\r\n", "\u0016\u0003\u0001\u0000\u00a5\u0001\u0000\r\n\r\n")) {
            try (RawSocket socket = RawSocket.connect(router.port())) {
                socket.send(request);
                assertTrue(socket.closedWithin(java.time.Duration.ofSeconds(5)), request);
            }
        }
        assertAnswered();
    }

    @Test
    void malformedRequestLinesAndHeadersAre400s() {
        for (String request : List.of("GET /v1/models HTTP/1.1\r\nno colon here\r\n\r\n",
                                      "GET /v1/mo dels HTTP/1.1\r\nHost: x\r\n\r\n",
                                      "GET /v1/models HTTP/1.1\r\n\r\n",
                                      "GET /v1/models?a=%zz HTTP/1.1\r\nHost: x\r\n\r\n",
                                      "GET /v1/models HTTP/1.1\r\nHost: x\r\nbad\u0001name: y\r\n\r\n")) {
            try (RawSocket socket = RawSocket.connect(router.port())) {
                socket.send(request);
                RawSocket.Response response = socket.read();
                assertEquals(400, response.status(), request + " -> " + response.body());
                assertEquals("application/json", response.headers().get("content-type"));
                assertEquals("bad_request", RawClient.json(response.body()).at("/error/code").asText());
                assertTrue(socket.closedWithin(java.time.Duration.ofSeconds(5)));
            }
        }
        assertAnswered();
    }

    @Test
    void pipelinedRequestsAreAnsweredInOrder() {
        int port = router.port();
        String models = "GET /v1/models HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
        byte[] bad = RawSocket.post(port, RawClient.CHAT, "{\"model\":\"chat\"}");
        byte[] unknown = RawSocket.post(port, RawClient.CHAT, "{\"model\":\"gpt-9\",\"messages\":" + USER_HI + "}");
        try (RawSocket socket = RawSocket.connect(port)) {
            // Three requests in one write: the router must read them one after another, answer each once, in order.
            byte[] all = (models + new String(bad, StandardCharsets.UTF_8) + new String(unknown, StandardCharsets.UTF_8))
                    .getBytes(StandardCharsets.UTF_8);
            socket.send(all);
            RawSocket.Response first = socket.read();
            RawSocket.Response second = socket.read();
            RawSocket.Response third = socket.read();
            assertEquals(200, first.status(), first.body());
            assertThat(first.body(), containsString("\"chat\""));
            assertEquals(400, second.status(), second.body());
            assertEquals("messages", RawClient.json(second.body()).at("/error/param").asText());
            assertEquals(404, third.status(), third.body());
            assertEquals("model_not_found", RawClient.json(third.body()).at("/error/code").asText());
        }
    }

    private static String oversized(int bytes) {
        String head = "{\"model\":\"chat\",\"messages\":[{\"role\":\"user\",\"content\":\"";
        String tail = "\"}]}";
        return head + "x".repeat(bytes - head.length() - tail.length()) + tail;
    }

    private static void assertAnswered() {
        HttpResponse<String> response = raw.chat("{\"model\":\"chat\",\"messages\":" + USER_HI + "}");
        assertEquals(200, response.statusCode(), response::body);
        assertEquals(FakeOpenAi.DEFAULT_TEXT, RawClient.json(response).at("/choices/0/message/content").asText());
        upstream.reset();
    }

    private static JsonNode assertParam(HttpResponse<String> response, String param) {
        JsonNode error = assertError(response, 400, "invalid_request");
        assertEquals(param, error.get("param").asText(), response::body);
        return error;
    }

    /** The status and an OpenAI-style error body with all four fields; returns the error object. */
    private static JsonNode assertError(HttpResponse<String> response, int status, String code) {
        assertEquals(status, response.statusCode(), response::body);
        assertEquals("application/json", response.headers().firstValue("Content-Type").orElse(""));
        JsonNode body = RawClient.json(response);
        JsonNode error = body.get("error");
        assertTrue(error != null && error.isObject(), response::body);
        assertEquals(List.of("message", "type", "param", "code"), List.copyOf(iterable(error.fieldNames())),
                     response::body);
        assertTrue(error.get("message").isTextual() && !error.get("message").asText().isBlank(), response::body);
        assertEquals("invalid_request_error", error.get("type").asText(), response::body);
        assertTrue(error.get("param").isNull() || error.get("param").isTextual(), response::body);
        if (code != null) {
            assertEquals(code, error.get("code").asText(), response::body);
        }
        return error;
    }

    private static <T> List<T> iterable(java.util.Iterator<T> it) {
        List<T> list = new java.util.ArrayList<>();
        it.forEachRemaining(list::add);
        return list;
    }
}
