package io.hedgerow.exec;

import io.hedgerow.HedgerowServer;
import io.hedgerow.config.CandidateRef;
import io.hedgerow.config.RecoverySettings;
import io.hedgerow.config.RouteConfig;
import io.hedgerow.fakes.FakeAnthropic;
import io.hedgerow.fakes.FakeOpenAi;
import io.hedgerow.fakes.FakeOpenAi.Reply;
import io.hedgerow.testing.RawClient;
import io.hedgerow.testing.TestConfig;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.not;

/**
 * Mid-stream recovery end to end: a stream that breaks after its first tokens is finished on another candidate
 * by prefill (Anthropic) or by regenerating and splicing (OpenAI-style), checked byte for byte; a regeneration
 * that diverges is never stitched; a refused prefill is never what the client is told.
 */
class RecoveryEndToEndTest {
    private static final String ANSWER = "The quick brown fox jumps over the lazy dog, twice, and then rests.";
    private static final String STREAM = "{\"model\":\"%s\",\"stream\":true,\"stream_options\":{\"include_usage\":true},"
            + "\"messages\":[{\"role\":\"user\",\"content\":\"Tell me about the fox.\"}]}";

    private static FakeOpenAi first;
    private static FakeOpenAi second;
    private static FakeAnthropic claude;
    private HedgerowServer router;
    private RawClient raw;

    @BeforeAll
    static void startUpstreams() {
        first = FakeOpenAi.start();
        second = FakeOpenAi.start();
        claude = FakeAnthropic.start();
    }

    @AfterAll
    static void stopUpstreams() {
        first.close();
        second.close();
        claude.close();
    }

    @BeforeEach
    void start() {
        first.reset();
        second.reset();
        router = HedgerowServer.start(TestConfig.builder()
                                              .openAi("p1", first.baseUrl(), p -> p.idle(Duration.ofMillis(300)))
                                              .openAi("p2", second.baseUrl())
                                              .anthropic("claude", claude.baseUrl().toString())
                                              .route("splice", "p1/m1", "p2/m2")
                                              .route("prefill", "p1/m1", "claude/claude-x", "p2/m2")
                                              .route("claude-first", "claude/claude-x", "p2/m2")
                                              .route(new RouteConfig("off", List.of(new CandidateRef("p1", "m1"),
                                                                                    new CandidateRef("p2", "m2")),
                                                                     Optional.empty(), Optional.empty(), false,
                                                                     Optional.empty(),
                                                                     Optional.of(RecoverySettings.OFF)))
                                              .build());
        raw = new RawClient(router.port());
    }

    @AfterEach
    void stop() {
        raw.close();
        router.close();
    }

    /** The answer in pieces of 5 characters: 14 content chunks. */
    private static String[] pieces(String text) {
        String[] out = new String[(text.length() + 4) / 5];
        for (int i = 0; i < out.length; i++) {
            out[i] = text.substring(i * 5, Math.min(text.length(), i * 5 + 5));
        }
        return out;
    }

    private static void assertComplete(RawClient.SseStream stream, String text) {
        assertThat(stream.raw(), stream.status(), is(200));
        assertThat(stream.raw(), stream.error().isPresent(), is(false));
        assertThat(stream.text(), is(text));
        assertThat(stream.done(), is(true));
        assertThat(stream.chunks().stream().filter(c -> c.has("model")).allMatch(c -> c.get("model").asText()
                .equals("m1")), is(true));
    }

    @Test
    void aCutStreamIsRegeneratedElsewhereAndSplicedAfterWhatWasDelivered() {
        first.enqueue(Reply.text(pieces(ANSWER)).cutAfter(6));
        second.enqueue(Reply.text(pieces(ANSWER)).usage(20, 14));

        RawClient.SseStream stream = raw.chatStream(STREAM.formatted("splice"));

        assertComplete(stream, ANSWER);
        assertThat(stream.raw(), containsString(": hedgerow resumed on p2/m2 after 6 tokens (splice)"));
        JsonNode usage = stream.chunks().getLast().get("usage");
        // The regeneration's 20 + 14 tokens, plus the broken attempt's estimated prompt and its 6 delivered tokens.
        assertThat(usage.get("completion_tokens").asInt(), is(20));
        assertThat(usage.get("prompt_tokens").asInt() > 20, is(true));
        assertThat(second.requestCount(), is(1));
    }

    @Test
    void aStallAfterTheFirstTokensIsResumedToo() {
        CountDownLatch never = new CountDownLatch(1);
        first.enqueue(Reply.text(pieces(ANSWER)).stallAfter(4, never));
        second.enqueue(Reply.text(pieces(ANSWER)));

        RawClient.SseStream stream = raw.chatStream(STREAM.formatted("splice"));

        assertComplete(stream, ANSWER);
        assertThat(stream.raw(), containsString("after 4 tokens (splice)"));
        never.countDown();
    }

