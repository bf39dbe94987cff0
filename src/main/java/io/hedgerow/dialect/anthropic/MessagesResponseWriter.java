package io.hedgerow.dialect.anthropic;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hedgerow.json.Json;
import io.hedgerow.model.ChatResponse;
import io.hedgerow.model.ContentPart;
import io.hedgerow.model.FinishReason;
import io.hedgerow.model.ToolCall;
import io.hedgerow.model.Usage;

import java.io.IOException;

/**
 * Writes canonical answers as the Messages API's {@code message} object, for a client that called
 * {@code /v1/messages} and was served by a provider of another dialect.
 *
 * <p>Content, in Anthropic's order: the reasoning as a {@code thinking} block (only when the client turned thinking
 * on; it carries no signature, as no other dialect makes one), the text as one {@code text} block (or the refusal,
 * which Anthropic gives as text), then one {@code tool_use} block per tool call, its id made one Anthropic accepts
 * ({@link AnthropicCodec#toolUseId}) and its arguments as the {@code input} (an argument text that is not JSON is
 * given as a JSON string rather than dropped). {@code stop_reason} follows {@link #stopReason}; usage counts input
 * as Anthropic does, without the part read from the prompt cache, which is {@code cache_read_input_tokens}.
 */
public final class MessagesResponseWriter {

    private MessagesResponseWriter() {
    }

    /** The {@code message} object. */
    public static ObjectNode message(ChatResponse response, String id, boolean thinking) {
        ObjectNode root = Json.object();
        root.put("id", id);
        root.put("type", "message");
        root.put("role", "assistant");
        root.put("model", response.model());
        ArrayNode content = root.putArray("content");
        if (thinking && response.reasoning().isPresent() && !response.reasoning().get().isEmpty()) {
            content.addObject().put("type", "thinking").put("thinking", response.reasoning().get())
                    .put("signature", "");
        }
        StringBuilder text = new StringBuilder();
        for (ContentPart part : response.message().content()) {
            if (part instanceof ContentPart.Text t) {
                text.append(t.text());
            }
        }
        response.refusal().ifPresent(text::append);
        if (!text.isEmpty()) {
            content.addObject().put("type", "text").put("text", text.toString());
        }
        for (ToolCall call : response.message().toolCalls()) {
            ObjectNode block = content.addObject();
            block.put("type", "tool_use");
            block.put("id", AnthropicCodec.toolUseId(call.id()));
            block.put("name", call.name());
            block.set("input", input(call.arguments()));
        }
        FinishReason reason = response.finishReason();
        boolean refused = response.refusal().isPresent();
        root.put("stop_reason", refused ? "refusal" : stopReason(reason));
        root.putNull("stop_sequence");
        root.set("usage", usage(response.usage().orElse(new Usage(0, 0))));
        return root;
    }

    /** A canonical finish reason in Anthropic's words. */
    public static String stopReason(FinishReason reason) {
        return switch (reason) {
            case STOP -> "end_turn";
            case LENGTH -> "max_tokens";
            case TOOL_CALLS -> "tool_use";
            case CONTENT_FILTER -> "refusal";
        };
    }

    /** Anthropic's usage object: input without the cached part, which is reported apart. */
    public static ObjectNode usage(Usage usage) {
        int cached = usage.cachedTokens().orElse(0);
        ObjectNode node = Json.object();
        node.put("input_tokens", Math.max(0, usage.promptTokens() - cached));
        node.put("cache_creation_input_tokens", 0);
        node.put("cache_read_input_tokens", cached);
        node.put("output_tokens", usage.completionTokens());
        return node;
    }

    /** A tool call's arguments as {@code input}: parsed when JSON (an empty text is {@code {}}), else the text. */
    static JsonNode input(String arguments) {
        if (arguments.isBlank()) {
            return Json.object();
        }
        try {
            JsonNode node = AnthropicCodec.readExact(arguments);
            return node == null ? Json.MAPPER.getNodeFactory().textNode(arguments) : node;
        } catch (IOException e) {
            return Json.MAPPER.getNodeFactory().textNode(arguments);
        }
    }
}
