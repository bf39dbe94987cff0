package io.hedgerow.dialect.openai;

import com.fasterxml.jackson.databind.JsonNode;
import io.hedgerow.dialect.FieldCheck;
import io.hedgerow.dialect.InvalidRequestException;

import java.util.Iterator;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

import static io.hedgerow.dialect.FieldCheck.array;
import static io.hedgerow.dialect.FieldCheck.bool;
import static io.hedgerow.dialect.FieldCheck.ifPresent;
import static io.hedgerow.dialect.FieldCheck.integer;
import static io.hedgerow.dialect.FieldCheck.longInteger;
import static io.hedgerow.dialect.FieldCheck.matching;
import static io.hedgerow.dialect.FieldCheck.number;
import static io.hedgerow.dialect.FieldCheck.object;
import static io.hedgerow.dialect.FieldCheck.oneOf;
import static io.hedgerow.dialect.FieldCheck.required;
import static io.hedgerow.dialect.FieldCheck.text;
import static io.hedgerow.dialect.FieldCheck.wrong;

/**
 * A Chat Completions request checked against OpenAI's documented types and ranges (the API reference and its OpenAPI
 * description, {@code CreateChatCompletionRequest}), every field Hedgerow knows, at every level, before anything
 * is routed: a request that passes may be sent upstream as the client wrote it. Each refusal names the field by its
 * path ({@code messages[2].tool_calls[0].function.arguments}) in {@code param}. A JSON {@code null} is an absent
 * field, as in the API.
 *
 * <p>A field OpenAI does not document (at the top level or inside a message or part) is some OpenAI-compatible
 * provider's extension (OpenRouter's {@code provider}, vLLM's {@code top_k}, a part's {@code cache_control}): it is
 * passed through as written, to OpenAI-compatible upstreams only, when its name is a plain identifier (letters,
 * digits, {@code _ - .}, at most 64 characters). Its value has passed the bounded reader (well-formed, strict UTF-8,
 * within the body's limits, numbers exact).
 */