    @Test
    void aRegenerationThatDivergesIsNeverStitched() {
        first.enqueue(Reply.text(pieces(ANSWER)).cutAfter(6));
        second.enqueue(Reply.text(pieces(ANSWER.replace("fox", "cat"))));

        RawClient.SseStream stream = raw.chatStream(STREAM.formatted("splice"));

        assertThat(stream.status(), is(200));
        assertThat(stream.done(), is(false));
        assertThat(stream.text(), is(ANSWER.substring(0, 30)));
        String message = stream.error().orElseThrow().at("/error/message").asText();
        assertThat(message, containsString("interrupted after 6 tokens"));
        assertThat(message, not(containsString("diverged")));
    }

    @Test
    void prefillContinuesFromTheDeliveredTextOnAProviderThatAcceptsIt() {
        first.enqueue(Reply.text(pieces(ANSWER)).cutAfter(4));
        // Delivered: "The quick brown fox " (4 pieces, ending in a space that prefill may not end with).
        claude.enqueue(FakeAnthropic.answer().text(" jumps over the lazy dog, twice, and then rests.").usage(30, 12));

        RawClient.SseStream stream = raw.chatStream(STREAM.formatted("prefill"));

        assertComplete(stream, ANSWER);
        assertThat(stream.raw(), containsString(": hedgerow resumed on claude/claude-x after 4 tokens (prefill)"));
        JsonNode messages = claude.lastRequest().body().get("messages");
        JsonNode last = messages.get(messages.size() - 1);
        assertThat(last.get("role").asText(), is("assistant"));
        assertThat(last.toString(), containsString("The quick brown fox\""));
        assertThat(second.requestCount(), is(0));
    }

    @Test
    void aRefusedPrefillFallsBackToSpliceAndTheClientNeverSeesTheRefusal() {
        first.enqueue(Reply.text(pieces(ANSWER)).cutAfter(4));
        claude.enqueue(FakeAnthropic.error(400, "invalid_request_error",
                                           "This model does not support assistant message prefill."));
        second.enqueue(Reply.text(pieces(ANSWER)));

        RawClient.SseStream stream = raw.chatStream(STREAM.formatted("prefill"));

        assertComplete(stream, ANSWER);
        assertThat(stream.raw(), containsString("resumed on p2/m2 after 4 tokens (splice)"));
        assertThat(stream.raw(), not(containsString("prefill.")));
    }

    @Test
    void streamedToolCallArgumentsAreSplicedOnlyWhenReproducedExactly() {
        FakeOpenAi.Call call = FakeOpenAi.call("call_1", "get_weather", "{\"city\":", " \"Par", "is\", \"unit\":", " \"C\"}");
        first.enqueue(Reply.toolCalls(call).cutAfter(3));
        second.enqueue(Reply.toolCalls(FakeOpenAi.call("call_other", "get_weather", "{\"city\": \"Paris\", ",
                                                       "\"unit\": \"C\"}")));

        RawClient.SseStream stream = raw.chatStream(STREAM.formatted("splice"));

        assertThat(stream.raw(), stream.error().isPresent(), is(false));
        assertThat(stream.done(), is(true));
        StringBuilder arguments = new StringBuilder();
        for (JsonNode chunk : stream.chunks()) {
            for (JsonNode delta : chunk.at("/choices/0/delta/tool_calls")) {
                arguments.append(delta.at("/function/arguments").asText());
                assertThat(delta.get("index").asInt(), is(0));
            }
        }
        assertThat(arguments.toString(), is("{\"city\": \"Paris\", \"unit\": \"C\"}"));
    }

    @Test
    void reasoningCutMidwayIsSplicedOnceWhenReproducedAndNeverMixedWhenNot() {
        String[] thought = {"Foxes ", "jump; ", "dogs ", "rest."};
        first.enqueue(Reply.text(pieces(ANSWER)).reasoning(thought).cutAfter(2));
        second.enqueue(Reply.text(pieces(ANSWER)).reasoning(thought).usage(20, 18));

        RawClient.SseStream stream = raw.chatStream(STREAM.formatted("splice"));

        assertComplete(stream, ANSWER);
        assertThat(stream.reasoning(), is("Foxes jump; dogs rest."));
        assertThat(stream.raw(), containsString(": hedgerow resumed on p2/m2 after 2 tokens (splice)"));

        // A regeneration that thinks otherwise is not stitched to the delivered thoughts.
        first.enqueue(Reply.text(pieces(ANSWER)).reasoning(thought).cutAfter(2));
        second.enqueue(Reply.text(pieces(ANSWER)).reasoning("Foxes ", "sleep; ", "dogs ", "rest."));

        RawClient.SseStream diverged = raw.chatStream(STREAM.formatted("splice"));

        assertThat(diverged.done(), is(false));
        assertThat(diverged.reasoning(), is("Foxes jump; "));
        assertThat(diverged.text(), is(""));
        assertThat(diverged.error().orElseThrow().at("/error/message").asText(),
                   containsString("interrupted after 2 tokens"));
    }

    @Test
    void aRegenerationThatThinksAloudWhereTheBrokenAnswerDidNotIsSplicedWithoutItsReasoning() {
        first.enqueue(Reply.text(pieces(ANSWER)).cutAfter(6));
        second.enqueue(Reply.text(pieces(ANSWER)).reasoning("The client ", "has the start already."));

        RawClient.SseStream stream = raw.chatStream(STREAM.formatted("splice"));

        assertComplete(stream, ANSWER);
        assertThat(stream.reasoning(), is(""));
    }

