package io.hedgerow.dialect.anthropic;

import io.hedgerow.model.Dialect;
import io.hedgerow.model.FinishReason;
import io.hedgerow.model.StreamEvent;
import io.hedgerow.model.Usage;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Anthropic's event sequence from canonical events, from relayed frames, and from both in one stream. */
class MessagesStreamEncoderTest {

    private static List<String> run(MessagesStreamEncoder encoder, StreamEvent... events) {
        List<String> out = new ArrayList<>();
        for (StreamEvent event : events) {
            encoder.accept(event).forEach(f -> out.add(f.isComment() ? ": " + f.data() : f.event() + " " + f.data()));
        }
        encoder.end().forEach(f -> out.add(f.event() + " " + f.data()));
        return out;
    }

    @Test
    void translatedTextThenParallelToolCallsInAnthropicsSequence() {
        List<String> out = run(new MessagesStreamEncoder("msg_1", "gpt-x", false),
                               new StreamEvent.Metadata("gpt-x-2025", Optional.empty(), Optional.empty()),
                               new StreamEvent.ReasoningDelta("hidden"),
                               new StreamEvent.TextDelta("Hi"),
                               new StreamEvent.ToolCallDelta(0, Optional.of("functions.f:0"), Optional.of("f"), "{\"a\""),
                               new StreamEvent.ToolCallDelta(1, Optional.of("call_2"), Optional.of("g"), "{}"),
                               new StreamEvent.ToolCallDelta(0, Optional.empty(), Optional.empty(), ":1}"),
                               new StreamEvent.Finished(FinishReason.TOOL_CALLS),
                               new StreamEvent.UsageReported(new Usage(10, 4, Optional.of(3), Optional.empty())));
        assertEquals(List.of(
                "message_start {\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"type\":\"message\","
                        + "\"role\":\"assistant\",\"model\":\"gpt-x-2025\",\"content\":[],\"stop_reason\":null,"
                        + "\"stop_sequence\":null,\"usage\":{\"input_tokens\":0,\"output_tokens\":0}}}",
                "ping {\"type\": \"ping\"}",
                "content_block_start {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":"
                        + "\"text\",\"text\":\"\"}}",
                "content_block_delta {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\","
                        + "\"text\":\"Hi\"}}",
                "content_block_stop {\"type\":\"content_block_stop\",\"index\":0}",
                "content_block_start {\"type\":\"content_block_start\",\"index\":1,\"content_block\":{\"type\":"
                        + "\"tool_use\",\"id\":\"" + AnthropicCodec.toolUseId("functions.f:0")
                        + "\",\"name\":\"f\",\"input\":{}}}",
                "content_block_delta {\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":"
                        + "\"input_json_delta\",\"partial_json\":\"{\\\"a\\\"\"}}",
                "content_block_stop {\"type\":\"content_block_stop\",\"index\":1}",
                "content_block_start {\"type\":\"content_block_start\",\"index\":2,\"content_block\":{\"type\":"
                        + "\"tool_use\",\"id\":\"call_2\",\"name\":\"g\",\"input\":{}}}",
                "content_block_delta {\"type\":\"content_block_delta\",\"index\":2,\"delta\":{\"type\":"
                        + "\"input_json_delta\",\"partial_json\":\"{}\"}}",
                // a late piece of the first call still goes to its own block's index
                "content_block_delta {\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":"
                        + "\"input_json_delta\",\"partial_json\":\":1}\"}}",
                "content_block_stop {\"type\":\"content_block_stop\",\"index\":2}",
                "message_delta {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"tool_use\",\"stop_sequence\":"
                        + "null},\"usage\":{\"input_tokens\":7,\"cache_creation_input_tokens\":0,"
                        + "\"cache_read_input_tokens\":3,\"output_tokens\":4}}",
                "message_stop {\"type\":\"message_stop\"}"), out);
    }

    @Test
    void relayedFramesGoOutAsTheyCameAndATranslatedContinuationGoesOnInTheOpenBlock() {
        String start = "{\"type\":\"message_start\",\"message\":{\"id\":\"msg_up\",\"model\":\"claude-up\"}}";
        String blockStart = "{\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}";
        String delta = "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"The \"}}";
        List<String> out = run(new MessagesStreamEncoder("msg_hr", "route-model", false),
                               new StreamEvent.WireFrame(Dialect.ANTHROPIC, "message_start", start, 1),
                               new StreamEvent.Metadata("claude-up", Optional.empty(), Optional.empty()),
                               new StreamEvent.WireFrame(Dialect.ANTHROPIC, "ping", "{\"type\":\"ping\"}", 0),
                               new StreamEvent.WireFrame(Dialect.ANTHROPIC, "content_block_start", blockStart, 0),
                               new StreamEvent.WireFrame(Dialect.ANTHROPIC, "content_block_delta", delta, 1),
                               new StreamEvent.TextDelta("The "),
                               new StreamEvent.Notice("hedgerow resumed on p2/m2 after 1 tokens (splice)"),
                               new StreamEvent.TextDelta("fox."),
                               new StreamEvent.Finished(FinishReason.STOP));
        assertEquals(List.of(
                "message_start " + start,
                "ping {\"type\":\"ping\"}",
                "content_block_start " + blockStart,
                "content_block_delta " + delta,
                ": hedgerow resumed on p2/m2 after 1 tokens (splice)",
                "content_block_delta {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\","
                        + "\"text\":\"fox.\"}}",
                "content_block_stop {\"type\":\"content_block_stop\",\"index\":0}",
                "message_delta {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\",\"stop_sequence\":"
                        + "null},\"usage\":{\"input_tokens\":0,\"cache_creation_input_tokens\":0,"
                        + "\"cache_read_input_tokens\":0,\"output_tokens\":0}}",
                "message_stop {\"type\":\"message_stop\"}"), out);
    }

    @Test
    void aStreamRelayedToItsEndIsNotClosedTwice() {
        MessagesStreamEncoder encoder = new MessagesStreamEncoder("msg", "m", false);
        encoder.accept(new StreamEvent.WireFrame(Dialect.ANTHROPIC, "message_stop", "{\"type\":\"message_stop\"}", 1));
        encoder.accept(new StreamEvent.Finished(FinishReason.STOP));
        assertEquals(List.of(), encoder.end());
    }
}
