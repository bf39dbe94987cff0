package io.hedgerow.observe.trace;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hedgerow.json.Json;
import io.hedgerow.model.ContentPart;
import io.hedgerow.model.FailureKind;
import io.hedgerow.model.Message;
import io.hedgerow.model.ToolCall;

import io.opentelemetry.api.common.AttributeKey;

import java.util.List;
import java.util.Locale;

/**
 * The OpenTelemetry GenAI semantic conventions' attribute names that Hedgerow's spans carry, and the few helpers that
 * shape their values.
 */
final class GenAi {
    static final String CHAT = "chat";
    static final String OPERATION = "gen_ai.operation.name";
    static final String PROVIDER_NAME = "gen_ai.provider.name";
    static final String REQUEST_MODEL = "gen_ai.request.model";
    static final String RESPONSE_MODEL = "gen_ai.response.model";
    static final String MAX_TOKENS = "gen_ai.request.max_tokens";
    static final String TEMPERATURE = "gen_ai.request.temperature";
    static final String TOP_P = "gen_ai.request.top_p";
    static final AttributeKey<List<String>> FINISH_REASONS = AttributeKey.stringArrayKey(
            "gen_ai.response.finish_reasons");
    static final String INPUT_TOKENS = "gen_ai.usage.input_tokens";
    static final String OUTPUT_TOKENS = "gen_ai.usage.output_tokens";
    /** Opt-in content ({@code capture-content: true}): the conventions' JSON shape of role and parts. */
    static final String INPUT_MESSAGES = "gen_ai.input.messages";
    static final String OUTPUT_MESSAGES = "gen_ai.output.messages";
    static final AttributeKey<String> CANDIDATE = AttributeKey.stringKey("hedgerow.candidate");
    static final AttributeKey<String> REASON = AttributeKey.stringKey("hedgerow.reason");
    /** A client's tag is free text: kept short on spans. */
    private static final int MAX_TAG = 64;

    private GenAi() {
    }

    /** A failure class as Hedgerow names it in metrics: {@code rate_limited}, {@code server_error} ... */
    static String kind(FailureKind kind) {
        return kind.name().toLowerCase(Locale.ROOT);
    }

    static String bounded(String text) {
        return text.length() <= MAX_TAG ? text : text.substring(0, MAX_TAG);
    }

    /** Messages as the conventions' JSON: {@code [{"role":..,"parts":[{"type":"text","content":..}, ...]}]}. */
    static String messages(List<Message> messages) {
        ArrayNode out = Json.MAPPER.createArrayNode();
        for (Message message : messages) {
            ObjectNode node = out.addObject();
            node.put("role", message.role().name().toLowerCase(Locale.ROOT));
            ArrayNode parts = node.putArray("parts");
            for (ContentPart part : message.content()) {
                switch (part) {
                case ContentPart.Text t -> parts.addObject().put("type", "text").put("content", t.text());
                case ContentPart.Image i -> parts.addObject().put("type", "image");
                }
            }
            for (ToolCall call : message.toolCalls()) {
                parts.addObject().put("type", "tool_call").put("id", call.id()).put("name", call.name())
                        .put("arguments", call.arguments());
            }
            message.toolCallId().ifPresent(id -> parts.addObject().put("type", "tool_call_response").put("id", id));
        }
        return out.toString();
    }
}
