package io.hedgerow.provider.ollama;

import io.hedgerow.config.ProviderConfig;
import io.hedgerow.config.ProviderType;
import io.hedgerow.config.SimSettings;
import io.hedgerow.config.Timeouts;
import io.hedgerow.fakes.FakeOllama;
import io.hedgerow.fakes.FakeOllama.Answer;
import io.hedgerow.fakes.FakeOllama.FakeCall;
import io.hedgerow.model.FailureKind;
import io.hedgerow.model.FinishReason;
import io.hedgerow.model.StreamEvent;
import io.hedgerow.model.StreamEvent.Finished;
import io.hedgerow.model.StreamEvent.ReasoningDelta;
import io.hedgerow.model.StreamEvent.TextDelta;
import io.hedgerow.model.StreamEvent.ToolCallDelta;
import io.hedgerow.model.StreamEvent.UsageReported;
import io.hedgerow.model.ToolCall;
import io.hedgerow.model.Usage;
import io.hedgerow.provider.ChatStream;
import io.hedgerow.provider.ProviderException;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static io.hedgerow.provider.ollama.Fixtures.fails;
import static io.hedgerow.provider.ollama.Fixtures.hello;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import io.hedgerow.dialect.ollama.OllamaCodec;

/** Streamed answers: the exact canonical event sequence, broken streams, and aborting. */
class OllamaStreamTest {
    /** How long anything that should be prompt may take: far less than the fake's 30 s stalls. */
    private static final Duration BOUND = Duration.ofSeconds(10);

    private FakeOllama ollama;
    private OllamaProvider provider;

    @BeforeEach
    void start() {
        ollama = FakeOllama.start();
        provider = Fixtures.provider(ollama.baseUrl());
    }

    @AfterEach
    void stop() {
        ollama.close();
    }

    @Test
    void thinkingStreamsAsReasoningBeforeTheText() throws ProviderException {
        ollama.answerNext(Answer.text("It is ", "4.").withThinking("2 + 2", "", " is 4").withUsage(9, 7));

        try (ChatStream stream = provider.stream(hello())) {
            assertEquals(List.of(new ReasoningDelta("2 + 2"), new ReasoningDelta(" is 4"), new TextDelta("It is "),
                                 new TextDelta("4."), new Finished(FinishReason.STOP),
                                 new UsageReported(new Usage(9, 7))),
                         drain(stream));
        }
    }

    @Test
    void textStream() throws ProviderException {
        ollama.answerNext(Answer.text("Hel", "", "lo", " world").withUsage(9, 3));

        try (ChatStream stream = provider.stream(hello())) {
            assertEquals(List.of(new TextDelta("Hel"), new TextDelta("lo"), new TextDelta(" world"),
                                 new Finished(FinishReason.STOP), new UsageReported(new Usage(9, 3))),
                         drain(stream));
            assertEquals(Optional.empty(), stream.next(), "an ended stream stays ended");
        }
    }

    @Test
    void lengthWithoutCounts() throws ProviderException {
        ollama.answerNext(Answer.text("abc").withDoneReason("length"));

        try (ChatStream stream = provider.stream(hello())) {
            assertEquals(List.of(new TextDelta("abc"), new Finished(FinishReason.LENGTH)), drain(stream));
        }
    }

    @Test
    void toolCallStreamMatchesTheNonStreamedAnswer() throws ProviderException {
        FakeCall weather = FakeCall.of("get_weather", "{\"city\":\"Oslo\"}");
        FakeCall time = FakeCall.of("get_time", "{\"tz\":\"Europe/Oslo\"}");
        Answer answer = Answer.text("Checking.").withCalls(List.of(weather, time)).withUsage(40, 18);
        ollama.answerNext(answer, answer);

        List<ToolCall> whole = provider.complete(hello()).message().toolCalls();
        List<StreamEvent> events;
        try (ChatStream stream = provider.stream(hello())) {
            events = drain(stream);
        }

        assertEquals(List.of(new TextDelta("Checking."),
                             new ToolCallDelta(0, Optional.of(whole.get(0).id()), Optional.of("get_weather"),
                                               whole.get(0).arguments()),
                             new ToolCallDelta(1, Optional.of(whole.get(1).id()), Optional.of("get_time"),
                                               whole.get(1).arguments()),
                             new Finished(FinishReason.TOOL_CALLS),
                             new UsageReported(new Usage(40, 18))),
                     events);
        assertEquals(Fixtures.json(weather.argumentsJson()), Fixtures.json(whole.get(0).arguments()));
    }

