package io.hedgerow.exec;

import io.hedgerow.HedgerowServer;
import io.hedgerow.config.CandidateRef;
import io.hedgerow.config.RecoverySettings;
import io.hedgerow.config.RouteConfig;
import io.hedgerow.fakes.FakeAnthropic;
import io.hedgerow.fakes.FakeOpenAi;
import io.hedgerow.fakes.FakeOpenAi.Reply;
import io.hedgerow.testing.Inbound;
import io.hedgerow.testing.RawClient;
import io.hedgerow.testing.TestConfig;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

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
 * that diverges is never stitched; a refused prefill is never what the client is told. Each runs once through each
 * inbound API: a Messages client served by Anthropic gets Anthropic's own events relayed, and what another candidate
 * finishes is translated into the same stream.
 */
class RecoveryEndToEndTest {
    private static final String ANSWER = "The quick brown fox jumps over the lazy dog, twice, and then rests.";
    private static final String STREAM = "{\"model\":\"%s\",\"stream\":true,\"stream_options\":{\"include_usage\":true},"
            + "\"messages\":[{\"role\":\"user\",\"content\":\"Tell me about the fox.\"}]}";
    private static final String QUESTION = "Tell me about the fox.";

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

    private static int countOf(String text, String part) {
        return text.split(java.util.regex.Pattern.quote(part), -1).length - 1;
    }

    /** The answer in pieces of 5 characters: 14 content chunks. */
    static String[] pieces(String text) {
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
        assertThat(stream.raw(), !stream.models().isEmpty() && stream.models().stream().allMatch("m1"::equals),
                   is(true));
    }

    @ParameterizedTest
    @EnumSource(Inbound.class)
    void aCutStreamIsRegeneratedElsewhereAndSplicedAfterWhatWasDelivered(Inbound api) {
        first.enqueue(Reply.text(pieces(ANSWER)).cutAfter(6));
        second.enqueue(Reply.text(pieces(ANSWER)).usage(20, 14));

        RawClient.SseStream stream = api.stream(raw, api.streamRequest("splice", QUESTION));

        assertComplete(stream, ANSWER);
        assertThat(stream.raw(), containsString(": hedgerow resumed on p2/m2 after 6 tokens (splice)"));
        // The regeneration's 20 + 14 tokens, plus the broken attempt's estimated prompt and its 6 delivered tokens.
        assertThat(stream.raw(), stream.outputTokens(), is(20));
        assertThat(stream.raw(), stream.inputTokens() > 20, is(true));
        assertThat(second.requestCount(), is(1));
    }

    @ParameterizedTest
    @EnumSource(Inbound.class)
    void aStallAfterTheFirstTokensIsResumedToo(Inbound api) {
        CountDownLatch never = new CountDownLatch(1);
        first.enqueue(Reply.text(pieces(ANSWER)).stallAfter(4, never));
        second.enqueue(Reply.text(pieces(ANSWER)));

        RawClient.SseStream stream = api.stream(raw, api.streamRequest("splice", QUESTION));

        assertComplete(stream, ANSWER);
        assertThat(stream.raw(), containsString("after 4 tokens (splice)"));
        never.countDown();
    }

    @ParameterizedTest
    @EnumSource(Inbound.class)
    void aRegenerationThatDivergesIsNeverStitched(Inbound api) {
        first.enqueue(Reply.text(pieces(ANSWER)).cutAfter(6));
        second.enqueue(Reply.text(pieces(ANSWER.replace("fox", "cat"))));

        RawClient.SseStream stream = api.stream(raw, api.streamRequest("splice", QUESTION));

        assertThat(stream.status(), is(200));
        assertThat(stream.done(), is(false));
        assertThat(stream.text(), is(ANSWER.substring(0, 30)));
        String message = stream.error().orElseThrow().at("/error/message").asText();
        assertThat(message, containsString("interrupted after 6 tokens"));
        assertThat(message, not(containsString("diverged")));
    }

    @ParameterizedTest
    @EnumSource(Inbound.class)
    void prefillContinuesFromTheDeliveredTextOnAProviderThatAcceptsIt(Inbound api) {
        first.enqueue(Reply.text(pieces(ANSWER)).cutAfter(4));
        // Delivered: "The quick brown fox " (4 pieces, ending in a space that prefill may not end with).
        claude.enqueue(FakeAnthropic.answer().text(" jumps over the lazy dog, twice, and then rests.").usage(30, 12));

        RawClient.SseStream stream = api.stream(raw, api.streamRequest("prefill", QUESTION));

        assertComplete(stream, ANSWER);
        assertThat(stream.raw(), containsString(": hedgerow resumed on claude/claude-x after 4 tokens (prefill)"));
        JsonNode messages = claude.lastRequest().body().get("messages");
        JsonNode last = messages.get(messages.size() - 1);
        assertThat(last.get("role").asText(), is("assistant"));
        assertThat(last.toString(), containsString("The quick brown fox\""));
        assertThat(second.requestCount(), is(0));
    }

