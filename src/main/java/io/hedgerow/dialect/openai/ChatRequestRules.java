package io.hedgerow.dialect.openai;

import com.fasterxml.jackson.databind.JsonNode;
import io.hedgerow.dialect.FieldCheck;
import io.hedgerow.dialect.InvalidRequestException;
import io.hedgerow.dialect.Where;

import java.util.Iterator;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

import static io.hedgerow.dialect.FieldCheck.array;
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
 *
 * <p>The checks run once over {@link Where#NOWHERE}, which spells out no path; only a request that fails is checked
 * again from {@link Where#root()}, to name the field.
 */
public final class ChatRequestRules {
    static final Pattern NAME = Pattern.compile("[A-Za-z0-9_-]{1,64}");
    static final String NAME_EXPECTED = "letters, digits, _ and -, at most 64";
    private static final Set<String> EFFORT = Set.of("none", "minimal", "low", "medium", "high", "xhigh", "max");
    private static final Set<String> LEVELS = Set.of("low", "medium", "high");
    private static final Set<String> TIERS = Set.of("auto", "default", "flex", "scale", "priority", "fast");
    private static final Set<String> FORMATS = Set.of("text", "json_object", "json_schema");
    private static final Set<String> AUDIO = Set.of("wav", "aac", "mp3", "flac", "opus", "pcm16");

    private ChatRequestRules() {
    }

    /** A check of a field found at {@code at}. */
    @FunctionalInterface
    interface Check {
        void accept(JsonNode value, Where at) throws InvalidRequestException;
    }

    /** Runs {@code check} on {@code parent.field} when it is present and not null. */
    static void present(JsonNode parent, String field, Where at, Check check) throws InvalidRequestException {
        JsonNode value = parent.get(field);
        if (value != null && !value.isNull()) {
            check.accept(value, at.field(field));
        }
    }

    /** Checks a request body; the first problem found is thrown. */
    public static void check(JsonNode body) throws InvalidRequestException {
        try {
            check(body, Where.NOWHERE);
        } catch (InvalidRequestException quick) {
            check(body, Where.root());
            throw quick;
        }
    }

    private static void check(JsonNode body, Where w) throws InvalidRequestException {
        if (body == null || !body.isObject()) {
            throw new InvalidRequestException("the request body must be a JSON object", Optional.empty());
        }
        text(required(body, "model", w.field("model")), w.field("model"), 1, 256);
        Where at = w.field("messages");
        JsonNode messages = array(required(body, "messages", at), at, 1, Integer.MAX_VALUE);
        for (int i = 0; i < messages.size(); i++) {
            ChatMessageRules.check(messages.get(i), at.index(i));
        }
        sampling(body, w);
        output(body, w);
        ChatToolRules.check(body, w);
        misc(body, w);
        extensionNames(body, w);
    }

    /** How tokens are chosen and how many. */
    private static void sampling(JsonNode body, Where w) throws InvalidRequestException {
        present(body, "temperature", w, (v, p) -> number(v, p, 0, 2));
        present(body, "top_p", w, (v, p) -> number(v, p, 0, 1));
        present(body, "frequency_penalty", w, (v, p) -> number(v, p, -2, 2));
        present(body, "presence_penalty", w, (v, p) -> number(v, p, -2, 2));
        present(body, "n", w, (v, p) -> {
            if (integer(v, p, 1, 128) != 1) {
                throw wrong(v, p, "1: Hedgerow answers with one choice");
            }
        });
        present(body, "max_tokens", w, (v, p) -> integer(v, p, 1, Integer.MAX_VALUE));
        present(body, "max_completion_tokens", w, (v, p) -> integer(v, p, 1, Integer.MAX_VALUE));
        present(body, "seed", w, (v, p) -> longInteger(v, p, Long.MIN_VALUE, Long.MAX_VALUE));
        present(body, "stop", w, (v, p) -> {
            if (v.isArray()) {
                array(v, p, 1, 4);
                for (int i = 0; i < v.size(); i++) {
                    text(v.get(i), p.index(i));
                }
            } else if (!v.isTextual()) {
                throw wrong(v, p, "a string, or an array of 1 to 4 strings");
            }
        });
        present(body, "logit_bias", w, (v, p) -> {
            object(v, p);
            for (Iterator<Map.Entry<String, JsonNode>> it = v.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> bias = it.next();
                if (!bias.getKey().matches("\\d{1,10}")) {
                    throw new InvalidRequestException(p + ": keys are token ids (expected: digits)", p.toString());
                }
                integer(bias.getValue(), p.field(bias.getKey()), -100, 100);
            }
        });
        present(body, "logprobs", w, FieldCheck::bool);
        present(body, "top_logprobs", w, (v, p) -> integer(v, p, 0, 20));
        present(body, "reasoning_effort", w,
                (v, p) -> oneOf(v, p, EFFORT));
        present(body, "verbosity", w, (v, p) -> oneOf(v, p, LEVELS));
        present(body, "prediction", w, (v, p) -> {
            object(v, p);
            oneOf(required(v, "type", p.field("type")), p.field("type"), Set.of("content"));
            Where at = p.field("content");
            JsonNode content = required(v, "content", at);
            if (content.isArray()) {
                array(content, at, 1, Integer.MAX_VALUE);
                for (int i = 0; i < content.size(); i++) {
                    Where part = at.index(i);
                    object(content.get(i), part);
                    oneOf(required(content.get(i), "type", part.field("type")), part.field("type"), Set.of("text"));
                    text(required(content.get(i), "text", part.field("text")), part.field("text"));
                }
            } else {
                text(content, at);
            }
        });
    }

    /** What comes back and how. */
    private static void output(JsonNode body, Where w) throws InvalidRequestException {
        present(body, "stream", w, FieldCheck::bool);
        present(body, "stream_options", w, (v, p) -> {
            object(v, p);
            present(v, "include_usage", p, FieldCheck::bool);
            present(v, "include_obfuscation", p, FieldCheck::bool);
        });
        present(body, "response_format", w, (v, p) -> {
            object(v, p);
            String type = oneOf(required(v, "type", p.field("type")), p.field("type"),
                                FORMATS);
            if (type.equals("json_schema")) {
                Where at = p.field("json_schema");
                JsonNode schema = object(required(v, "json_schema", at), at);
                matching(required(schema, "name", at.field("name")), at.field("name"), NAME, NAME_EXPECTED);
                present(schema, "description", at, FieldCheck::text);
                present(schema, "schema", at, FieldCheck::object);
                present(schema, "strict", at, FieldCheck::bool);
            }
        });
        present(body, "modalities", w, (v, p) -> {
            array(v, p);
            for (int i = 0; i < v.size(); i++) {
                oneOf(v.get(i), p.index(i), Set.of("text", "audio"));
            }
        });
        present(body, "audio", w, (v, p) -> {
            object(v, p);
            Where at = p.field("voice");
            JsonNode voice = required(v, "voice", at);
            if (voice.isObject()) {
                text(required(voice, "id", at.field("id")), at.field("id"), 1, 256);
            } else {
                text(voice, at, 1, 256);
            }
            oneOf(required(v, "format", p.field("format")), p.field("format"),
                  AUDIO);
        });
    }

    /** Who asks, and what is kept. */
    private static void misc(JsonNode body, Where w) throws InvalidRequestException {
        present(body, "user", w, (v, p) -> text(v, p, 0, 256));
        present(body, "safety_identifier", w, (v, p) -> text(v, p, 0, 64));
        present(body, "prompt_cache_key", w, (v, p) -> text(v, p, 0, 1024));
        present(body, "prompt_cache_retention", w, (v, p) -> oneOf(v, p, Set.of("in_memory", "24h")));
        present(body, "service_tier", w,
                (v, p) -> oneOf(v, p, TIERS));
        present(body, "store", w, FieldCheck::bool);
        present(body, "metadata", w, (v, p) -> {
            object(v, p);
            if (v.size() > 16) {
                throw wrong(v, p, "at most 16 pairs");
            }
            for (Iterator<Map.Entry<String, JsonNode>> it = v.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> pair = it.next();
                if (pair.getKey().length() > 64) {
                    throw new InvalidRequestException(p + ": a key longer than 64 characters", p.toString());
                }
                text(pair.getValue(), p.field(pair.getKey()), 0, 512);
            }
        });
        present(body, "web_search_options", w, (v, p) -> {
            object(v, p);
            present(v, "search_context_size", p, (s, sp) -> oneOf(s, sp, LEVELS));
            present(v, "user_location", p, (u, up) -> {
                object(u, up);
                oneOf(required(u, "type", up.field("type")), up.field("type"), Set.of("approximate"));
                object(required(u, "approximate", up.field("approximate")), up.field("approximate"));
            });
        });
        present(body, "moderation", w, FieldCheck::object);
        present(body, "prompt_cache_options", w, FieldCheck::object);
    }

    /**
     * Names OpenAI does not document are passed through, so each must be a plain identifier: those of the request,
     * of each message and of each content part. Deeper objects are free-form by the API's own terms (tool parameters,
     * JSON schemas, metadata) or belong to the extension that holds them.
     */
    private static void extensionNames(JsonNode body, Where w) throws InvalidRequestException {
        names(body, w);
        JsonNode messages = body.get("messages");
        Where at = w.field("messages");
        for (int i = 0; i < messages.size(); i++) {
            names(messages.get(i), at.index(i));
            JsonNode content = messages.get(i).get("content");
            if (content != null && content.isArray()) {
                for (int k = 0; k < content.size(); k++) {
                    names(content.get(k), at.index(i).field("content").index(k));
                }
            }
        }
    }

    /** Letters, digits, {@code _ - .}, 1 to 64 of them (by hand: this runs for every field of every message). */
    private static boolean plainName(String name) {
        if (name.isEmpty() || name.length() > 64) {
            return false;
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (!(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-'
                    || c == '.')) {
                return false;
            }
        }
        return true;
    }

    private static void names(JsonNode object, Where at) throws InvalidRequestException {
        for (Iterator<String> it = object.fieldNames(); it.hasNext(); ) {
            if (!plainName(it.next())) {
                boolean top = at == Where.root();
                throw new InvalidRequestException((top ? "the request" : at) + " holds a field whose name is not a "
                                                          + "plain identifier (expected: letters, digits, _ - and ., "
                                                          + "at most 64)",
                                                  top ? Optional.empty() : Optional.of(at.toString()));
            }
        }
    }
}