    @Test
    void toolCallIndexesCountAcrossChunks() throws ProviderException {
        String ndjson = """
                {"message":{"role":"assistant","content":"","tool_calls":[{"function":{"name":"a","arguments":{}}}]},"done":false}
                {"message":{"role":"assistant","content":"","tool_calls":[{"function":{"name":"b","arguments":{"x":1}}}]},"done":false}
                {"message":{"role":"assistant","content":""},"done":true,"done_reason":"stop","prompt_eval_count":3,"eval_count":4}
                """;
        ollama.answerNext(Answer.raw(200, "application/x-ndjson", ndjson));

        try (ChatStream stream = provider.stream(hello())) {
            List<StreamEvent> events = drain(stream);
            ToolCallDelta a = assertInstanceOf(ToolCallDelta.class, events.get(0));
            ToolCallDelta b = assertInstanceOf(ToolCallDelta.class, events.get(1));
            assertEquals(0, a.index());
            assertEquals(1, b.index());
            assertEquals(Optional.of(OllamaCodec.toolCallId(1, "b", "{\"x\":1}")), b.id());
            assertEquals(List.of(new Finished(FinishReason.TOOL_CALLS), new UsageReported(new Usage(3, 4))),
                         events.subList(2, events.size()));
        }
    }

    @Test
    void errorLineMidStreamIsARedactedServerError() throws ProviderException {
        ollama.answerNext(Answer.text("one", "two", "three")
                                  .withErrorAfter(1, "runner crashed near sk-abcdefghijklmnop"));

        try (ChatStream stream = provider.stream(hello())) {
            assertEquals(Optional.of(new TextDelta("one")), stream.next());
            ProviderException e = fails(stream::next);
            assertEquals(FailureKind.SERVER_ERROR, e.failure().kind());
            assertEquals("runner crashed near [redacted]", e.failure().message());
            assertEquals(FailureKind.SERVER_ERROR, fails(stream::next).failure().kind(), "broken stays broken");
        }
    }

    @Test
    void errorLineWithStatusIsClassifiedByIt() throws ProviderException {
        ollama.answerNext(Answer.text("one").withErrorAfter(0, "template error: bad input", 400));

        try (ChatStream stream = provider.stream(hello())) {
            ProviderException e = fails(stream::next);
            assertEquals(FailureKind.BAD_REQUEST, e.failure().kind());
            assertEquals(400, e.failure().status());
        }
    }

    @Test
    void streamEndingBeforeDoneIsABadResponse() throws ProviderException {
        ollama.answerNext(Answer.text("one", "two", "three").cutAfter(2));

        try (ChatStream stream = provider.stream(hello())) {
            assertEquals(Optional.of(new TextDelta("one")), stream.next());
            assertEquals(Optional.of(new TextDelta("two")), stream.next());
            ProviderException e = fails(stream::next);
            assertEquals(FailureKind.BAD_RESPONSE, e.failure().kind());
            assertEquals("stream ended before done", e.failure().message());
        }
    }

    @Test
    void connectionDroppedMidStreamIsABadResponse() throws ProviderException {
        ollama.answerNext(Answer.text("one", "two", "three").resetAfter(1));

        try (ChatStream stream = provider.stream(hello())) {
            assertEquals(Optional.of(new TextDelta("one")), stream.next());
            ProviderException e = fails(stream::next);
            assertEquals(FailureKind.BAD_RESPONSE, e.failure().kind());
            // The body broke off mid-chunk (Helidon's InsufficientDataAvailableException), not a clean end.
            assertNotEquals("stream ended before done", e.failure().message());
        }
    }