    @ParameterizedTest
    @EnumSource(Inbound.class)
    void aRefusedPrefillFallsBackToSpliceAndTheClientNeverSeesTheRefusal(Inbound api) {
        first.enqueue(Reply.text(pieces(ANSWER)).cutAfter(4));
        claude.enqueue(FakeAnthropic.error(400, "invalid_request_error",
                                           "This model does not support assistant message prefill."));
        second.enqueue(Reply.text(pieces(ANSWER)));

        RawClient.SseStream stream = api.stream(raw, api.streamRequest("prefill", QUESTION));

        assertComplete(stream, ANSWER);
        assertThat(stream.raw(), containsString("resumed on p2/m2 after 4 tokens (splice)"));
        assertThat(stream.raw(), not(containsString("prefill.")));
    }

    @ParameterizedTest
    @EnumSource(Inbound.class)
    void streamedToolCallArgumentsAreSplicedOnlyWhenReproducedExactly(Inbound api) {
        FakeOpenAi.Call call = FakeOpenAi.call("call_1", "get_weather", "{\"city\":", " \"Par", "is\", \"unit\":", " \"C\"}");
        first.enqueue(Reply.toolCalls(call).cutAfter(3));
        second.enqueue(Reply.toolCalls(FakeOpenAi.call("call_other", "get_weather", "{\"city\": \"Paris\", ",
                                                       "\"unit\": \"C\"}")));

        RawClient.SseStream stream = api.stream(raw, api.streamRequest("splice", QUESTION));

        assertThat(stream.raw(), stream.error().isPresent(), is(false));
        assertThat(stream.done(), is(true));
        for (JsonNode chunk : stream.chunks()) {
            for (JsonNode delta : chunk.at("/choices/0/delta/tool_calls")) {
                assertThat(delta.get("index").asInt(), is(0));
            }
        }
        // One tool call, its arguments delivered once: what the broken attempt sent, then only the rest.
        assertThat(stream.raw(), stream.toolArguments(), is("{\"city\": \"Paris\", \"unit\": \"C\"}"));
        if (api == Inbound.MESSAGES) {
            assertThat(stream.raw(), countOf(stream.raw(), "\"type\":\"tool_use\""), is(1));
        }
    }

    @ParameterizedTest
    @EnumSource(Inbound.class)
    void reasoningCutMidwayIsSplicedOnceWhenReproducedAndNeverMixedWhenNot(Inbound api) {
        String[] thought = {"Foxes ", "jump; ", "dogs ", "rest."};
        first.enqueue(Reply.text(pieces(ANSWER)).reasoning(thought).cutAfter(2));
        second.enqueue(Reply.text(pieces(ANSWER)).reasoning(thought).usage(20, 18));

        RawClient.SseStream stream = api.stream(raw, api.withThinking(api.streamRequest("splice", QUESTION)));

        assertComplete(stream, ANSWER);
        assertThat(stream.reasoning(), is("Foxes jump; dogs rest."));
        assertThat(stream.raw(), containsString(": hedgerow resumed on p2/m2 after 2 tokens (splice)"));

        // A regeneration that thinks otherwise is not stitched to the delivered thoughts.
        first.enqueue(Reply.text(pieces(ANSWER)).reasoning(thought).cutAfter(2));
        second.enqueue(Reply.text(pieces(ANSWER)).reasoning("Foxes ", "sleep; ", "dogs ", "rest."));

        RawClient.SseStream diverged = api.stream(raw, api.withThinking(api.streamRequest("splice", QUESTION)));

        assertThat(diverged.done(), is(false));
        assertThat(diverged.reasoning(), is("Foxes jump; "));
        assertThat(diverged.text(), is(""));
        assertThat(diverged.error().orElseThrow().at("/error/message").asText(),
                   containsString("interrupted after 2 tokens"));
    }

