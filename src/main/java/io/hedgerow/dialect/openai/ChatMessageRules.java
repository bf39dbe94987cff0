package io.hedgerow.dialect.openai;

import com.fasterxml.jackson.databind.JsonNode;
import io.hedgerow.dialect.FieldCheck;
import io.hedgerow.dialect.InvalidRequestException;

import java.util.Optional;
import java.util.Set;

import static io.hedgerow.dialect.FieldCheck.array;
import static io.hedgerow.dialect.FieldCheck.ifPresent;
import static io.hedgerow.dialect.FieldCheck.object;
import static io.hedgerow.dialect.FieldCheck.oneOf;
import static io.hedgerow.dialect.FieldCheck.optional;
import static io.hedgerow.dialect.FieldCheck.required;
import static io.hedgerow.dialect.FieldCheck.text;
import static io.hedgerow.dialect.FieldCheck.wrong;

/**
 * The documented shape of each Chat Completions message, checked field by field ({@link ChatRequestRules} does the
 * rest of a request): a role from the documented set, and for each role its content (a string, or an array of at
 * least one part of the kinds that role may send), {@code name}, an assistant's {@code refusal}, {@code audio} and
 * {@code tool_calls} (each with a non-empty {@code id}, type {@code function}, a {@code function.name} and
 * {@code function.arguments} that is a string), a tool message's non-empty {@code tool_call_id}.
 *
 * <p>Parts Hedgerow cannot carry to every provider ({@code input_audio}, {@code file}) and the deprecated
 * {@code function} role are refused with a message saying so, rather than dropped or mangled.
 */
final class ChatMessageRules {
    private static final Set<String> ROLES = Set.of("developer", "system", "user", "assistant", "tool");
    private static final Set<String> DETAIL = Set.of("auto", "low", "high");

    private ChatMessageRules() {
    }

    static void check(JsonNode message, String at) throws InvalidRequestException {
        object(message, at);
        JsonNode roleNode = required(message, "role", at + ".role");
        if (roleNode.isTextual() && roleNode.asText().equals("function")) {
            throw new InvalidRequestException(at + ".role: 'function' is not supported (deprecated by OpenAI: send "
                                                      + "tool messages)", at + ".role");
        }
        String role = oneOf(roleNode, at + ".role", ROLES);
        ifPresent(message, "name", at + ".name", (v, p) -> text(v, p, 1, 256));
        switch (role) {
        case "developer", "system" -> textContent(required(message, "content", at + ".content"), at + ".content");
        case "user" -> userContent(required(message, "content", at + ".content"), at + ".content");
        case "tool" -> {
            textContent(required(message, "content", at + ".content"), at + ".content");
            text(required(message, "tool_call_id", at + ".tool_call_id"), at + ".tool_call_id", 1, 1024);
        }
        default -> assistant(message, at);
        }
        if (!role.equals("tool") && message.has("tool_call_id") && !message.get("tool_call_id").isNull()) {
            throw new InvalidRequestException(at + ".tool_call_id is only allowed on tool messages",
                                              at + ".tool_call_id");
        }
        if (!role.equals("assistant") && message.has("tool_calls") && !message.get("tool_calls").isNull()) {
            throw new InvalidRequestException(at + ".tool_calls is only allowed on assistant messages",
                                              at + ".tool_calls");
        }
    }

