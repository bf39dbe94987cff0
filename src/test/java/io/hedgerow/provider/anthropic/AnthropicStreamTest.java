package io.hedgerow.provider.anthropic;

import io.hedgerow.config.Timeouts;
import io.hedgerow.fakes.FakeAnthropic;
import io.hedgerow.model.Failure;
import io.hedgerow.model.FailureKind;
import io.hedgerow.model.FinishReason;
import io.hedgerow.model.StreamEvent;
import io.hedgerow.model.StreamEvent.Finished;
import io.hedgerow.model.StreamEvent.ReasoningDelta;
import io.hedgerow.model.StreamEvent.TextDelta;
import io.hedgerow.model.StreamEvent.ToolCallDelta;
import io.hedgerow.model.StreamEvent.UsageReported;
import io.hedgerow.model.Usage;
import io.hedgerow.provider.ChatStream;
import io.hedgerow.provider.ProviderException;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static io.hedgerow.provider.anthropic.Fixtures.CLOCK;
import static io.hedgerow.dialect.anthropic.AnthropicFixtures.KEY_VALUE;
import static io.hedgerow.provider.anthropic.Fixtures.call;
import static io.hedgerow.provider.anthropic.Fixtures.config;
import static io.hedgerow.dialect.anthropic.AnthropicFixtures.json;
import static io.hedgerow.provider.anthropic.Fixtures.pieces;
import static io.hedgerow.provider.anthropic.Fixtures.readAll;
import static io.hedgerow.testing.Eventually.eventuallyParked;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Streamed answers over real SSE from the fake: translation, failures mid-stream, and aborting. */
class AnthropicStreamTest {
    private static final Duration WAIT = Duration.ofSeconds(10);
    /** What {@code message_start} says: the model that answers, as Anthropic names it. */
    private static final StreamEvent STARTED = new StreamEvent.Metadata("claude-fake-1", Optional.empty(),
                                                                        Optional.empty());

    private FakeAnthropic fake;
    private AnthropicProvider provider;

    @BeforeEach
    void start() {
        fake = FakeAnthropic.start();
        provider = new AnthropicProvider(config(fake.baseUrl()), CLOCK);
    }

    @AfterEach
    void stop() {
        fake.close();
    }

    @Test
    void streamedTextIsTranslatedEventByEvent() throws ProviderException {
        String text = "Hello, streaming world!";
        fake.enqueue(FakeAnthropic.Answer.text(text).usage(20, 6).cache(0, 50).pieceSize(4));

        List<StreamEvent> events;
        try (ChatStream stream = provider.stream(call("hi"))) {
            events = readAll(stream);
            assertEquals(Optional.empty(), stream.next(), "an ended stream stays ended");
        }

        List<StreamEvent> expected = new ArrayList<>();
        expected.add(STARTED);
        pieces(text, 4).forEach(p -> expected.add(new TextDelta(p)));
        expected.add(new Finished(FinishReason.STOP));
        // Prompt tokens as OpenAI counts them (cached ones included), the 50 read from the cache as cached tokens.
        expected.add(new UsageReported(new Usage(70, 6, Optional.of(50), Optional.empty())));
        assertEquals(expected, events);
    }

    @Test
    void streamedToolUseIsTranslatedAndItsArgumentsReassemble() throws ProviderException {
        String oslo = "{\"city\":\"Oslo\",\"days\":[1,2,3],\"units\":{\"temp\":\"C\"}}";
        String bergen = "{\"city\":\"Bergen\"}";
        fake.enqueue(FakeAnthropic.answer().thenThinking("The user wants two cities.").thenText("On it.")
                             .toolUse("toolu_01A", "get_weather", oslo)
                             .toolUse("toolu_01B", "get_weather", bergen)
                             .usage(33, 44).pieceSize(7));

        List<StreamEvent> events;
        try (ChatStream stream = provider.stream(call("Weather in Oslo and Bergen?"))) {
            events = readAll(stream);
        }

        // Anthropic's block indices are 0 (thinking), 1 (text), 2 and 3 (tools); OpenAI's tool indices are 0, 1.
        // The thinking block is the answer's reasoning.
        List<StreamEvent> expected = new ArrayList<>();
        expected.add(STARTED);
        pieces("The user wants two cities.", 7).forEach(p -> expected.add(new ReasoningDelta(p)));
        pieces("On it.", 7).forEach(p -> expected.add(new TextDelta(p)));
        expected.add(new ToolCallDelta(0, Optional.of("toolu_01A"), Optional.of("get_weather"), ""));
        pieces(oslo, 7).forEach(p -> expected.add(new ToolCallDelta(0, Optional.empty(), Optional.empty(), p)));
        expected.add(new ToolCallDelta(1, Optional.of("toolu_01B"), Optional.of("get_weather"), ""));
        pieces(bergen, 7).forEach(p -> expected.add(new ToolCallDelta(1, Optional.empty(), Optional.empty(), p)));
        expected.add(new Finished(FinishReason.TOOL_CALLS));
        expected.add(new UsageReported(new Usage(33, 44, Optional.of(0), Optional.empty())));
        assertEquals(expected, events);

        assertEquals(oslo, arguments(events, 0));
        assertEquals(json(bergen), json(arguments(events, 1)));
    }

