package io.hedgerow.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.openai.client.OpenAIClient;
import com.openai.core.http.HttpResponseFor;
import com.openai.errors.BadRequestException;
import com.openai.models.embeddings.CreateEmbeddingResponse;
import com.openai.models.embeddings.EmbeddingCreateParams;
import io.hedgerow.HedgerowServer;
import io.hedgerow.fakes.FakeOllama;
import io.hedgerow.fakes.FakeOpenAi;
import io.hedgerow.fakes.FakeOpenAi.Reply;
import io.hedgerow.fakes.FakeVectors;
import io.hedgerow.testing.RawClient;
import io.hedgerow.testing.Scrape;
import io.hedgerow.testing.SdkClients;
import io.hedgerow.testing.TestConfig;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code /v1/embeddings} with the official OpenAI Java SDK as the client, over a fake Ollama ({@code /api/embed}) and a
 * fake OpenAI-compatible aggregator serving the same model: vectors in the inputs' order, float and base64,
 * {@code dimensions}, failover and splitting within one embedding space, token arrays passed over where they cannot
 * go, and the routes that must not serve embeddings at all.
 */
class EmbeddingsEndToEndTest {
    private static final String NOMIC = "nomic-embed-text";
    private static final String SPACE = "nomic-embed-text-v1.5";

    private static FakeOllama ollama;
    private static FakeOpenAi aggregator;
    private static HedgerowServer router;
    private static OpenAIClient client;

    @BeforeAll
    static void start() {
        ollama = FakeOllama.start();
        aggregator = FakeOpenAi.start();
        router = HedgerowServer.start(TestConfig.builder()
                .ollama("local", ollama.baseUrl().toString(), p -> p.embeddingSpace(NOMIC, SPACE))
                .openAi("agg", aggregator.baseUrl(), p -> p.embeddingSpace(NOMIC, SPACE).embeddingBatch(3, 1_000))
                .sim("sim")
                .route("embed", "local/" + NOMIC, "agg/" + NOMIC)
                .route("embed-agg", "agg/" + NOMIC)
                .route("embed-local", "local/" + NOMIC)
                .route("undeclared", "sim/a", "sim/b")
                .build());
        client = SdkClients.openAi(router.port());
    }

    @AfterAll
    static void stop() {
        client.close();
        router.close();
        aggregator.close();
        ollama.close();
    }

    @BeforeEach
    void reset() {
        aggregator.reset();
        ollama.answerNext();
    }

    @Test
    void vectorsComeBackInTheInputsOrderWithUsage() throws Exception {
        List<String> inputs = List.of("alpha", "beta", "gamma");
        CreateEmbeddingResponse response;
        Map<String, List<String>> headers;
        try (HttpResponseFor<CreateEmbeddingResponse> raw = client.embeddings().withRawResponse().create(
                EmbeddingCreateParams.builder().model("embed").inputOfArrayOfStrings(inputs).build())) {
            response = raw.parse();
            headers = raw.headers().asMap();
        }

        assertEquals(3, response.data().size());
        for (int i = 0; i < inputs.size(); i++) {
            assertEquals(i, response.data().get(i).index());
            assertVector(FakeVectors.of(NOMIC, inputs.get(i), FakeVectors.DIMENSIONS), response.data().get(i).embedding());
        }
        assertEquals(3, response.usage().promptTokens());
        assertEquals(List.of("local"), headers.get("x-hedgerow-provider"));
        JsonNode sent = ollama.lastReceived().body();
        assertEquals(NOMIC, sent.path("model").asText());
        assertEquals(false, sent.path("truncate").asBoolean(true), "inputs too long fail instead of being cut");
    }

    @Test
    void aSingleStringWithDimensionsAndBase64() {
        try (RawClient raw = new RawClient(router.port())) {
            HttpResponse<String> response = raw.post("/v1/embeddings", """
                    {"model":"embed-agg","input":"hello","dimensions":4,"encoding_format":"base64","user":"u-1"}""",
                                                     Map.of());
            assertEquals(200, response.statusCode(), response.body());
            JsonNode body = RawClient.json(response);
            assertEquals("list", body.path("object").asText());
            String encoded = body.at("/data/0/embedding").asText();
            float[] decoded = new float[4];
            ByteBuffer.wrap(Base64.getDecoder().decode(encoded)).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer()
                    .get(decoded);
            assertArrayEquals(FakeVectors.of(NOMIC, "hello", 4), decoded);
            JsonNode sent = aggregator.onlyExchange().body();
            assertEquals(4, sent.path("dimensions").asInt());
            assertEquals("u-1", sent.path("user").asText());
            assertEquals("hello", sent.at("/input/0").asText());
        }
    }

    @Test
    void failsOverWithinTheSpace() {
        ollama.answerNext(FakeOllama.Answer.status(503, "{\"error\":\"server busy\"}"));
        try (RawClient raw = new RawClient(router.port())) {
            HttpResponse<String> response = raw.post("/v1/embeddings", """
                    {"model":"embed","input":["one","two"]}""", Map.of());
            assertEquals(200, response.statusCode(), response.body());
            assertEquals(Optional.of("agg"), response.headers().firstValue("x-hedgerow-provider"));
            assertEquals(Optional.of("local/nomic-embed-text: 503 server error"),
                         response.headers().firstValue("x-hedgerow-fallback-reason"));
            JsonNode body = RawClient.json(response);
            assertVector(FakeVectors.of(NOMIC, "two", 8), floats(body.at("/data/1/embedding")));
        }
    }