    private static void assistant(JsonNode message, String at) throws InvalidRequestException {
        Optional<JsonNode> content = optional(message, "content");
        if (content.isPresent()) {
            JsonNode c = content.get();
            if (c.isArray()) {
                parts(c, at + ".content", Set.of("text", "refusal"));
            } else {
                text(c, at + ".content");
            }
        }
        ifPresent(message, "refusal", at + ".refusal", FieldCheck::text);
        Optional<JsonNode> audio = optional(message, "audio");
        if (audio.isPresent()) {
            object(audio.get(), at + ".audio");
            text(required(audio.get(), "id", at + ".audio.id"), at + ".audio.id", 1, 1024);
        }
        Optional<JsonNode> calls = optional(message, "tool_calls");
        if (calls.isPresent()) {
            array(calls.get(), at + ".tool_calls");
            for (int i = 0; i < calls.get().size(); i++) {
                toolCall(calls.get().get(i), at + ".tool_calls[" + i + "]");
            }
        }
        Optional<JsonNode> functionCall = optional(message, "function_call");
        if (functionCall.isPresent()) {
            object(functionCall.get(), at + ".function_call");
            text(required(functionCall.get(), "name", at + ".function_call.name"), at + ".function_call.name");
            text(required(functionCall.get(), "arguments", at + ".function_call.arguments"),
                 at + ".function_call.arguments");
        }
        boolean said = content.isPresent() || calls.map(c -> !c.isEmpty()).orElse(false)
                || optional(message, "refusal").isPresent() || audio.isPresent() || functionCall.isPresent();
        if (!said) {
            throw new InvalidRequestException(at + ": an assistant message needs content, tool_calls, refusal or "
                                                      + "audio", at + ".content");
        }
    }

    private static void toolCall(JsonNode call, String at) throws InvalidRequestException {
        object(call, at);
        text(required(call, "id", at + ".id"), at + ".id", 1, 1024);
        // Documented as required; a missing type is read as the only one there is, as OpenAI's SDKs write it.
        Optional<JsonNode> type = optional(call, "type");
        if (type.isPresent() && type.get().isTextual() && type.get().asText().equals("custom")) {
            throw new InvalidRequestException(at + ".type: 'custom' tool calls are not supported (expected: function)",
                                              at + ".type");
        }
        if (type.isPresent()) {
            oneOf(type.get(), at + ".type", Set.of("function"));
        }
        JsonNode function = object(required(call, "function", at + ".function"), at + ".function");
        text(required(function, "name", at + ".function.name"), at + ".function.name", 1, 256);
        JsonNode arguments = required(function, "arguments", at + ".function.arguments");
        if (!arguments.isTextual()) {
            throw wrong(arguments, at + ".function.arguments", "a string holding the arguments as JSON");
        }
    }

    /** A system, developer or tool message's content: a string, or text parts. */
    private static void textContent(JsonNode content, String at) throws InvalidRequestException {
        if (content.isArray()) {
            parts(content, at, Set.of("text"));
        } else {
            text(content, at);
        }
    }

    private static void userContent(JsonNode content, String at) throws InvalidRequestException {
        if (content.isArray()) {
            parts(content, at, Set.of("text", "image_url"));
        } else {
            text(content, at);
        }
    }

    private static void parts(JsonNode parts, String at, Set<String> kinds) throws InvalidRequestException {
        array(parts, at, 1, Integer.MAX_VALUE);
        for (int i = 0; i < parts.size(); i++) {
            String p = at + "[" + i + "]";
            JsonNode part = object(parts.get(i), p);
            JsonNode typeNode = required(part, "type", p + ".type");
            if (typeNode.isTextual() && Set.of("input_audio", "file").contains(typeNode.asText())
                    && !kinds.contains(typeNode.asText())) {
                throw new InvalidRequestException(p + ".type: '" + typeNode.asText() + "' parts are not supported "
                                                          + "(expected: " + String.join(" or ", kinds.stream()
                        .sorted().toList()) + ")", p + ".type");
            }
            String type = oneOf(typeNode, p + ".type", kinds);
            switch (type) {
            case "text" -> text(required(part, "text", p + ".text"), p + ".text");
            case "refusal" -> text(required(part, "refusal", p + ".refusal"), p + ".refusal");
            default -> {
                JsonNode image = object(required(part, "image_url", p + ".image_url"), p + ".image_url");
                text(required(image, "url", p + ".image_url.url"), p + ".image_url.url", 1, Integer.MAX_VALUE);
                ifPresent(image, "detail", p + ".image_url.detail", (v, path) -> oneOf(v, path, DETAIL));
            }
            }
        }
    }
}