    @ParameterizedTest
    @EnumSource(Inbound.class)
    void aRegenerationThatThinksAloudWhereTheBrokenAnswerDidNotIsSplicedWithoutItsReasoning(Inbound api) {
        first.enqueue(Reply.text(pieces(ANSWER)).cutAfter(6));
        second.enqueue(Reply.text(pieces(ANSWER)).reasoning("The client ", "has the start already."));

        RawClient.SseStream stream = api.stream(raw, api.withThinking(api.streamRequest("splice", QUESTION)));

        assertComplete(stream, ANSWER);
        assertThat(stream.reasoning(), is(""));
    }

    @ParameterizedTest
    @EnumSource(Inbound.class)
    void aPrefilledContinuationKeepsTheDeliveredReasoningAndAddsNone(Inbound api) {
        first.enqueue(Reply.text(pieces(ANSWER)).reasoning("A fox, ", "a dog.").cutAfter(6));
        // Delivered: the reasoning, then "The quick brown fox " (4 pieces).
        claude.enqueue(FakeAnthropic.answer().thenThinking("Where was I?")
                               .thenText(" jumps over the lazy dog, twice, and then rests."));

        RawClient.SseStream stream = api.stream(raw, api.withThinking(api.streamRequest("prefill", QUESTION)));

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

    @ParameterizedTest
    @EnumSource(Inbound.class)
    void withRecoveryOffABreakEndsTheStreamWithAnError(Inbound api) {
        first.enqueue(Reply.text(pieces(ANSWER)).cutAfter(6));

        RawClient.SseStream stream = api.stream(raw, api.streamRequest("off", QUESTION));

        assertThat(stream.done(), is(false));
        assertThat(stream.error().isPresent(), is(true));
        assertThat(second.requestCount(), is(0));
    }

    @ParameterizedTest
    @EnumSource(Inbound.class)
    void anAnthropicStreamCutMidAnswerIsSplicedOnAnOpenAiStyleCandidate(Inbound api) {
        claude.enqueue(FakeAnthropic.answer().text(ANSWER).pieceSize(5).cutAfterDeltas(5));
        second.enqueue(Reply.text(pieces(ANSWER)));

        RawClient.SseStream stream = api.stream(raw, api.streamRequest("claude-first", QUESTION));

        assertThat(stream.raw(), stream.error().isPresent(), is(false));
        assertThat(stream.text(), is(ANSWER));
        assertThat(stream.done(), is(true));
        assertThat(stream.raw(), containsString(": hedgerow resumed on p2/m2 after 5 tokens (splice)"));
        // The model Anthropic named when it started the answer, on every chunk: never the splicing candidate's.
        assertThat(stream.raw(), stream.models().stream().allMatch("claude-fake-1"::equals), is(true));
        if (api == Inbound.MESSAGES) {
            // Relayed from Anthropic as it came, then finished in translation: one text block, one message_stop.
            assertThat(stream.raw(), countOf(stream.raw(), "event: content_block_start"), is(1));
            assertThat(stream.raw(), countOf(stream.raw(), "event: message_stop"), is(1));
            assertThat(stream.raw(), stream.raw(), containsString("\"id\":\"msg_fake_"));
        }
    }

    @ParameterizedTest
    @EnumSource(Inbound.class)
    void anAnthropicToolCallCutMidArgumentsIsSplicedWhenReproducedAndEndsCleanlyWhenNot(Inbound api) {
        String input = "{\"city\":\"Paris\",\"unit\":\"C\"}";
        claude.enqueue(FakeAnthropic.answer().toolUse("toolu_01", "get_weather", input).pieceSize(6)
                               .cutAfterDeltas(2));
        second.enqueue(Reply.toolCalls(FakeOpenAi.call("call_9", "get_weather", "{\"city\":\"Pa", "ris\",\"unit\":\"C\"}")));

        RawClient.SseStream spliced = api.stream(raw, api.streamRequest("claude-first", QUESTION));

        assertThat(spliced.raw(), spliced.error().isPresent(), is(false));
        assertThat(spliced.raw(), spliced.toolArguments(), is(input));
        assertThat(spliced.finishReasons(), is(List.of(api.pick("tool_calls", "tool_use"))));

        claude.enqueue(FakeAnthropic.answer().toolUse("toolu_02", "get_weather", input).pieceSize(6)
                               .cutAfterDeltas(2));
        second.enqueue(Reply.toolCalls(FakeOpenAi.call("call_9", "get_weather", "{\"city\":\"Rome\"}")));

        RawClient.SseStream diverged = api.stream(raw, api.streamRequest("claude-first", QUESTION));

        assertThat(diverged.done(), is(false));
        assertThat(diverged.error().orElseThrow().at("/error/message").asText(),
                   containsString("interrupted after"));
    }
}
