package io.hedgerow.exec;

import com.fasterxml.jackson.databind.JsonNode;
import io.hedgerow.HedgerowServer;
import io.hedgerow.config.BudgetSettings;
import io.hedgerow.config.CandidateRef;
import io.hedgerow.config.DemotionSettings;
import io.hedgerow.config.HedgeSettings;
import io.hedgerow.config.HedgingSettings;
import io.hedgerow.config.RouteConfig;
import io.hedgerow.fakes.FakeAnthropic;
import io.hedgerow.fakes.FakeOllama;
import io.hedgerow.fakes.FakeOpenAi;
import io.hedgerow.fakes.FakeOpenAi.Reply;
import io.hedgerow.fakes.FakeVectors;
import io.hedgerow.testing.RawClient;
import io.hedgerow.testing.TestConfig;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Hedging and failover for the APIs beside Chat Completions: a Responses request (JSON and streamed) whose first
 * candidate, an OpenAI-compatible provider, is held back gets Claude beside it after the hedge delay, and the held one
 * is hung up on; a candidate that fails before answering passes the request on; an embeddings request whose first
 * candidate is held back is hedged onto the same model on Ollama (one embedding space), and the vectors that come back
 * are that model's. The slow candidates wait on a latch, not a clock: the hedge delay is the only time that passes.
 */
class ResponsesAndEmbeddingsHedgingEndToEndTest {
    private static final Duration DELAY = Duration.ofMillis(150);
    private static final String NOMIC = "nomic-embed-text";
    private static final String SPACE = "nomic-embed-text-v1.5";

    private static FakeOpenAi slow;
    private static FakeAnthropic claude;
    private static FakeOllama ollama;
    private static HedgerowServer router;
    private static RawClient raw;
    private CountDownLatch release;

    @BeforeAll
    static void start() {
        slow = FakeOpenAi.start();
        claude = FakeAnthropic.start();
        ollama = FakeOllama.start();
        HedgeSettings hedge = new HedgeSettings(true, new HedgeSettings.Delay.Fixed(DELAY), Duration.ofMillis(10),
                                                Duration.ofSeconds(5), Optional.empty(), 2, false);
        // A budget that never runs dry here, and no demotion: each test's hedge must fire, whatever came before.
        router = HedgerowServer.start(TestConfig.builder()
                .hedging(new HedgingSettings(new BudgetSettings(1.0, 100, Duration.ofSeconds(10)),
                                             HedgingSettings.DEFAULTS.baseline(), new DemotionSettings(3, 0.25, 1.5, 0),
                                             HedgeSettings.OFF))
                .openAi("compat", slow.baseUrl(), p -> p.embeddingSpace(NOMIC, SPACE))
                .openAi("failing", slow.baseUrl())
                .openAi("keyed", slow.baseUrl(), p -> p.key("k1", "sk-test-embed-k1-000000000000")
                        .key("k2", "sk-test-embed-k2-000000000000"))
                .anthropic("claude", claude.baseUrl().toString())
                .ollama("local", ollama.baseUrl().toString(), p -> p.embeddingSpace(NOMIC, SPACE))
                .route(route("hedged", hedge, "compat/m", "claude/claude-x"))
                .route(route("embed", hedge, "compat/" + NOMIC, "local/" + NOMIC))
                .route("failover", "failing/m", "claude/claude-x")
                .route("embed-keys", "keyed/" + NOMIC)
                .build());
        raw = new RawClient(router.port());
    }

    @AfterAll
    static void stop() {
        raw.close();
        router.close();
        slow.close();
        claude.close();
        ollama.close();
    }

    @BeforeEach
    void reset() {
        release = new CountDownLatch(1);
        slow.reset();
        slow.otherwise(Reply.text("from ", "slow").firstTokenAfter(release));
        ollama.answerNext();
    }

    @AfterEach
    void letGo() {
        release.countDown();
    }

    @Test
    void aHeldBackResponsesRequestIsHedgedAndTheLoserHungUpOn() throws Exception {
        claude.enqueue(FakeAnthropic.Answer.text("from claude"));

        HttpResponse<String> response = raw.post("/v1/responses", "{\"model\":\"hedged\",\"input\":\"Hi\"}", Map.of());

        assertEquals(200, response.statusCode(), response.body());
        JsonNode answer = RawClient.json(response);
        assertEquals("from claude", answer.at("/output/0/content/0/text").asText(), answer.toString());
        assertEquals(Optional.of("true"), response.headers().firstValue("x-hedgerow-hedged"));
        assertEquals(Optional.of("claude"), response.headers().firstValue("x-hedgerow-provider"));
        assertEquals(Optional.of("compat/m#main:cancelled, claude/claude-x#main:ok (hedge)"),
                     response.headers().firstValue("x-hedgerow-attempts"));
        assertTrue(slow.exchanges().getFirst().awaitDisconnect(Duration.ofSeconds(5)),
                   "the held-back upstream saw the router hang up");
    }

