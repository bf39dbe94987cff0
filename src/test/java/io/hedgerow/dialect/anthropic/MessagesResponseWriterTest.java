package io.hedgerow.dialect.anthropic;

import com.fasterxml.jackson.databind.JsonNode;
import io.hedgerow.model.ChatResponse;
import io.hedgerow.model.ContentPart;
import io.hedgerow.model.FinishReason;
import io.hedgerow.model.Message;
import io.hedgerow.model.Role;
import io.hedgerow.model.ToolCall;
import io.hedgerow.model.Usage;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** A canonical answer from another dialect, written as the Messages API's {@code message} object. */
class MessagesResponseWriterTest {
    private static ChatResponse answer(FinishReason reason, Optional<String> reasoning, Optional<String> refusal,
                                       List<ToolCall> calls, Usage usage) {
        Message message = new Message(Role.ASSISTANT, List.of(new ContentPart.Text("Done.")), calls, Optional.empty(),
                                      Optional.empty());
        return new ChatResponse("kimi-k2", message, reason, Optional.of(usage), reasoning, refusal, Optional.empty(),
                                Optional.empty(), Optional.empty());
    }

    @Test
    void blocksComeInAnthropicsOrderWithReasoningOnlyWhenThinkingWasAskedFor() {
        ChatResponse response = answer(FinishReason.TOOL_CALLS, Optional.of("Think."), Optional.empty(),
                                       List.of(new ToolCall("functions.f:0", "f", "{\"a\":1}"),
                                               new ToolCall("call_2", "g", "not json")),
                                       new Usage(100, 7, Optional.of(60), Optional.empty()));

        JsonNode shown = MessagesResponseWriter.message(response, "msg_1", true);
        assertEquals(List.of("thinking", "text", "tool_use", "tool_use"),
                     shown.path("content").findValuesAsText("type"));
        assertEquals("", shown.at("/content/0/signature").asText());
        assertEquals(AnthropicCodec.toolUseId("functions.f:0"), shown.at("/content/2/id").asText());
        assertEquals(1, shown.at("/content/2/input/a").asInt());
        assertEquals("not json", shown.at("/content/3/input").asText());
        assertEquals("tool_use", shown.path("stop_reason").asText());
        assertEquals(40, shown.at("/usage/input_tokens").asInt());
        assertEquals(60, shown.at("/usage/cache_read_input_tokens").asInt());
        assertEquals(0, shown.at("/usage/cache_creation_input_tokens").asInt());
        assertEquals(7, shown.at("/usage/output_tokens").asInt());
        assertEquals("kimi-k2", shown.path("model").asText());

        JsonNode hidden = MessagesResponseWriter.message(response, "msg_2", false);
        assertEquals("text", hidden.at("/content/0/type").asText());
    }

    @Test
    void everyFinishReasonHasItsStopReasonAndARefusalSaysSo() {
        Usage usage = new Usage(1, 1);
        assertEquals("end_turn", MessagesResponseWriter.message(answer(FinishReason.STOP, Optional.empty(),
                Optional.empty(), List.of(), usage), "m", false).path("stop_reason").asText());
        assertEquals("max_tokens", MessagesResponseWriter.message(answer(FinishReason.LENGTH, Optional.empty(),
                Optional.empty(), List.of(), usage), "m", false).path("stop_reason").asText());
        assertEquals("refusal", MessagesResponseWriter.message(answer(FinishReason.CONTENT_FILTER, Optional.empty(),
                Optional.empty(), List.of(), usage), "m", false).path("stop_reason").asText());
        JsonNode refused = MessagesResponseWriter.message(answer(FinishReason.STOP, Optional.empty(),
                Optional.of(" I can't help."), List.of(), usage), "m", false);
        assertEquals("refusal", refused.path("stop_reason").asText());
        assertEquals("Done. I can't help.", refused.at("/content/0/text").asText());
        assertEquals(true, refused.path("stop_sequence").isNull());
    }
}
