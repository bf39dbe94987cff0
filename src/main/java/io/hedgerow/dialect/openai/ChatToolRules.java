package io.hedgerow.dialect.openai;

import com.fasterxml.jackson.databind.JsonNode;
import io.hedgerow.dialect.FieldCheck;
import io.hedgerow.dialect.InvalidRequestException;
import io.hedgerow.dialect.Where;

import java.util.Set;

import static io.hedgerow.dialect.FieldCheck.array;
import static io.hedgerow.dialect.FieldCheck.matching;
import static io.hedgerow.dialect.FieldCheck.object;
import static io.hedgerow.dialect.FieldCheck.oneOf;
import static io.hedgerow.dialect.FieldCheck.required;
import static io.hedgerow.dialect.FieldCheck.text;
import static io.hedgerow.dialect.openai.ChatRequestRules.NAME;
import static io.hedgerow.dialect.openai.ChatRequestRules.NAME_EXPECTED;
import static io.hedgerow.dialect.openai.ChatRequestRules.present;

/**
 * A Chat Completions request's tools, as documented: {@code tools} (function tools only: a custom tool is refused,
 * as Hedgerow cannot carry one to every provider), the deprecated {@code functions}, {@code tool_choice} ({@code none},
 * {@code auto}, {@code required} or a named function; {@code allowed_tools} and custom choices are refused),
 * {@code function_call} and {@code parallel_tool_calls}. A function's name is letters, digits, {@code _} and {@code -},
 * at most 64, its {@code parameters} an object (a JSON Schema, not looked into), {@code strict} a boolean.
 */
final class ChatToolRules {
    private static final Set<String> FUNCTION = Set.of("function");
    private static final Set<String> CHOICES = Set.of("none", "auto", "required");

    private ChatToolRules() {
    }

    static void check(JsonNode body, Where w) throws InvalidRequestException {
        present(body, "tools", w, (v, p) -> {
            array(v, p);
            for (int i = 0; i < v.size(); i++) {
                Where at = p.index(i);
                JsonNode tool = object(v.get(i), at);
                JsonNode type = required(tool, "type", at.field("type"));
                if (type.isTextual() && type.asText().equals("custom")) {
                    throw new InvalidRequestException(at.field("type") + ": 'custom' tools are not supported "
                                                              + "(expected: function)", at.field("type").toString());
                }
                oneOf(type, at.field("type"), FUNCTION);
                function(required(tool, "function", at.field("function")), at.field("function"));
            }
        });
        present(body, "functions", w, (v, p) -> {
            array(v, p, 1, 128);
            for (int i = 0; i < v.size(); i++) {
                function(v.get(i), p.index(i));
            }
        });
        present(body, "tool_choice", w, (v, p) -> {
            if (v.isTextual()) {
                oneOf(v, p, CHOICES);
                return;
            }
            object(v, p);
            JsonNode type = required(v, "type", p.field("type"));
            if (type.isTextual() && Set.of("allowed_tools", "custom").contains(type.asText())) {
                throw new InvalidRequestException(p.field("type") + ": '" + type.asText() + "' is not supported "
                                                          + "(expected: none, auto, required or a function)",
                                                  p.field("type").toString());
            }
            oneOf(type, p.field("type"), FUNCTION);
            Where at = p.field("function");
            JsonNode function = object(required(v, "function", at), at);
            matching(required(function, "name", at.field("name")), at.field("name"), NAME, NAME_EXPECTED);
        });
        present(body, "function_call", w, (v, p) -> {
            if (v.isTextual()) {
                oneOf(v, p, Set.of("none", "auto"));
            } else {
                object(v, p);
                text(required(v, "name", p.field("name")), p.field("name"), 1, 64);
            }
        });
        present(body, "parallel_tool_calls", w, FieldCheck::bool);
    }

    private static void function(JsonNode function, Where at) throws InvalidRequestException {
        object(function, at);
        matching(required(function, "name", at.field("name")), at.field("name"), NAME, NAME_EXPECTED);
        present(function, "description", at, FieldCheck::text);
        present(function, "parameters", at, FieldCheck::object);
        present(function, "strict", at, FieldCheck::bool);
    }
}
