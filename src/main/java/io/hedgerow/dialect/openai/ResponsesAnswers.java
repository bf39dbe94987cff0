package io.hedgerow.dialect.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hedgerow.json.Json;
import io.hedgerow.model.ChatResponse;
import io.hedgerow.model.FinishReason;
import io.hedgerow.model.ToolCall;
import io.hedgerow.model.Usage;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Writes the Responses API's {@code response} object for an answer of any dialect: the request's settings echoed as
 * OpenAI echoes them, {@code status} ({@code completed}; {@code incomplete} with {@code incomplete_details.reason}
 * {@code max_output_tokens} or {@code content_filter}), the {@code output} items and {@code usage}.
 *
 * <p>Output items, in order: the model's reasoning as a {@code reasoning} item (its text as one
 * {@code summary_text}), the text or refusal as an assistant {@code message} ({@code output_text} with empty
 * annotations, or {@code refusal}), each tool call as a {@code function_call} (its {@code call_id} the provider's
 * tool-call id). Ids Hedgerow makes start {@code rs_hr}, {@code msg_hr}, {@code fc_hr} and {@code resp_hr}, so that
 * they are told apart from an upstream's own.
 */
public final class ResponsesAnswers {
    /** The start of every item id Hedgerow makes. */
    public static final String OWN_ID = "_hr";

    private ResponsesAnswers() {
    }

    /** A new id with this prefix ({@code resp}, {@code msg}, {@code fc}, {@code rs}). */
    public static String newId(String prefix) {
        return prefix + OWN_ID + Long.toHexString(ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE)
                + Long.toHexString(ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE);
    }

    /** Whether an item id is one Hedgerow made (not an upstream's). */
    public static boolean ownId(String id) {
        int underscore = id.indexOf('_');
        return underscore > 0 && id.startsWith(OWN_ID, underscore);
    }

    /**
     * What a response object says besides its output.
     *
     * @param id        the response's id
     * @param createdAt seconds since the epoch
     * @param request   the client's request body, whose settings are echoed
     * @param model     the model that answered, as its provider named it
     */
    public record Envelope(String id, long createdAt, JsonNode request, String model) {
    }

    /** The whole response object of a finished answer. */
    public static ObjectNode response(Envelope envelope, ChatResponse answer) {
        return response(envelope, status(answer.finishReason()), outputItems(answer),
                        answer.usage(), incompleteReason(answer.finishReason()));
    }

    /**
     * A response object.
     *
     * @param status           {@code in_progress}, {@code completed}, {@code incomplete} or {@code failed}
     * @param incompleteReason for {@code incomplete}: {@code max_output_tokens} or {@code content_filter}
     */
    public static ObjectNode response(Envelope envelope, String status, List<ObjectNode> output, Optional<Usage> usage,
                                      Optional<String> incompleteReason) {
        JsonNode request = envelope.request();
        ObjectNode root = Json.object().put("id", envelope.id()).put("object", "response")
                .put("created_at", envelope.createdAt()).put("status", status);
        root.put("background", false);
        root.putNull("error");
        if (incompleteReason.isPresent()) {
            root.putObject("incomplete_details").put("reason", incompleteReason.get());
        } else {
            root.putNull("incomplete_details");
        }
        echo(root, request, "instructions");
        echo(root, request, "max_output_tokens");
        echo(root, request, "max_tool_calls");
        root.set("metadata", request.path("metadata").isObject() ? request.get("metadata") : Json.object());
        root.put("model", envelope.model());
        ArrayNode items = root.putArray("output");
        output.forEach(items::add);
        root.put("parallel_tool_calls", request.path("parallel_tool_calls").asBoolean(true));
        echo(root, request, "previous_response_id");
        echo(root, request, "prompt_cache_key");
        ObjectNode reasoning = root.putObject("reasoning");
        echoInto(reasoning, request.path("reasoning"), "effort");
        echoInto(reasoning, request.path("reasoning"), "summary");
        echo(root, request, "safety_identifier");
        root.put("service_tier", request.path("service_tier").asText("default"));
        root.put("store", request.path("store").asBoolean(true));
        echo(root, request, "temperature");
        ObjectNode text = request.path("text").isObject() ? request.get("text").deepCopy() : Json.object();
        if (!text.path("format").isObject()) {
            text.putObject("format").put("type", "text");
        }
        root.set("text", text);
        root.set("tool_choice", request.hasNonNull("tool_choice") ? request.get("tool_choice")
                : Json.MAPPER.getNodeFactory().textNode("auto"));
        root.set("tools", request.path("tools").isArray() ? request.get("tools") : Json.MAPPER.createArrayNode());
        echo(root, request, "top_logprobs");
        echo(root, request, "top_p");
        root.put("truncation", request.path("truncation").asText("disabled"));
        if (usage.isPresent()) {
            root.set("usage", usage(usage.get()));
        } else {
            root.putNull("usage");
        }
        echo(root, request, "user");
        return root;
    }

