package io.hedgerow.dialect.anthropic;

import io.hedgerow.model.FailureKind;
import io.hedgerow.model.FinishReason;
import io.hedgerow.model.StreamEvent;
import io.hedgerow.model.Usage;
import io.hedgerow.dialect.DialectException;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Optional;

import static io.hedgerow.dialect.anthropic.AnthropicFixtures.KEY_VALUE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The event-by-event translation of Anthropic's stream, fed literal events. */
class AnthropicStreamDecoderTest {
    private final AnthropicStreamDecoder decoder = new AnthropicStreamDecoder();

    @Test
    void toolWithoutParametersGetsAnEmptyObject() throws DialectException {
        decode("message_start", "{\"type\":\"message_start\",\"message\":{\"usage\":{\"input_tokens\":4,"
                + "\"output_tokens\":1}}}");
        assertEquals(List.of(new StreamEvent.ToolCallDelta(0, Optional.of("toolu_1"), Optional.of("now"), "")),
                     decode("content_block_start", "{\"type\":\"content_block_start\",\"index\":0,"
                             + "\"content_block\":{\"type\":\"tool_use\",\"id\":\"toolu_1\",\"name\":\"now\","
                             + "\"input\":{}}}"));
        assertEquals(List.of(), decode("content_block_delta", "{\"type\":\"content_block_delta\",\"index\":0,"
                + "\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"\"}}"));
        assertEquals(List.of(new StreamEvent.ToolCallDelta(0, Optional.empty(), Optional.empty(), "{}")),
                     decode("content_block_stop", "{\"type\":\"content_block_stop\",\"index\":0}"));
        decode("message_delta", "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"tool_use\"},"
                + "\"usage\":{\"output_tokens\":9}}");
        assertEquals(List.of(new StreamEvent.Finished(FinishReason.TOOL_CALLS),
                             new StreamEvent.UsageReported(new Usage(4, 9))),
                     decode("message_stop", "{\"type\":\"message_stop\"}"));
        assertTrue(decoder.finished());
    }

    @Test
    void thinkingIsReasoningAndPingsSignaturesAndUnknownEventsAreSkipped() throws DialectException {
        assertEquals(List.of(), decode("ping", ""));
        assertEquals(List.of(), decode("ping", "{\"type\":\"ping\"}"));
        assertEquals(List.of(), decode("content_block_start", "{\"type\":\"content_block_start\",\"index\":0,"
                + "\"content_block\":{\"type\":\"thinking\",\"thinking\":\"\"}}"));
        assertEquals(List.of(new StreamEvent.ReasoningDelta("let me see")),
                     decode("content_block_delta", "{\"type\":\"content_block_delta\",\"index\":0,"
                             + "\"delta\":{\"type\":\"thinking_delta\",\"thinking\":\"let me see\"}}"));
        assertEquals(List.of(), decode("content_block_start", "{\"type\":\"content_block_start\",\"index\":1,"
                + "\"content_block\":{\"type\":\"redacted_thinking\",\"data\":\"EmwKAhgBEgy\"}}"));
        assertEquals(List.of(), decode("content_block_delta", "{\"type\":\"content_block_delta\",\"index\":0,"
                + "\"delta\":{\"type\":\"signature_delta\",\"signature\":\"abc\"}}"));
        assertEquals(List.of(), decode("content_block_stop", "{\"type\":\"content_block_stop\",\"index\":0}"));
        assertEquals(List.of(), decode("brand_new_event", "{\"type\":\"brand_new_event\",\"x\":1}"));
        assertFalse(decoder.finished());
    }

    @Test
    void malformedEventsAreBadResponses() {
        for (String data : List.of("{\"type\":\"content_block_delta\",", "[1]", "nonsense")) {
            DialectException e = assertThrows(DialectException.class,
                                               () -> decode("content_block_delta", data), data);
            assertEquals(FailureKind.BAD_RESPONSE, e.failure().kind(), data);
        }
        DialectException noIndex = assertThrows(DialectException.class, () -> decode("content_block_start",
                "{\"type\":\"content_block_start\",\"content_block\":{\"type\":\"tool_use\",\"id\":\"t\","
                        + "\"name\":\"n\"}}"));
        assertEquals(FailureKind.BAD_RESPONSE, noIndex.failure().kind());
    }

    @Test
    void errorEventsAreClassified() {
        // Redacting an echoed key is the adapter's job (it knows the key): AnthropicStreamTest checks it.
        record Case(String type, FailureKind kind) {
        }
        for (Case c : List.of(new Case("overloaded_error", FailureKind.RATE_LIMITED),
                              new Case("rate_limit_error", FailureKind.RATE_LIMITED),
                              new Case("api_error", FailureKind.SERVER_ERROR),
                              new Case("invalid_request_error", FailureKind.BAD_RESPONSE))) {
            DialectException e = assertThrows(DialectException.class, () -> decode("error",
                    "{\"type\":\"error\",\"error\":{\"type\":\"" + c.type + "\",\"message\":\"bad key "
                            + KEY_VALUE + "\"}}"));
            assertEquals(c.kind, e.failure().kind(), c.type);
            assertTrue(e.failure().message().startsWith(c.type + ": bad key"), e.failure().message());
        }
    }

    private List<StreamEvent> decode(String event, String data) throws DialectException {
        return decoder.decode(event, data);
    }
}
