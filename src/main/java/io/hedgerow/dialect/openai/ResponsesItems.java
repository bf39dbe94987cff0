package io.hedgerow.dialect.openai;

import com.fasterxml.jackson.databind.JsonNode;
import io.hedgerow.dialect.FieldCheck;
import io.hedgerow.dialect.InvalidRequestException;
import io.hedgerow.model.ContentPart;
import io.hedgerow.model.Message;
import io.hedgerow.model.Role;
import io.hedgerow.model.ToolCall;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The Responses API's conversation items, checked and turned into canonical messages.
 *
 * <ul>
 *   <li>{@code message} (also written without {@code type}): {@code user}, {@code system}, {@code developer} or
 *   {@code assistant}, its content a string or parts: {@code input_text}, {@code output_text}, {@code refusal} (as
 *   text) and {@code input_image} by URL (or {@code data:} URL);</li>
 *   <li>{@code function_call}: a tool call of the assistant message before it (or of a new one);</li>
 *   <li>{@code function_call_output}: a {@code tool} message, its output a string or text and image parts;</li>
 *   <li>{@code reasoning}: kept for a Responses upstream, not sent to other dialects (their models cannot read
 *   another model's reasoning, encrypted or not).</li>
 * </ul>
 * Items only OpenAI can read (built-in tool calls and their outputs, item references, files by id, audio) make the
 * request one for a Responses upstream only.
 */
final class ResponsesItems {
    private static final Set<String> ROLES = Set.of("user", "assistant", "system", "developer");
    private static final Set<String> STATUSES = Set.of("in_progress", "completed", "incomplete");

    private ResponsesItems() {
    }

    /**
     * Checks one item; returns why only a Responses upstream can take it, if so.
     *
     * @param at the item's path, e.g. {@code input[3]}
     */
    static Optional<String> check(JsonNode item, String at) throws InvalidRequestException {
        FieldCheck.object(item, at);
        String type = FieldCheck.optional(item, "type").isPresent()
                ? FieldCheck.text(item.get("type"), at + ".type") : "message";
        if (FieldCheck.optional(item, "status").isPresent()) {
            FieldCheck.oneOf(item.get("status"), at + ".status", STATUSES);
        }
        if (FieldCheck.optional(item, "id").isPresent()) {
            FieldCheck.text(item.get("id"), at + ".id", 1, 256);
        }
        switch (type) {
        case "message" -> {
            FieldCheck.oneOf(FieldCheck.required(item, "role", at + ".role"), at + ".role", ROLES);
            return content(FieldCheck.required(item, "content", at + ".content"), at + ".content");
        }
        case "function_call" -> {
            FieldCheck.text(FieldCheck.required(item, "call_id", at + ".call_id"), at + ".call_id", 1, 256);
            FieldCheck.text(FieldCheck.required(item, "name", at + ".name"), at + ".name", 1, 128);
            FieldCheck.text(FieldCheck.required(item, "arguments", at + ".arguments"), at + ".arguments");
            return Optional.empty();
        }
        case "function_call_output" -> {
            FieldCheck.text(FieldCheck.required(item, "call_id", at + ".call_id"), at + ".call_id", 1, 256);
            JsonNode output = FieldCheck.required(item, "output", at + ".output");
            return output.isTextual() ? Optional.empty() : content(output, at + ".output");
        }
        case "reasoning" -> {
            FieldCheck.array(FieldCheck.required(item, "summary", at + ".summary"), at + ".summary");
            if (FieldCheck.optional(item, "encrypted_content").isPresent()) {
                FieldCheck.text(item.get("encrypted_content"), at + ".encrypted_content");
            }
            return Optional.empty();
        }
        case "item_reference" -> {
            FieldCheck.text(FieldCheck.required(item, "id", at + ".id"), at + ".id", 1, 256);
            return Optional.of("item references");
        }
        default -> {
            return Optional.of("input items of type " + type);
        }
        }
    }

    /** Checks a message's content: a string or parts; returns why only a Responses upstream can take it, if so. */
    private static Optional<String> content(JsonNode content, String at) throws InvalidRequestException {
        if (content.isTextual()) {
            return Optional.empty();
        }
        FieldCheck.array(content, at);
        Optional<String> only = Optional.empty();
        for (int i = 0; i < content.size(); i++) {
            String partAt = at + "[" + i + "]";
            JsonNode part = FieldCheck.object(content.get(i), partAt);
            String type = FieldCheck.text(FieldCheck.required(part, "type", partAt + ".type"), partAt + ".type");
            switch (type) {
            case "input_text", "output_text", "summary_text", "reasoning_text" ->
                    FieldCheck.text(FieldCheck.required(part, "text", partAt + ".text"), partAt + ".text");
            case "refusal" -> FieldCheck.text(FieldCheck.required(part, "refusal", partAt + ".refusal"),
                                              partAt + ".refusal");
            case "input_image" -> {
                if (FieldCheck.optional(part, "image_url").isPresent()) {
                    FieldCheck.text(part.get("image_url"), partAt + ".image_url", 1, Integer.MAX_VALUE);
                } else {
                    FieldCheck.text(FieldCheck.required(part, "file_id", partAt + ".image_url"), partAt + ".file_id");
                    only = only.or(() -> Optional.of("images by file id"));
                }
                if (FieldCheck.optional(part, "detail").isPresent()) {
                    FieldCheck.oneOf(part.get("detail"), partAt + ".detail", Set.of("auto", "low", "high"));
                }
            }
            default -> only = only.or(() -> Optional.of("content parts of type " + type));
            }
        }
        return only;
    }

    /**
     * The canonical messages of a conversation: {@code instructions} as a system message first, then each item in
     * order. Items only a Responses upstream can read are left out (the request was marked for such an upstream
     * when they were checked); reasoning is left out.
     */
    static List<Message> messages(Optional<String> instructions, List<JsonNode> items) {
        List<Message> messages = new ArrayList<>(items.size() + 1);
        instructions.filter(i -> !i.isEmpty()).ifPresent(i -> messages.add(Message.text(Role.SYSTEM, i)));
        for (JsonNode item : items) {
            String type = item.path("type").asText("message");
            switch (type) {
            case "message" -> messages.add(new Message(Role.fromWire(item.path("role").asText()).orElse(Role.USER),
                                                        parts(item.path("content")), List.of(), Optional.empty(),
                                                        Optional.empty()));
            case "function_call" -> {
                String arguments = item.path("arguments").asText("");
                ToolCall call = new ToolCall(item.path("call_id").asText(""), item.path("name").asText(""),
                                             arguments.isEmpty() ? "{}" : arguments);
                Message last = messages.isEmpty() ? null : messages.getLast();
                if (last != null && last.role() == Role.ASSISTANT) {
                    List<ToolCall> calls = new ArrayList<>(last.toolCalls());
                    calls.add(call);
                    messages.set(messages.size() - 1, new Message(Role.ASSISTANT, last.content(), calls,
                                                                  Optional.empty(), Optional.empty()));
                } else {
                    messages.add(new Message(Role.ASSISTANT, List.of(), List.of(call), Optional.empty(),
                                             Optional.empty()));
                }
            }
            case "function_call_output" -> {
                JsonNode output = item.path("output");
                List<ContentPart> parts = output.isTextual() ? List.of(new ContentPart.Text(output.asText()))
                        : parts(output);
                messages.add(new Message(Role.TOOL, parts, List.of(), Optional.of(item.path("call_id").asText("")),
                                         Optional.empty()));
            }
            default -> {
                // reasoning, and what only a Responses upstream reads
            }
            }
        }
        return messages;
    }

    private static List<ContentPart> parts(JsonNode content) {
        if (content.isTextual()) {
            return List.of(new ContentPart.Text(content.asText()));
        }
        List<ContentPart> parts = new ArrayList<>(content.size());
        for (JsonNode part : content) {
            switch (part.path("type").asText()) {
            case "input_text", "output_text" -> parts.add(new ContentPart.Text(part.path("text").asText("")));
            case "refusal" -> parts.add(new ContentPart.Text(part.path("refusal").asText("")));
            case "input_image" -> {
                if (part.hasNonNull("image_url")) {
                    parts.add(new ContentPart.Image(part.get("image_url").asText(), part.path("detail").asText("")));
                }
            }
            default -> {
                // what only a Responses upstream reads
            }
            }
        }
        return parts;
    }
}
