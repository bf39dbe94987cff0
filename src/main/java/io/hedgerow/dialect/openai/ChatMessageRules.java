package io.hedgerow.dialect.openai;

import com.fasterxml.jackson.databind.JsonNode;
import io.hedgerow.dialect.FieldCheck;
import io.hedgerow.dialect.InvalidRequestException;
import io.hedgerow.dialect.Where;

import java.util.Optional;
import java.util.Set;

import static io.hedgerow.dialect.FieldCheck.array;
import static io.hedgerow.dialect.FieldCheck.object;
import static io.hedgerow.dialect.FieldCheck.oneOf;
import static io.hedgerow.dialect.FieldCheck.optional;
import static io.hedgerow.dialect.FieldCheck.required;
import static io.hedgerow.dialect.FieldCheck.text;
import static io.hedgerow.dialect.FieldCheck.wrong;
import static io.hedgerow.dialect.openai.ChatRequestRules.present;

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
    private static final Set<String> TEXT = Set.of("text");
    private static final Set<String> USER = Set.of("text", "image_url");
    private static final Set<String> ASSISTANT = Set.of("text", "refusal");
    private static final Set<String> DETAIL = Set.of("auto", "low", "high");
    private static final Set<String> FUNCTION = Set.of("function");
    private static final Set<String> UNSUPPORTED_PARTS = Set.of("input_audio", "file");

    private ChatMessageRules() {
    }

    static void check(JsonNode message, Where at) throws InvalidRequestException {
        object(message, at);
        JsonNode roleNode = required(message, "role", at.field("role"));
        if (roleNode.isTextual() && roleNode.asText().equals("function")) {
            throw new InvalidRequestException(at.field("role") + ": 'function' is not supported (deprecated by "
                                                      + "OpenAI: send tool messages)", at.field("role").toString());
        }
        String role = oneOf(roleNode, at.field("role"), ROLES);
        present(message, "name", at, (v, p) -> text(v, p, 1, 256));
        switch (role) {
        case "developer", "system" -> content(required(message, "content", at.field("content")), at.field("content"),
                                              TEXT);
        case "user" -> content(required(message, "content", at.field("content")), at.field("content"), USER);
        case "tool" -> {
            content(required(message, "content", at.field("content")), at.field("content"), TEXT);
            text(required(message, "tool_call_id", at.field("tool_call_id")), at.field("tool_call_id"), 1, 1024);
        }
        default -> assistant(message, at);
        }
        if (!role.equals("tool") && optional(message, "tool_call_id").isPresent()) {
            throw new InvalidRequestException(at.field("tool_call_id") + " is only allowed on tool messages",
                                              at.field("tool_call_id").toString());
        }
        if (!role.equals("assistant") && optional(message, "tool_calls").isPresent()) {
            throw new InvalidRequestException(at.field("tool_calls") + " is only allowed on assistant messages",
                                              at.field("tool_calls").toString());
        }
    }

    private static void assistant(JsonNode message, Where at) throws InvalidRequestException {
        Optional<JsonNode> content = optional(message, "content");
        if (content.isPresent()) {
            content(content.get(), at.field("content"), ASSISTANT);
        }
        present(message, "refusal", at, FieldCheck::text);
        present(message, "audio", at, (v, p) -> {
            object(v, p);
            text(required(v, "id", p.field("id")), p.field("id"), 1, 1024);
        });
        present(message, "tool_calls", at, (v, p) -> {
            array(v, p);
            for (int i = 0; i < v.size(); i++) {
                toolCall(v.get(i), p.index(i));
            }
        });
        present(message, "function_call", at, (v, p) -> {
            object(v, p);
            text(required(v, "name", p.field("name")), p.field("name"));
            text(required(v, "arguments", p.field("arguments")), p.field("arguments"));
        });
        boolean said = content.isPresent() || optional(message, "tool_calls").map(c -> !c.isEmpty()).orElse(false)
                || optional(message, "refusal").isPresent() || optional(message, "audio").isPresent()
                || optional(message, "function_call").isPresent();
        if (!said) {
            throw new InvalidRequestException(at + ": an assistant message needs content, tool_calls, refusal or "
                                                      + "audio", at.field("content").toString());
        }
    }

    private static void toolCall(JsonNode call, Where at) throws InvalidRequestException {
        object(call, at);
        text(required(call, "id", at.field("id")), at.field("id"), 1, 1024);
        // Documented as required; a missing type is read as the only one there is, as OpenAI's SDKs write it.
        Optional<JsonNode> type = optional(call, "type");
        if (type.isPresent() && type.get().isTextual() && type.get().asText().equals("custom")) {
            throw new InvalidRequestException(at.field("type") + ": 'custom' tool calls are not supported (expected: "
                                                      + "function)", at.field("type").toString());
        }
        if (type.isPresent()) {
            oneOf(type.get(), at.field("type"), FUNCTION);
        }
        Where f = at.field("function");
        JsonNode function = object(required(call, "function", f), f);
        text(required(function, "name", f.field("name")), f.field("name"), 1, 256);
        JsonNode arguments = required(function, "arguments", f.field("arguments"));
        if (!arguments.isTextual()) {
            throw wrong(arguments, f.field("arguments"), "a string holding the arguments as JSON");
        }
    }

    /** A message's content: a string, or at least one part of the kinds given. */
    private static void content(JsonNode content, Where at, Set<String> kinds) throws InvalidRequestException {
        if (!content.isArray()) {
            text(content, at);
            return;
        }
        array(content, at, 1, Integer.MAX_VALUE);
        for (int i = 0; i < content.size(); i++) {
            Where p = at.index(i);
            JsonNode part = object(content.get(i), p);
            JsonNode typeNode = required(part, "type", p.field("type"));
            if (typeNode.isTextual() && !kinds.contains(typeNode.asText())
                    && UNSUPPORTED_PARTS.contains(typeNode.asText())) {
                throw new InvalidRequestException(p.field("type") + ": '" + typeNode.asText() + "' parts are not "
                                                          + "supported (expected: " + String.join(" or ", kinds
                        .stream().sorted().toList()) + ")", p.field("type").toString());
            }
            switch (oneOf(typeNode, p.field("type"), kinds)) {
            case "text" -> text(required(part, "text", p.field("text")), p.field("text"));
            case "refusal" -> text(required(part, "refusal", p.field("refusal")), p.field("refusal"));
            default -> {
                Where image = p.field("image_url");
                object(required(part, "image_url", image), image);
                text(required(part.get("image_url"), "url", image.field("url")), image.field("url"), 1,
                     Integer.MAX_VALUE);
                present(part.get("image_url"), "detail", image, (v, d) -> oneOf(v, d, DETAIL));
            }
            }
        }
    }
}