public final class ChatRequestRules {
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_-]{1,64}");
    private static final Pattern EXTENSION = Pattern.compile("[A-Za-z0-9_.-]{1,64}");
    private static final Set<String> TOOL_CHOICE = Set.of("none", "auto", "required");

    private ChatRequestRules() {
    }

    /** Checks a request body; the first problem found is thrown. */
    public static void check(JsonNode body) throws InvalidRequestException {
        if (body == null || !body.isObject()) {
            throw new InvalidRequestException("the request body must be a JSON object", Optional.empty());
        }
        text(required(body, "model", "model"), "model", 1, 256);
        JsonNode messages = array(required(body, "messages", "messages"), "messages", 1, Integer.MAX_VALUE);
        for (int i = 0; i < messages.size(); i++) {
            ChatMessageRules.check(messages.get(i), "messages[" + i + "]");
        }
        sampling(body);
        output(body);
        tools(body);
        misc(body);
        extensionNames(body);
    }

    /** How tokens are chosen and how many. */
    private static void sampling(JsonNode body) throws InvalidRequestException {
        ifPresent(body, "temperature", "temperature", (v, p) -> number(v, p, 0, 2));
        ifPresent(body, "top_p", "top_p", (v, p) -> number(v, p, 0, 1));
        ifPresent(body, "frequency_penalty", "frequency_penalty", (v, p) -> number(v, p, -2, 2));
        ifPresent(body, "presence_penalty", "presence_penalty", (v, p) -> number(v, p, -2, 2));
        ifPresent(body, "n", "n", (v, p) -> {
            if (integer(v, p, 1, 128) != 1) {
                throw wrong(v, p, "1: Hedgerow answers with one choice");
            }
        });
        ifPresent(body, "max_tokens", "max_tokens", (v, p) -> integer(v, p, 1, Integer.MAX_VALUE));
        ifPresent(body, "max_completion_tokens", "max_completion_tokens", (v, p) -> integer(v, p, 1, Integer.MAX_VALUE));
        ifPresent(body, "seed", "seed", (v, p) -> longInteger(v, p, Long.MIN_VALUE, Long.MAX_VALUE));
        ifPresent(body, "stop", "stop", (v, p) -> {
            if (v.isArray()) {
                array(v, p, 1, 4);
                for (int i = 0; i < v.size(); i++) {
                    text(v.get(i), p + "[" + i + "]");
                }
            } else if (!v.isTextual()) {
                throw wrong(v, p, "a string, or an array of 1 to 4 strings");
            }
        });
        ifPresent(body, "logit_bias", "logit_bias", (v, p) -> {
            object(v, p);
            for (Iterator<Map.Entry<String, JsonNode>> it = v.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> bias = it.next();
                if (!bias.getKey().matches("\\d{1,10}")) {
                    throw new InvalidRequestException(p + ": keys are token ids (expected: digits)", p);
                }
                integer(bias.getValue(), p + "." + bias.getKey(), -100, 100);
            }
        });
        ifPresent(body, "logprobs", "logprobs", FieldCheck::bool);
        ifPresent(body, "top_logprobs", "top_logprobs", (v, p) -> integer(v, p, 0, 20));
        ifPresent(body, "reasoning_effort", "reasoning_effort",
                  (v, p) -> oneOf(v, p, Set.of("none", "minimal", "low", "medium", "high", "xhigh", "max")));
        ifPresent(body, "verbosity", "verbosity", (v, p) -> oneOf(v, p, Set.of("low", "medium", "high")));
        ifPresent(body, "prediction", "prediction", (v, p) -> {
            object(v, p);
            oneOf(required(v, "type", p + ".type"), p + ".type", Set.of("content"));
            JsonNode content = required(v, "content", p + ".content");
            if (content.isArray()) {
                array(content, p + ".content", 1, Integer.MAX_VALUE);
                for (int i = 0; i < content.size(); i++) {
                    String at = p + ".content[" + i + "]";
                    object(content.get(i), at);
                    oneOf(required(content.get(i), "type", at + ".type"), at + ".type", Set.of("text"));
                    text(required(content.get(i), "text", at + ".text"), at + ".text");
                }
            } else {
                text(content, p + ".content");
            }
        });
    }

    /** What comes back and how. */
    private static void output(JsonNode body) throws InvalidRequestException {
        ifPresent(body, "stream", "stream", FieldCheck::bool);
        ifPresent(body, "stream_options", "stream_options", (v, p) -> {
            object(v, p);
            ifPresent(v, "include_usage", p + ".include_usage", FieldCheck::bool);
            ifPresent(v, "include_obfuscation", p + ".include_obfuscation", FieldCheck::bool);
        });
        ifPresent(body, "response_format", "response_format", (v, p) -> {
            object(v, p);
            String type = oneOf(required(v, "type", p + ".type"), p + ".type",
                                Set.of("text", "json_object", "json_schema"));
            if (type.equals("json_schema")) {
                JsonNode schema = object(required(v, "json_schema", p + ".json_schema"), p + ".json_schema");
                matching(required(schema, "name", p + ".json_schema.name"), p + ".json_schema.name", NAME,
                         "letters, digits, _ and -, at most 64");
                ifPresent(schema, "description", p + ".json_schema.description", FieldCheck::text);
                ifPresent(schema, "schema", p + ".json_schema.schema", FieldCheck::object);
                ifPresent(schema, "strict", p + ".json_schema.strict", FieldCheck::bool);
            }
        });
        ifPresent(body, "modalities", "modalities", (v, p) -> {
            array(v, p);
            for (int i = 0; i < v.size(); i++) {
                oneOf(v.get(i), p + "[" + i + "]", Set.of("text", "audio"));
            }
        });
        ifPresent(body, "audio", "audio", (v, p) -> {
            object(v, p);
            JsonNode voice = required(v, "voice", p + ".voice");
            if (voice.isObject()) {
                text(required(voice, "id", p + ".voice.id"), p + ".voice.id", 1, 256);
            } else {
                text(voice, p + ".voice", 1, 256);
            }
            oneOf(required(v, "format", p + ".format"), p + ".format",
                  Set.of("wav", "aac", "mp3", "flac", "opus", "pcm16"));
        });
    }

    /** Tools the model may call, and which. */
    private static void tools(JsonNode body) throws InvalidRequestException {
        ifPresent(body, "tools", "tools", (v, p) -> {
            array(v, p);
            for (int i = 0; i < v.size(); i++) {
                String at = p + "[" + i + "]";
                JsonNode tool = object(v.get(i), at);
                JsonNode type = required(tool, "type", at + ".type");
                if (type.isTextual() && type.asText().equals("custom")) {
                    throw new InvalidRequestException(at + ".type: 'custom' tools are not supported (expected: "
                                                              + "function)", at + ".type");
                }
                oneOf(type, at + ".type", Set.of("function"));
                function(required(tool, "function", at + ".function"), at + ".function");
            }
        });
        ifPresent(body, "functions", "functions", (v, p) -> {
            array(v, p, 1, 128);
            for (int i = 0; i < v.size(); i++) {
                function(v.get(i), p + "[" + i + "]");
            }
        });
        ifPresent(body, "tool_choice", "tool_choice", (v, p) -> {
            if (v.isTextual()) {
                oneOf(v, p, TOOL_CHOICE);
                return;
            }
            object(v, p);
            JsonNode type = required(v, "type", p + ".type");
            if (type.isTextual() && Set.of("allowed_tools", "custom").contains(type.asText())) {
                throw new InvalidRequestException(p + ".type: '" + type.asText() + "' is not supported "
                                                          + "(expected: none, auto, required or a function)",
                                                  p + ".type");
            }
            oneOf(type, p + ".type", Set.of("function"));
            JsonNode function = object(required(v, "function", p + ".function"), p + ".function");
            matching(required(function, "name", p + ".function.name"), p + ".function.name", NAME,
                     "letters, digits, _ and -, at most 64");
        });
        ifPresent(body, "function_call", "function_call", (v, p) -> {
            if (v.isTextual()) {
                oneOf(v, p, Set.of("none", "auto"));
            } else {
                object(v, p);
                text(required(v, "name", p + ".name"), p + ".name", 1, 64);
            }
        });
        ifPresent(body, "parallel_tool_calls", "parallel_tool_calls", FieldCheck::bool);
    }

    private static void function(JsonNode function, String at) throws InvalidRequestException {
        object(function, at);
        matching(required(function, "name", at + ".name"), at + ".name", NAME,
                 "letters, digits, _ and -, at most 64");
        ifPresent(function, "description", at + ".description", FieldCheck::text);
        ifPresent(function, "parameters", at + ".parameters", FieldCheck::object);
        ifPresent(function, "strict", at + ".strict", FieldCheck::bool);
    }

    /** Who asks, and what is kept. */
    private static void misc(JsonNode body) throws InvalidRequestException {
        ifPresent(body, "user", "user", (v, p) -> text(v, p, 0, 256));
        ifPresent(body, "safety_identifier", "safety_identifier", (v, p) -> text(v, p, 0, 64));
        ifPresent(body, "prompt_cache_key", "prompt_cache_key", (v, p) -> text(v, p, 0, 1024));
        ifPresent(body, "prompt_cache_retention", "prompt_cache_retention",
                  (v, p) -> oneOf(v, p, Set.of("in_memory", "24h")));
        ifPresent(body, "service_tier", "service_tier",
                  (v, p) -> oneOf(v, p, Set.of("auto", "default", "flex", "scale", "priority", "fast")));
        ifPresent(body, "store", "store", FieldCheck::bool);
        ifPresent(body, "metadata", "metadata", (v, p) -> {
            object(v, p);
            if (v.size() > 16) {
                throw wrong(v, p, "at most 16 pairs");
            }
            for (Iterator<Map.Entry<String, JsonNode>> it = v.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> pair = it.next();
                if (pair.getKey().length() > 64) {
                    throw new InvalidRequestException(p + ": a key longer than 64 characters", p);
                }
                text(pair.getValue(), p + "." + pair.getKey(), 0, 512);
            }
        });
        ifPresent(body, "web_search_options", "web_search_options", (v, p) -> {
            object(v, p);
            ifPresent(v, "search_context_size", p + ".search_context_size",
                      (s, sp) -> oneOf(s, sp, Set.of("low", "medium", "high")));
            ifPresent(v, "user_location", p + ".user_location", (u, up) -> {
                object(u, up);
                oneOf(required(u, "type", up + ".type"), up + ".type", Set.of("approximate"));
                object(required(u, "approximate", up + ".approximate"), up + ".approximate");
            });
        });
        ifPresent(body, "moderation", "moderation", FieldCheck::object);
        ifPresent(body, "prompt_cache_options", "prompt_cache_options", FieldCheck::object);
    }

    /**
     * Names OpenAI does not document are passed through, so each must be a plain identifier: those of the request,
     * of each message and of each content part. Deeper objects are free-form by the API's own terms (tool parameters,
     * JSON schemas, metadata) or belong to the extension that holds them.
     */
    private static void extensionNames(JsonNode body) throws InvalidRequestException {
        names(body, "");
        JsonNode messages = body.get("messages");
        for (int i = 0; i < messages.size(); i++) {
            String at = "messages[" + i + "]";
            names(messages.get(i), at);
            JsonNode content = messages.get(i).get("content");
            if (content != null && content.isArray()) {
                for (int k = 0; k < content.size(); k++) {
                    names(content.get(k), at + ".content[" + k + "]");
                }
            }
        }
    }

    private static void names(JsonNode object, String at) throws InvalidRequestException {
        for (Iterator<String> it = object.fieldNames(); it.hasNext(); ) {
            if (!EXTENSION.matcher(it.next()).matches()) {
                throw new InvalidRequestException((at.isEmpty() ? "the request" : at) + " holds a field whose name is "
                                                          + "not a plain identifier (expected: letters, digits, "
                                                          + "_ - and ., at most 64)",
                                                  at.isEmpty() ? Optional.empty() : Optional.of(at));
            }
        }
    }
}