    @Test
    void aLargeRequestIsSplitToTheTightestLimitsAndReassembledInOrder() {
        // The aggregator takes 3 inputs a call: 10 inputs go up in 4 calls (at most 4 at once), back in order.
        List<String> inputs = IntStream.range(0, 10).mapToObj(i -> "text number " + i).toList();
        CreateEmbeddingResponse response = client.embeddings().create(
                EmbeddingCreateParams.builder().model("embed-agg").inputOfArrayOfStrings(inputs).build());

        assertEquals(10, response.data().size());
        for (int i = 0; i < inputs.size(); i++) {
            assertEquals(i, response.data().get(i).index());
            assertVector(FakeVectors.of(NOMIC, inputs.get(i), 8), response.data().get(i).embedding());
        }
        assertEquals(4, aggregator.requestCount());
        List<Integer> sizes = new ArrayList<>();
        aggregator.exchanges().forEach(e -> sizes.add(e.body().path("input").size()));
        sizes.sort(null);
        assertEquals(List.of(1, 3, 3, 3), sizes);
        assertEquals(10 * 3, response.usage().promptTokens(), "usage summed over the calls");
    }

    @Test
    void tokenArraysPassOverOllamaAndAreRefusedWhereNoCandidateTakesThem() {
        try (RawClient raw = new RawClient(router.port())) {
            HttpResponse<String> served = raw.post("/v1/embeddings", """
                    {"model":"embed","input":[[1,2,3],[4,5]]}""", Map.of());
            assertEquals(200, served.statusCode(), served.body());
            assertEquals(Optional.of("agg"), served.headers().firstValue("x-hedgerow-provider"));
            assertTrue(served.headers().firstValue("x-hedgerow-attempts").orElseThrow()
                               .startsWith("local/nomic-embed-text:skipped (local: Ollama's /api/embed takes texts"));
            assertVector(FakeVectors.of(NOMIC, "tokens:4,5", 8), floats(RawClient.json(served).at("/data/1/embedding")));

            HttpResponse<String> refused = raw.post("/v1/embeddings", """
                    {"model":"embed-local","input":[1,2,3]}""", Map.of());
            assertEquals(400, refused.statusCode());
            assertEquals("unsupported_by_route", RawClient.json(refused).at("/error/code").asText());
            assertTrue(RawClient.json(refused).at("/error/message").asText().contains("local/nomic-embed-text"));
        }
    }

    @Test
    void aRouteWhoseCandidatesDeclareNoSpaceDoesNotFailOverBetweenThem() {
        BadRequestException e = assertThrows(BadRequestException.class, () -> client.embeddings().create(
                EmbeddingCreateParams.builder().model("undeclared").input("hi").build()));
        assertTrue(e.getMessage().contains("declare no embedding space"), e.getMessage());
        // One model addressed directly has nothing to fail over to: served.
        assertEquals(32, client.embeddings().create(EmbeddingCreateParams.builder().model("sim/a").input("hi")
                                                            .build()).data().getFirst().embedding().size());
    }

    @Test
    void badRequestsAreRefusedBeforeAnyUpstreamAndCounted() {
        try (RawClient raw = new RawClient(router.port())) {
            for (String body : List.of("{\"model\":\"embed\"}", "{\"model\":\"embed\",\"input\":\"\"}",
                                       "{\"model\":\"embed\",\"input\":[]}",
                                       "{\"model\":\"embed\",\"input\":[\"a\",[1]]}",
                                       "{\"model\":\"embed\",\"input\":\"a\",\"encoding_format\":\"int8\"}",
                                       "{\"model\":\"embed\",\"input\":\"a\",\"dimensions\":0}",
                                       "{\"model\":\"embed\",\"input\":\"a\",\"truncate\":true}")) {
                HttpResponse<String> response = raw.post("/v1/embeddings", body, Map.of());
                assertEquals(400, response.statusCode(), body);
                assertEquals("invalid_request_error", RawClient.json(response).at("/error/type").asText());
            }
            assertEquals(0, aggregator.requestCount());
            Scrape metrics = new Scrape(raw.get("/observe/metrics").body());
            assertTrue(metrics.sum("hedgerow_route_requests_total", "api", "embeddings") >= 7);
        }
    }

    private static float[] floats(JsonNode array) {
        float[] values = new float[array.size()];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) array.get(i).asDouble();
        }
        return values;
    }

    private static void assertVector(float[] expected, List<Float> actual) {
        float[] got = new float[actual.size()];
        for (int i = 0; i < got.length; i++) {
            got[i] = actual.get(i);
        }
        assertArrayEquals(expected, got);
    }

    private static void assertVector(float[] expected, float[] actual) {
        assertArrayEquals(expected, actual);
    }
}
