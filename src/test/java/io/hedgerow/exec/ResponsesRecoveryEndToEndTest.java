package io.hedgerow.exec;

import com.fasterxml.jackson.databind.JsonNode;
import io.hedgerow.HedgerowServer;
import io.hedgerow.fakes.FakeAnthropic;
import io.hedgerow.fakes.FakeOpenAi;
import io.hedgerow.fakes.FakeOpenAi.Reply;
import io.hedgerow.testing.RawClient;
import io.hedgerow.testing.TestConfig;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Mid-stream recovery for the Responses API: a streamed answer that breaks after its first tokens is finished by
 * another candidate, and the client sees one response: its typed events numbered without a gap, the text whole in
 * {@code response.completed}, a comment marking where it resumed. Once for a translated stream (regenerated on
 * another OpenAI-compatible provider and spliced), once for a stream relayed from a Responses upstream and finished
 * by Claude in the same output item.
 */
class ResponsesRecoveryEndToEndTest {
    private static final String ANSWER = "The quick brown fox jumps over the lazy dog, twice, and then rests.";

    private static FakeOpenAi first;
    private static FakeOpenAi second;
    private static FakeOpenAi native_;
    private static FakeAnthropic claude;
    private static HedgerowServer router;
    private static RawClient raw;

    @BeforeAll
    static void start() {
        first = FakeOpenAi.start();
        second = FakeOpenAi.start();
        native_ = FakeOpenAi.start();
        claude = FakeAnthropic.start();
        router = HedgerowServer.start(TestConfig.builder()
                .openAi("p1", first.baseUrl())
                .openAi("p2", second.baseUrl())
                .openAi("openai", native_.baseUrl(), p -> p.responses())
                .anthropic("claude", claude.baseUrl().toString())
                .route("splice", "p1/m1", "p2/m2")
                .route("native-then-claude", "openai/gpt-r", "claude/claude-x")
                .build());
        raw = new RawClient(router.port());
    }

    @AfterAll
    static void stop() {
        raw.close();
        router.close();
        first.close();
        second.close();
        native_.close();
        claude.close();
    }

    @BeforeEach
    void reset() {
        first.reset();
        second.reset();
        native_.reset();
    }

    @Test
    void aTranslatedStreamCutMidwayIsFinishedElsewhere() {
        first.enqueue(Reply.text(RecoveryEndToEndTest.pieces(ANSWER)).cutAfter(6));
        second.enqueue(Reply.text(RecoveryEndToEndTest.pieces(ANSWER)));

        List<JsonNode> events = stream("splice");

        assertWhole(events);
        assertEquals(1, second.requestCount());
    }

    @Test
    void aRelayedResponsesStreamCutMidwayIsFinishedByClaudeInTheSameItem() {
        native_.enqueue(Reply.text(RecoveryEndToEndTest.pieces(ANSWER)).cutAfter(6));
        claude.enqueue(FakeAnthropic.Answer.text(ANSWER.substring(30)));

        List<JsonNode> events = stream("native-then-claude");

        assertWhole(events);
        JsonNode completed = events.getLast();
        assertEquals("resp_fake0", completed.at("/response/id").asText(), "the id the client saw first");
        long items = events.stream().filter(e -> e.path("type").asText().equals("response.output_item.added")).count();
        assertEquals(1, items, "the text goes on in the item that was open");
    }

    private List<JsonNode> stream(String route) {
        HttpResponse<String> response = raw.post("/v1/responses", "{\"model\":\"" + route
                + "\",\"input\":\"Tell me about the fox.\",\"stream\":true}", Map.of());
        assertEquals(200, response.statusCode(), response.body());
        assertTrue(response.body().contains(": hedgerow resumed on "), response.body());
        return RawClient.SseStream.parse(response.body()).stream().map(RawClient::json).toList();
    }

    private static void assertWhole(List<JsonNode> events) {
        for (int i = 0; i < events.size(); i++) {
            assertEquals(i, events.get(i).path("sequence_number").asInt(), events.get(i).toString());
        }
        JsonNode completed = events.getLast();
        assertEquals("response.completed", completed.path("type").asText(), events.toString());
        assertEquals(ANSWER, completed.at("/response/output/0/content/0/text").asText(), completed.toString());
        StringBuilder deltas = new StringBuilder();
        events.stream().filter(e -> e.path("type").asText().equals("response.output_text.delta"))
                .forEach(e -> deltas.append(e.path("delta").asText()));
        assertEquals(ANSWER, deltas.toString(), "every character once, in order");
    }
}