    /** A response object that failed after it started: {@code status: failed} with its error. */
    public static ObjectNode failed(Envelope envelope, List<ObjectNode> output, String code, String message) {
        ObjectNode root = response(envelope, "failed", output, Optional.empty(), Optional.empty());
        root.putObject("error").put("code", code).put("message", message);
        return root;
    }

    /** The output items of a whole answer. */
    public static List<ObjectNode> outputItems(ChatResponse answer) {
        List<ObjectNode> items = new ArrayList<>(2 + answer.message().toolCalls().size());
        answer.reasoning().filter(r -> !r.isEmpty()).ifPresent(r -> items.add(reasoningItem(newId("rs"), r)));
        String text = answer.message().text();
        if (answer.refusal().isPresent()) {
            items.add(messageItem(newId("msg"), "completed", refusalPart(answer.refusal().get())));
        } else if (!text.isEmpty() || answer.message().toolCalls().isEmpty()) {
            items.add(messageItem(newId("msg"), "completed", textPart(text)));
        }
        for (ToolCall call : answer.message().toolCalls()) {
            items.add(functionCallItem(newId("fc"), call.id(), call.name(), call.arguments(), "completed"));
        }
        return items;
    }

    static ObjectNode reasoningItem(String id, String text) {
        ObjectNode item = Json.object().put("id", id).put("type", "reasoning");
        ArrayNode summary = item.putArray("summary");
        if (!text.isEmpty()) {
            summary.addObject().put("type", "summary_text").put("text", text);
        }
        return item;
    }

    static ObjectNode messageItem(String id, String status, ObjectNode... parts) {
        ObjectNode item = Json.object().put("id", id).put("type", "message").put("status", status)
                .put("role", "assistant");
        ArrayNode content = item.putArray("content");
        for (ObjectNode part : parts) {
            content.add(part);
        }
        return item;
    }

    static ObjectNode textPart(String text) {
        ObjectNode part = Json.object().put("type", "output_text").put("text", text);
        part.putArray("annotations");
        part.putArray("logprobs");
        return part;
    }

    static ObjectNode refusalPart(String refusal) {
        return Json.object().put("type", "refusal").put("refusal", refusal);
    }

    static ObjectNode functionCallItem(String id, String callId, String name, String arguments, String status) {
        return Json.object().put("id", id).put("type", "function_call").put("status", status)
                .put("arguments", arguments).put("call_id", callId).put("name", name);
    }

    /** {@code usage}: input (cached among them) and output (reasoning among them) tokens. */
    public static ObjectNode usage(Usage usage) {
        ObjectNode node = Json.object().put("input_tokens", usage.promptTokens());
        node.putObject("input_tokens_details").put("cached_tokens", usage.cachedTokens().orElse(0));
        node.put("output_tokens", usage.completionTokens());
        node.putObject("output_tokens_details").put("reasoning_tokens", usage.reasoningTokens().orElse(0));
        node.put("total_tokens", usage.totalTokens());
        return node;
    }

    /** The status an answer that stopped for this reason has. */
    public static String status(FinishReason reason) {
        return incompleteReason(reason).isPresent() ? "incomplete" : "completed";
    }

    static Optional<String> incompleteReason(FinishReason reason) {
        return switch (reason) {
            case LENGTH -> Optional.of("max_output_tokens");
            case CONTENT_FILTER -> Optional.of("content_filter");
            default -> Optional.empty();
        };
    }

    private static void echo(ObjectNode root, JsonNode request, String field) {
        echoInto(root, request, field);
    }

    private static void echoInto(ObjectNode target, JsonNode source, String field) {
        JsonNode value = source.get(field);
        if (value == null) {
            target.putNull(field);
        } else {
            target.set(field, value);
        }
    }
}
