package io.hedgerow.dialect.anthropic;

import io.hedgerow.dialect.SseFrame;
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
                // the second call started while the first's arguments were incomplete: it waits for them
                "content_block_delta {\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":"
                        + "\"input_json_delta\",\"partial_json\":\":1}\"}}",
                "content_block_stop {\"type\":\"content_block_stop\",\"index\":1}",
                "content_block_start {\"type\":\"content_block_start\",\"index\":2,\"content_block\":{\"type\":"
                        + "\"tool_use\",\"id\":\"call_2\",\"name\":\"g\",\"input\":{}}}",
                "content_block_delta {\"type\":\"content_block_delta\",\"index\":2,\"delta\":{\"type\":"
                        + "\"input_json_delta\",\"partial_json\":\"{}\"}}",
                "content_block_stop {\"type\":\"content_block_stop\",\"index\":2}",
                "message_delta {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"tool_use\",\"stop_sequence\":"
                        + "null},\"usage\":{\"input_tokens\":7,\"cache_creation_input_tokens\":0,"
                        + "\"cache_read_input_tokens\":3,\"output_tokens\":4}}",
                "message_stop {\"type\":\"message_stop\"}"), out);
    }

    /** The tool blocks of an encoded stream: for each, its index and its input pieces joined; blocks must not overlap. */
    private static java.util.Map<Integer, String> toolInputs(List<String> out) {
        java.util.Map<Integer, String> inputs = new java.util.LinkedHashMap<>();
        int open = -1;
        for (String line : out) {
            String event = line.substring(0, line.indexOf(' '));
            com.fasterxml.jackson.databind.JsonNode data;
            try {
                data = io.hedgerow.json.Json.MAPPER.readTree(line.substring(line.indexOf(' ') + 1));
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            switch (event) {
            case "content_block_start" -> {
                assertEquals(-1, open, "blocks overlap: " + out);
                open = data.path("index").asInt();
                inputs.put(open, "");
            }
            case "content_block_delta" -> {
                assertEquals(open, data.path("index").asInt(), "a piece outside the open block: " + out);
                inputs.merge(open, data.at("/delta/partial_json").asText(""), String::concat);
            }
            case "content_block_stop" -> open = -1;
            default -> {
            }
            }
        }
        return inputs;
    }

    @Test
    void callsSentOneAfterAnotherEachStreamAsTheyCome() {
        MessagesStreamEncoder encoder = new MessagesStreamEncoder("msg_1", "m", false);
        encoder.accept(new StreamEvent.ToolCallDelta(0, Optional.of("a"), Optional.of("f"), "{\"x\":"));
        encoder.accept(new StreamEvent.ToolCallDelta(0, Optional.empty(), Optional.empty(), "1}"));
        // the second call opens at once: the first one's arguments are whole
        List<SseFrame> second = encoder.accept(
                new StreamEvent.ToolCallDelta(1, Optional.of("b"), Optional.of("g"), "{\"y\":"));
        assertEquals(List.of("content_block_stop", "content_block_start", "content_block_delta"),
                     second.stream().map(SseFrame::event).toList());
    }

    @Test
    void callsWhosePiecesInterleaveStillMakeWholeBlocksOneAtATime() {
        List<String> out = run(new MessagesStreamEncoder("msg_1", "m", false),
                               // names first, then the arguments of each, alternating
                               new StreamEvent.ToolCallDelta(0, Optional.of("a"), Optional.of("f"), ""),
                               new StreamEvent.ToolCallDelta(1, Optional.of("b"), Optional.of("g"), ""),
                               new StreamEvent.ToolCallDelta(2, Optional.of("c"), Optional.of("h"), ""),
                               new StreamEvent.ToolCallDelta(0, Optional.empty(), Optional.empty(), "{\"x\":"),
                               new StreamEvent.ToolCallDelta(1, Optional.empty(), Optional.empty(), "{\"y\":"),
                               new StreamEvent.ToolCallDelta(2, Optional.empty(), Optional.empty(), "{\"z\":3}"),
                               new StreamEvent.ToolCallDelta(1, Optional.empty(), Optional.empty(), "2}"),
                               new StreamEvent.ToolCallDelta(0, Optional.empty(), Optional.empty(), "1}"),
                               new StreamEvent.Finished(FinishReason.TOOL_CALLS));
        assertEquals(List.of("{\"x\":1}", "{\"y\":2}", "{\"z\":3}"), List.copyOf(toolInputs(out).values()));
        assertEquals(3, out.stream().filter(l -> l.startsWith("content_block_stop")).count());
    }

    @Test
    void heldCallsOpenBeforeTextThatFollowsThem() {
        List<String> out = run(new MessagesStreamEncoder("msg_1", "m", false),
                               new StreamEvent.ToolCallDelta(0, Optional.of("a"), Optional.of("f"), "{\"x\":"),
                               new StreamEvent.ToolCallDelta(1, Optional.of("b"), Optional.of("g"), "{}"),
                               new StreamEvent.TextDelta("and so"),
                               new StreamEvent.Finished(FinishReason.TOOL_CALLS));
        java.util.Map<Integer, String> inputs = toolInputs(out);
        assertEquals(List.of("{\"x\":", "{}", ""), List.copyOf(inputs.values()));
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