    @Test
    void aPrefilledContinuationKeepsTheDeliveredReasoningAndAddsNone() {
        first.enqueue(Reply.text(pieces(ANSWER)).reasoning("A fox, ", "a dog.").cutAfter(6));
        // Delivered: the reasoning, then "The quick brown fox " (4 pieces).
        claude.enqueue(FakeAnthropic.answer().thenThinking("Where was I?")
                               .thenText(" jumps over the lazy dog, twice, and then rests."));

        RawClient.SseStream stream = raw.chatStream(STREAM.formatted("prefill"));

        assertComplete(stream, ANSWER);
        assertThat(stream.reasoning(), is("A fox, a dog."));
        assertThat(stream.raw(), containsString("after 6 tokens (prefill)"));
    }

    @Test
    void logprobsStayWithTheirOwnPiecesAcrossASplice() {
        String request = STREAM.formatted("splice").replace("\"stream\":true", "\"stream\":true,\"logprobs\":true");
        first.enqueue(Reply.text(pieces(ANSWER)).cutAfter(6));
        second.enqueue(Reply.text(pieces(ANSWER)));

        RawClient.SseStream stream = raw.chatStream(request);

        assertComplete(stream, ANSWER);
        StringBuilder tokens = new StringBuilder();
        for (JsonNode chunk : stream.chunks()) {
            String content = chunk.at("/choices/0/delta/content").asText("");
            JsonNode logprobs = chunk.at("/choices/0/logprobs/content");
            if (!content.isEmpty()) {
                assertThat(chunk.toString(), logprobs.size(), is(1));
                assertThat(chunk.toString(), logprobs.get(0).get("token").asText(), is(content));
            }
            logprobs.forEach(entry -> tokens.append(entry.get("token").asText()));
        }
        assertThat(tokens.toString(), is(ANSWER));
        assertThat(second.onlyExchange().body().get("logprobs").asBoolean(), is(true));
    }

    @Test
    void withRecoveryOffABreakEndsTheStreamWithAnError() {
        first.enqueue(Reply.text(pieces(ANSWER)).cutAfter(6));

        RawClient.SseStream stream = raw.chatStream(STREAM.formatted("off"));

        assertThat(stream.done(), is(false));
        assertThat(stream.error().isPresent(), is(true));
        assertThat(second.requestCount(), is(0));
    }

    @Test
    void anAnthropicStreamCutMidAnswerIsSplicedOnAnOpenAiStyleCandidate() {
        claude.enqueue(FakeAnthropic.answer().text(ANSWER).pieceSize(5).cutAfterDeltas(5));
        second.enqueue(Reply.text(pieces(ANSWER)));

        RawClient.SseStream stream = raw.chatStream(STREAM.formatted("claude-first"));

        assertThat(stream.raw(), stream.error().isPresent(), is(false));
        assertThat(stream.text(), is(ANSWER));
        assertThat(stream.done(), is(true));
        assertThat(stream.raw(), containsString(": hedgerow resumed on p2/m2 after 5 tokens (splice)"));
        // The model Anthropic named when it started the answer, on every chunk: never the splicing candidate's.
        assertThat(stream.chunks().stream().filter(c -> c.has("model"))
                           .allMatch(c -> c.get("model").asText().equals("claude-fake-1")), is(true));
    }

    @Test
    void anAnthropicToolCallCutMidArgumentsIsSplicedWhenReproducedAndEndsCleanlyWhenNot() {
        String input = "{\"city\":\"Paris\",\"unit\":\"C\"}";
        claude.enqueue(FakeAnthropic.answer().toolUse("toolu_01", "get_weather", input).pieceSize(6)
                               .cutAfterDeltas(2));
        second.enqueue(Reply.toolCalls(FakeOpenAi.call("call_9", "get_weather", "{\"city\":\"Pa", "ris\",\"unit\":\"C\"}")));

        RawClient.SseStream spliced = raw.chatStream(STREAM.formatted("claude-first"));

        assertThat(spliced.raw(), spliced.error().isPresent(), is(false));
        StringBuilder arguments = new StringBuilder();
        for (JsonNode chunk : spliced.chunks()) {
            for (JsonNode delta : chunk.at("/choices/0/delta/tool_calls")) {
                arguments.append(delta.at("/function/arguments").asText());
            }
        }
        assertThat(arguments.toString(), is(input));
        assertThat(spliced.finishReasons(), is(List.of("tool_calls")));

        claude.enqueue(FakeAnthropic.answer().toolUse("toolu_02", "get_weather", input).pieceSize(6)
                               .cutAfterDeltas(2));
        second.enqueue(Reply.toolCalls(FakeOpenAi.call("call_9", "get_weather", "{\"city\":\"Rome\"}")));

        RawClient.SseStream diverged = raw.chatStream(STREAM.formatted("claude-first"));

        assertThat(diverged.done(), is(false));
        assertThat(diverged.error().orElseThrow().at("/error/message").asText(),
                   containsString("interrupted after"));
    }
}