    @Test
    void refusalBeforeTheStreamIsThrownByStream() {
        fake.enqueue(FakeAnthropic.error(429, "rate_limit_error", "slow down").header("retry-after", "2"),
                     FakeAnthropic.error(529, "overloaded_error", "Overloaded"));

        Failure limited = assertThrows(ProviderException.class, () -> provider.stream(call("a"))).failure();
        assertEquals(FailureKind.RATE_LIMITED, limited.kind());
        assertEquals(Optional.of(Duration.ofSeconds(2)), limited.retryAfter());

        Failure overloaded = assertThrows(ProviderException.class, () -> provider.stream(call("b"))).failure();
        assertEquals(FailureKind.RATE_LIMITED, overloaded.kind());
        assertEquals(529, overloaded.status());
    }

    @Test
    void errorEventMidStreamFailsTheStream() throws ProviderException {
        fake.enqueue(FakeAnthropic.Answer.text("Partial answer here").pieceSize(5)
                             .errorAfterDeltas(2, "overloaded_error", "Overloaded"),
                     FakeAnthropic.Answer.text("Partial answer here").pieceSize(5)
                             .errorAfterDeltas(1, "api_error", "Internal error, key " + KEY_VALUE));

        try (ChatStream stream = provider.stream(call("a"))) {
            assertEquals(Optional.of(STARTED), stream.next());
            assertEquals(Optional.of(new TextDelta("Parti")), stream.next());
            assertEquals(Optional.of(new TextDelta("al an")), stream.next());
            Failure failure = assertThrows(ProviderException.class, stream::next).failure();
            assertEquals(FailureKind.RATE_LIMITED, failure.kind());
            assertEquals("overloaded_error: Overloaded", failure.message());
            assertEquals(failure, assertThrows(ProviderException.class, stream::next).failure(), "broken for good");
        }
        try (ChatStream stream = provider.stream(call("b"))) {
            assertEquals(Optional.of(STARTED), stream.next());
            assertEquals(Optional.of(new TextDelta("Parti")), stream.next());
            ProviderException e = assertThrows(ProviderException.class, stream::next);
            assertEquals(FailureKind.SERVER_ERROR, e.failure().kind());
            assertFalse(e.getMessage().contains(KEY_VALUE), e.getMessage());
        }
    }

    @Test
    void streamCutBeforeMessageStopIsABadResponse() throws ProviderException {
        fake.enqueue(FakeAnthropic.Answer.text("This will not finish").pieceSize(5).cutAfterDeltas(2));

        try (ChatStream stream = provider.stream(call("hi"))) {
            assertEquals(Optional.of(STARTED), stream.next());
            assertEquals(Optional.of(new TextDelta("This ")), stream.next());
            assertEquals(Optional.of(new TextDelta("will ")), stream.next());
            Failure failure = assertThrows(ProviderException.class, stream::next).failure();
            assertEquals(FailureKind.BAD_RESPONSE, failure.kind());
            assertEquals("stream ended before message_stop", failure.message());
        }
    }

    @Test
    void connectionLostMidStreamIsABadResponse() throws ProviderException {
        fake.enqueue(FakeAnthropic.Answer.text("Half of it").pieceSize(5).resetAfterDeltas(1));

        try (ChatStream stream = provider.stream(call("hi"))) {
            assertEquals(Optional.of(STARTED), stream.next());
            assertEquals(Optional.of(new TextDelta("Half ")), stream.next());
            assertEquals(FailureKind.BAD_RESPONSE,
                         assertThrows(ProviderException.class, stream::next).failure().kind());
        }
    }

