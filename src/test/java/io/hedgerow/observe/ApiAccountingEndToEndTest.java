package io.hedgerow.observe;

import com.fasterxml.jackson.databind.JsonNode;
import io.hedgerow.HedgerowServer;
import io.hedgerow.fakes.FakeAnthropic;
import io.hedgerow.fakes.FakeOpenAi;
import io.hedgerow.testing.RawClient;
import io.hedgerow.testing.Scrape;
import io.hedgerow.testing.TestConfig;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Usage and cost of the APIs beside Chat Completions, counted per route, candidate and client tag like chat's: an
 * embeddings request's prompt tokens (priced at the model's input price) and a translated Responses request's input
 * and output tokens, each under the request's {@code x-hedgerow-tag} and its {@code api}.
 */
class ApiAccountingEndToEndTest {
    private static FakeOpenAi aggregator;
    private static FakeAnthropic claude;
    private static HedgerowServer router;
    private static RawClient raw;

    @BeforeAll
    static void start() {
        aggregator = FakeOpenAi.start();
        claude = FakeAnthropic.start();
        router = HedgerowServer.start(TestConfig.builder()
                .openAi("agg", aggregator.baseUrl(), p -> p.embeddingSpace("nomic", "nomic-v1.5").price("nomic", 0.5, 0))
                .anthropic("claude", claude.baseUrl().toString(), p -> p.price("claude-x", 3, 15))
                .route("embed", "agg/nomic")
                .route("resp", "claude/claude-x")
                .build());
        raw = new RawClient(router.port());
    }

    @AfterAll
    static void stop() {
        raw.close();
        router.close();
        aggregator.close();
        claude.close();
    }

    @Test
    void embeddingsTokensAndCostAreCountedByRouteAndTag() {
        HttpResponse<String> response = raw.post("/v1/embeddings", """
                {"model":"embed","input":["the first text to embed","and a second, longer text to embed"]}""",
                                                 Map.of("x-hedgerow-tag", "rag-nightly"));
        assertEquals(200, response.statusCode(), response.body());
        int tokens = RawClient.json(response).at("/usage/prompt_tokens").asInt();
        assertTrue(tokens > 0, response.body());

        Scrape m = new Scrape(raw.get("/observe/metrics").body());
        String[] winner = {"route", "embed", "provider", "agg", "model", "nomic", "tag", "rag-nightly",
                           "attempt", "winner"};
        assertEquals(tokens, m.sum("hedgerow_tokens_total", MetricsEndToEndTest.with(winner, "direction", "input")));
        assertEquals(0.0, m.sum("hedgerow_tokens_total", MetricsEndToEndTest.with(winner, "direction", "output")));
        assertEquals(tokens * 0.5 / 1e6, m.sum("hedgerow_cost_usd_sum", winner), 1e-12);
        assertEquals(1.0, m.sum("hedgerow_route_requests_total", "route", "embed", "api", "embeddings",
                                "outcome", "ok"));
    }

    @Test
    void translatedResponsesTokensAndCostAreCountedByRouteAndTag() {
        claude.enqueue(FakeAnthropic.Answer.text("Counted.").usage(120, 30));
        HttpResponse<String> response = raw.post("/v1/responses", "{\"model\":\"resp\",\"input\":\"Hi\"}",
                                                 Map.of("x-hedgerow-tag", "agents"));
        assertEquals(200, response.statusCode(), response.body());
        JsonNode usage = RawClient.json(response).get("usage");
        assertEquals(120, usage.path("input_tokens").asInt(), usage.toString());
        assertEquals(30, usage.path("output_tokens").asInt(), usage.toString());

        Scrape m = new Scrape(raw.get("/observe/metrics").body());
        String[] winner = {"route", "resp", "provider", "claude", "model", "claude-x", "tag", "agents",
                           "attempt", "winner"};
        assertEquals(120.0, m.sum("hedgerow_tokens_total", MetricsEndToEndTest.with(winner, "direction", "input")));
        assertEquals(30.0, m.sum("hedgerow_tokens_total", MetricsEndToEndTest.with(winner, "direction", "output")));
        assertEquals((120 * 3 + 30 * 15) / 1e6, m.sum("hedgerow_cost_usd_sum", winner), 1e-12);
        assertEquals(1.0, m.sum("hedgerow_route_requests_total", "route", "resp", "api", "responses",
                                "outcome", "ok"));
    }
}