    @Test
    void malformedLinesAreBadResponses() throws ProviderException {
        ollama.answerNext(
                Answer.raw(200, "application/x-ndjson", "{\"message\":{\"content\":\"hi\"},\"done\":false}\nnot json\n"),
                Answer.raw(200, "text/html", "<html>proxy error</html>"),
                Answer.raw(200, "application/x-ndjson", "[1,2]\n"));

        try (ChatStream stream = provider.stream(hello())) {
            assertEquals(Optional.of(new TextDelta("hi")), stream.next());
            assertEquals(FailureKind.BAD_RESPONSE, fails(stream::next).failure().kind());
        }
        for (int i = 0; i < 2; i++) {
            try (ChatStream stream = provider.stream(hello())) {
                assertEquals(FailureKind.BAD_RESPONSE, fails(stream::next).failure().kind());
            }
        }
    }

    @Test
    void refusalIsThrownByStreamItself() {
        ollama.answerNext(Answer.status(404, "{\"error\":\"model 'nope' not found\"}"),
                          Answer.status(500, "{\"error\":\"llama runner process has terminated\"}"));

        assertEquals(FailureKind.NOT_FOUND, fails(() -> provider.stream(hello())).failure().kind());
        assertEquals(FailureKind.SERVER_ERROR, fails(() -> provider.stream(hello())).failure().kind());
    }

    @Test
    void closeAbortsTheUpstreamConnection() throws Exception {
        ollama.answerNext(Answer.text(Collections.nCopies(500, "tok").toArray(String[]::new))
                                  .withLineDelay(Duration.ofMillis(20)));

        ChatStream stream = provider.stream(hello());
        assertEquals(Optional.of(new TextDelta("tok")), stream.next());
        stream.close();

        assertTrue(ollama.awaitDisconnect(BOUND), "the fake server saw the client leave");
        assertEquals(FailureKind.CANCELLED, fails(stream::next).failure().kind());
        stream.close();
    }

    @Test
    void closeFromAnotherThreadUnblocksARead() throws Exception {
        ollama.answerNext(Answer.text("fast", "slow").withLineDelay(Duration.ofSeconds(30)));
        ChatStream stream = provider.stream(hello());
        CountDownLatch firstRead = new CountDownLatch(1);

        CompletableFuture<FailureKind> reader = new CompletableFuture<>();
        Thread.ofVirtual().start(() -> {
            try {
                stream.next();
                firstRead.countDown();
                // Blocks: the next line is 30 s away, far beyond the bound below.
                stream.next();
                reader.complete(null);
            } catch (ProviderException e) {
                reader.complete(e.failure().kind());
            } catch (RuntimeException e) {
                reader.completeExceptionally(e);
            }
        });
        assertTrue(firstRead.await(BOUND.toMillis(), TimeUnit.MILLISECONDS));
        stream.close();

        assertEquals(FailureKind.CANCELLED, result(reader));
    }

    @Test
    void stalledStreamTimesOut() throws ProviderException {
        Timeouts quick = new Timeouts(Duration.ofSeconds(5), Duration.ofMillis(300), Duration.ofMillis(300),
                                      Duration.ofSeconds(5));
        OllamaProvider impatient = new OllamaProvider(
                new ProviderConfig("local-ollama", ProviderType.OLLAMA, Optional.of(ollama.baseUrl()), List.of(),
                                   Map.of(), Map.of(), quick, SimSettings.DEFAULTS),
                Fixtures.CLOCK);
        ollama.answerNext(Answer.text("first", "never").withLineDelay(Duration.ofSeconds(30)));

        try (ChatStream stream = impatient.stream(hello())) {
            assertEquals(Optional.of(new TextDelta("first")), stream.next());
            assertEquals(FailureKind.TIMEOUT, fails(stream::next).failure().kind());
        }
    }

    private static FailureKind result(CompletableFuture<FailureKind> future) throws Exception {
        try {
            return future.get(BOUND.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw new AssertionError("reader failed unexpectedly", e.getCause());
        }
    }

    private static List<StreamEvent> drain(ChatStream stream) throws ProviderException {
        List<StreamEvent> events = new ArrayList<>();
        for (Optional<StreamEvent> e = stream.next(); e.isPresent(); e = stream.next()) {
            events.add(e.get());
        }
        return events;
    }
}
