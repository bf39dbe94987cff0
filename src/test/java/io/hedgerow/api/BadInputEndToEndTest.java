package io.hedgerow.api;

import com.fasterxml.jackson.databind.JsonNode;
import io.hedgerow.HedgerowServer;
import io.hedgerow.fakes.FakeOpenAi;
import io.hedgerow.testing.RawClient;
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
 * ({@code {"error": {"message", "type", "param", "code"}}}) — and the upstream never hears of them.
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
    void emptyBody() {
        assertError(raw.chat(""), 400, null);
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
        assertError(raw.post("/v1/embeddings", "application/json",
                             HttpRequest.BodyPublishers.ofString("{\"model\":\"chat\",\"input\":\"x\"}")),
                    404, "unknown_url");
        assertError(raw.get("/v1/models/gpt-9"), 404, "model_not_found");
        JsonNode error = assertError(raw.get("/v1/assistants"), 404, "unknown_url");
        assertThat(error.get("message").asText(), containsString("/v1/assistants"));
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