    @Test
    void malformedEventIsABadResponse() throws ProviderException {
        fake.enqueue(exchange -> {
            try (FakeAnthropic.Sse sse = exchange.openStream()) {
                sse.write("event: message_start\ndata: {\"type\":\"message_start\",\"message\":{}}\n\n");
                sse.write("event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\n\n");
            }
        });

        try (ChatStream stream = provider.stream(call("hi"))) {
            assertEquals(FailureKind.BAD_RESPONSE,
                         assertThrows(ProviderException.class, stream::next).failure().kind());
        }
    }

    @Test
    void nonStreamSuccessIsRefusedUpFront() {
        fake.enqueue(FakeAnthropic.status(200, "<html>captive portal</html>").contentType("text/html"));

        Failure failure = assertThrows(ProviderException.class, () -> provider.stream(call("hi"))).failure();

        assertEquals(FailureKind.BAD_RESPONSE, failure.kind());
        assertEquals("expected text/event-stream, got text/html", failure.message());
    }

    @Test
    void closeAbortsTheUpstreamConnection() throws Exception {
        fake.enqueue(FakeAnthropic.Answer.text("Slow answer").pieceSize(4).pingUntilGoneAfterDeltas(1));

        ChatStream stream = provider.stream(call("hi"));
        assertEquals(Optional.of(STARTED), stream.next());
        assertEquals(Optional.of(new TextDelta("Slow")), stream.next());
        stream.close();

        assertTrue(fake.awaitDisconnect(WAIT).isPresent(), "the fake saw the client leave");
        stream.close(); // idempotent
        assertEquals(FailureKind.CANCELLED, assertThrows(ProviderException.class, stream::next).failure().kind());
    }

    @Test
    void closeFromAnotherThreadUnblocksTheReader() throws Exception {
        fake.enqueue(FakeAnthropic.Answer.text("Slow answer").pieceSize(4).pingUntilGoneAfterDeltas(1));
        ChatStream stream = provider.stream(call("hi"));
        assertEquals(Optional.of(STARTED), stream.next());
        assertEquals(Optional.of(new TextDelta("Slow")), stream.next());

        CompletableFuture<Optional<StreamEvent>> reader = new CompletableFuture<>();
        Thread thread = Thread.ofVirtual().start(() -> {
            try {
                reader.complete(stream.next());
            } catch (ProviderException | RuntimeException e) {
                reader.completeExceptionally(e);
            }
        });
        eventuallyParked(thread); // the reader waits for the upstream
        stream.close();

        ExecutionException e = assertThrows(ExecutionException.class,
                                            () -> reader.get(WAIT.toSeconds(), TimeUnit.SECONDS));
        ProviderException cause = assertInstanceOf(ProviderException.class, e.getCause());
        assertEquals(FailureKind.CANCELLED, cause.failure().kind());
        assertTrue(fake.awaitDisconnect(WAIT).isPresent(), "the fake saw the client leave");
    }

    @Test
    void stalledStreamTimesOut() throws ProviderException {
        Timeouts quick = new Timeouts(Duration.ofSeconds(5), Duration.ofMillis(300), Duration.ofMillis(300),
                                      Duration.ofSeconds(30));
        AnthropicProvider impatient = new AnthropicProvider(config(fake.baseUrl(), Map.of(), Map.of(), quick),
                                                            CLOCK);
        fake.enqueue(FakeAnthropic.Answer.text("Stuck here").pieceSize(5).stallAfterDeltas(1));

        try (ChatStream stream = impatient.stream(call("hi"))) {
            assertEquals(Optional.of(STARTED), stream.next());
            assertEquals(Optional.of(new TextDelta("Stuck")), stream.next());
            assertEquals(FailureKind.TIMEOUT, assertThrows(ProviderException.class, stream::next).failure().kind());
        }
    }

    @Test
    void aStreamReadToItsEndLeavesTheConnectionReusable() throws ProviderException {
        for (int i = 0; i < 2; i++) {
            try (ChatStream stream = provider.stream(call("hi"))) {
                readAll(stream);
            }
        }
        List<FakeAnthropic.Received> requests = fake.requests();
        assertEquals(requests.get(0).remotePort(), requests.get(1).remotePort(), "same client connection");
    }

    /** The reassembled arguments of tool call {@code index}. */
    private static String arguments(List<StreamEvent> events, int index) {
        StringBuilder sb = new StringBuilder();
        for (StreamEvent event : events) {
            if (event instanceof ToolCallDelta d && d.index() == index) {
                sb.append(d.argumentsFragment());
            }
        }
        return sb.toString();
    }
}