    @Test
    void aHeldBackResponsesStreamIsHedgedAndOnlyTheWinnerIsSeen() throws Exception {
        claude.enqueue(FakeAnthropic.Answer.text("streamed from claude"));

        HttpResponse<String> response = raw.post("/v1/responses",
                                                 "{\"model\":\"hedged\",\"input\":\"Hi\",\"stream\":true}", Map.of());

        assertEquals(200, response.statusCode(), response.body());
        List<JsonNode> events = RawClient.SseStream.parse(response.body()).stream().map(RawClient::json).toList();
        JsonNode completed = events.getLast();
        assertEquals("response.completed", completed.path("type").asText(), response.body());
        assertEquals("streamed from claude", completed.at("/response/output/0/content/0/text").asText());
        assertFalse(response.body().contains("slow"), response.body());
        assertEquals(Optional.of("2 hedge"), response.headers().firstValue("x-hedgerow-winner"));
        assertTrue(slow.exchanges().getFirst().awaitDisconnect(Duration.ofSeconds(5)));
    }

    @Test
    void aResponsesRequestFailsOverWhenTheFirstCandidateFails() {
        slow.enqueue(Reply.status(503));
        claude.enqueue(FakeAnthropic.Answer.text("the second candidate"));

        HttpResponse<String> response = raw.post("/v1/responses",
                                                 "{\"model\":\"failover\",\"input\":\"Hi\",\"stream\":true}", Map.of());

        assertEquals(200, response.statusCode(), response.body());
        assertTrue(response.body().contains("the second candidate"), response.body());
        assertEquals(Optional.of("claude"), response.headers().firstValue("x-hedgerow-provider"));
        assertTrue(response.headers().firstValue("x-hedgerow-attempts").orElseThrow().startsWith("failing/m#main:"),
                   response.headers().map().toString());
    }

    @Test
    void aHeldBackEmbeddingsRequestIsHedgedWithinItsSpace() throws Exception {
        HttpResponse<String> response = raw.post("/v1/embeddings",
                                                 "{\"model\":\"embed\",\"input\":[\"first\",\"second\"]}", Map.of());

        assertEquals(200, response.statusCode(), response.body());
        assertEquals(Optional.of("true"), response.headers().firstValue("x-hedgerow-hedged"));
        assertEquals(Optional.of("local"), response.headers().firstValue("x-hedgerow-provider"));
        JsonNode data = RawClient.json(response).get("data");
        assertEquals(2, data.size());
        for (int i = 0; i < 2; i++) {
            float[] expected = FakeVectors.of(NOMIC, List.of("first", "second").get(i), FakeVectors.DIMENSIONS);
            assertEquals(i, data.get(i).path("index").asInt());
            assertEquals(expected.length, data.get(i).get("embedding").size());
            assertEquals(expected[0], data.get(i).get("embedding").get(0).floatValue());
        }
        assertTrue(slow.exchanges().getFirst().awaitDisconnect(Duration.ofSeconds(5)));
        assertEquals(1, ollama.received().size());
    }

    @Test
    void anEmbeddingsCallRateLimitedOnOneKeyGoesOnWithTheNext() {
        slow.enqueue(Reply.status(429), Reply.text("vectors"));

        HttpResponse<String> response = raw.post("/v1/embeddings", "{\"model\":\"embed-keys\",\"input\":\"x\"}",
                                                 Map.of());

        assertEquals(200, response.statusCode(), response.body());
        assertEquals(2, slow.exchanges().size());
        String first = slow.exchanges().get(0).header("authorization").orElseThrow();
        String second = slow.exchanges().get(1).header("authorization").orElseThrow();
        assertTrue(!first.equals(second) && (first + second).contains("k1") && (first + second).contains("k2"),
                   first + " / " + second);
        assertEquals(1, RawClient.json(response).get("data").size());
    }

    private static RouteConfig route(String alias, HedgeSettings hedge, String... chain) {
        return new RouteConfig(alias, List.of(chain).stream().map(c -> {
            String[] parts = c.split("/", 2);
            return new CandidateRef(parts[0], parts[1]);
        }).toList(), Optional.empty(), Optional.of(hedge), false, Optional.empty());
    }
}
