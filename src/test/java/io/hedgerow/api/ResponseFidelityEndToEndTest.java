package io.hedgerow.api;

import io.hedgerow.HedgerowServer;
import io.hedgerow.fakes.FakeAnthropic;
import io.hedgerow.fakes.FakeOllama;
import io.hedgerow.testing.RawClient;
import io.hedgerow.testing.TestConfig;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.is;

/**
 * What Anthropic and Ollama answers carry beside the message, as OpenAI clients receive it through the router:
 * reasoning ({@code thinking}) as {@code reasoning_content}, Anthropic's cache reads as
 * {@code prompt_tokens_details.cached_tokens} (within prompt tokens counted as OpenAI counts them), and the model the
 * upstream named on every chunk. (OpenAI-style upstreams: {@code OpenAiSdkEndToEndTest}.)
 */
class ResponseFidelityEndToEndTest {
    private static final String JSON = "{\"model\":\"%s\",\"messages\":[{\"role\":\"user\",\"content\":\"2 + 2?\"}]}";
    private static final String STREAM = "{\"model\":\"%s\",\"stream\":true,"
            + "\"stream_options\":{\"include_usage\":true},"
            + "\"messages\":[{\"role\":\"user\",\"content\":\"2 + 2?\"}]}";

    private static FakeAnthropic claude;
    private static FakeOllama ollama;
    private static HedgerowServer router;
    private static RawClient raw;

    @BeforeAll
    static void start() {
        claude = FakeAnthropic.start();
        ollama = FakeOllama.start();
        router = HedgerowServer.start(TestConfig.builder()
                                              .anthropic("claude", claude.baseUrl().toString())
                                              .ollama("local", ollama.baseUrl().toString())
                                              .route("claude", "claude/claude-sonnet-4-5")
                                              .route("local", "local/qwen3")
                                              .build());
        raw = new RawClient(router.port());
    }

    @AfterAll
    static void stop() {
        raw.close();
        router.close();
        claude.close();
        ollama.close();
    }

    private static FakeAnthropic.Answer thinkingAnswer() {
        return FakeAnthropic.answer().thenThinking("Two and two make four.").thenText("4.")
                .model("claude-sonnet-4-5-20250929").usage(25, 7).cache(3, 100).pieceSize(8);
    }

    @Test
    void anthropicThinkingCacheReadsAndModelReachTheClient() {
        claude.enqueue(thinkingAnswer());

        JsonNode answer = RawClient.json(raw.chat(JSON.formatted("claude")));

        assertThat(answer.toString(), answer.get("model").asText(), is("claude-sonnet-4-5-20250929"));
        assertThat(answer.at("/choices/0/message/content").asText(), is("4."));
        assertThat(answer.at("/choices/0/message/reasoning_content").asText(), is("Two and two make four."));
        // Anthropic's input_tokens (25) leaves out the cache; OpenAI's prompt_tokens counts all 128, 100 of them
        // read from the cache. Anthropic does not count reasoning tokens apart, so no detail is made up for them.
        assertThat(answer.get("usage"), is(RawClient.json("""
                {"prompt_tokens":128,"completion_tokens":7,"total_tokens":135,
                 "prompt_tokens_details":{"cached_tokens":100}}""")));
    }

    @Test
    void anthropicStreamsItsThinkingFirstAndItsModelOnEveryChunk() {
        claude.enqueue(thinkingAnswer());

        RawClient.SseStream stream = raw.chatStream(STREAM.formatted("claude"));

        assertThat(stream.raw(), stream.done(), is(true));
        assertThat(stream.reasoning(), is("Two and two make four."));
        assertThat(stream.text(), is("4."));
        assertThat(stream.raw(), stream.chunks().stream()
                .allMatch(c -> c.get("model").asText().equals("claude-sonnet-4-5-20250929")), is(true));
        int lastReasoning = -1;
        int firstText = -1;
        List<JsonNode> chunks = stream.chunks();
        for (int i = 0; i < chunks.size(); i++) {
            JsonNode delta = chunks.get(i).at("/choices/0/delta");
            if (delta.has("reasoning_content")) {
                lastReasoning = i;
            }
            if (firstText < 0 && !delta.path("content").asText("").isEmpty()) {
                firstText = i;
            }
        }
        assertThat(stream.raw(), lastReasoning >= 0 && lastReasoning < firstText, is(true));
        JsonNode usage = chunks.getLast().get("usage");
        assertThat(usage.get("prompt_tokens").asInt(), is(128));
        assertThat(usage.at("/prompt_tokens_details/cached_tokens").asInt(), is(100));
    }

    @Test
    void ollamaThinkingIsReasoningContentWholeAndStreamed() {
        ollama.answerNext(FakeOllama.Answer.text("It is ", "4.").withThinking("Two and two", " make four.")
                                  .withUsage(12, 9),
                          FakeOllama.Answer.text("It is ", "4.").withThinking("Two and two", " make four.")
                                  .withUsage(12, 9));

        JsonNode answer = RawClient.json(raw.chat(JSON.formatted("local")));
        assertThat(answer.toString(), answer.at("/choices/0/message/reasoning_content").asText(),
                   is("Two and two make four."));
        assertThat(answer.at("/choices/0/message/content").asText(), is("It is 4."));
        assertThat(answer.get("usage"), is(RawClient.json("""
                {"prompt_tokens":12,"completion_tokens":9,"total_tokens":21}""")));

        RawClient.SseStream stream = raw.chatStream(STREAM.formatted("local"));
        assertThat(stream.raw(), stream.done(), is(true));
        assertThat(stream.reasoning(), is("Two and two make four."));
        assertThat(stream.text(), is("It is 4."));
    }
}
