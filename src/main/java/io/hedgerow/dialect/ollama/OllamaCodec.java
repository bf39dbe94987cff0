package io.hedgerow.dialect.ollama;

import io.hedgerow.model.ChatRequest;
import io.hedgerow.model.ChatResponse;
import io.hedgerow.model.ContentPart;
import io.hedgerow.model.FailureKind;
import io.hedgerow.model.FinishReason;
import io.hedgerow.model.Message;
import io.hedgerow.model.ResponseFormat;
import io.hedgerow.model.Role;
import io.hedgerow.model.ToolCall;
import io.hedgerow.model.ToolChoice;
import io.hedgerow.model.ToolDefinition;
import io.hedgerow.model.Usage;
import io.hedgerow.dialect.DialectException;
import io.hedgerow.dialect.ResponseFormats;
import io.hedgerow.json.Json;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.cfg.JsonNodeFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Translates between the canonical model and Ollama's {@code /api/chat} JSON. Stateless; the streaming
 * side keeps its own counters and calls {@link #toolCalls(JsonNode, int)} per chunk.
 *
 * <p>Canonical to Ollama:
 * <ul>
 *     <li>roles: system, user, assistant and tool are kept; developer becomes system (Ollama has no developer
 *     role). The participant {@code name} is dropped: Ollama has no such field.</li>
 *     <li>text parts are joined with a newline into {@code content}; {@code data:} image URLs become base64
 *     strings in {@code images}; http(s) image URLs are refused with {@code BAD_REQUEST}, since Ollama only
 *     takes inline image bytes and fetching URLs on a client's behalf is not ours to do.</li>
 *     <li>assistant tool calls become {@code tool_calls: [{id, function: {name, arguments}}]} where
 *     {@code arguments} is the call's JSON text parsed into an object; text that is not a JSON object is
 *     refused with {@code BAD_REQUEST} rather than altered.</li>
 *     <li>tool results keep their content and carry {@code tool_call_id}, and {@code tool_name} when an
 *     earlier assistant message holds a call with that id (older Ollama versions only know the name; newer
 *     ones read the id; unknown fields are ignored by both).</li>
 *     <li>sampling goes to {@code options}: {@code temperature}, {@code top_p}, {@code stop}, and max tokens as
 *     {@code num_predict}.</li>
 *     <li>{@code tool_choice: none} leaves the tools out; Ollama cannot force a tool call, so a named function is
 *     the only tool offered and {@code required} offers them all (the model may still answer in text: refusing
 *     instead would break every local-only route of a client that forces tools, Claude Code's among them; the
 *     docs' table says so). Of the OpenAI fields passed through, those
 *     with an Ollama equivalent are translated ({@link #openAiFields}); the others are not sent.</li>
 * </ul>
 *
 * <p>Ollama to canonical: tool calls take Ollama's {@code id} when it sends one (0.12.10 and later), else
 * {@link #toolCallId(int, String, String)}; arguments are the JSON text of the {@code arguments} object.
 * The finish reason is {@code TOOL_CALLS} when the answer has tool calls, {@code LENGTH} for
 * {@code done_reason: "length"}, else {@code STOP}. Usage comes from {@code prompt_eval_count} and
 * {@code eval_count}; Ollama omits a count that is zero (a fully cached prompt), so a missing count reads as 0
 * when the other is present, and usage is absent only when both are. The {@code thinking} text of reasoning
 * models is the answer's reasoning.
 *
 * <p>Numbers in tool arguments are read as {@code BigDecimal}, so {@code 1.10} stays {@code 1.10} across
 * the parse-and-write that Ollama's object-typed arguments force on us; duplicate keys are refused instead
 * of silently keeping the last one.
 */
public final class OllamaCodec {
    /** Strict JSON: exact decimals (trailing zeros kept), no trailing garbage, no duplicate keys. */
    public static final ObjectReader STRICT = Json.MAPPER.reader()
            .with(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .without(JsonNodeFeature.STRIP_TRAILING_BIGDECIMAL_ZEROES)
            .with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .with(StreamReadFeature.STRICT_DUPLICATE_DETECTION);

    private OllamaCodec() {
    }

    /**
     * The {@code /api/chat} body for a request.
     *
     * @param request the request, role map already applied
     * @param model   the upstream model name
     * @param stream  the value of Ollama's {@code stream} flag
     * @throws DialectException {@code BAD_REQUEST} when the request cannot be expressed for Ollama
     */
    public static ObjectNode request(ChatRequest request, String model, boolean stream) throws DialectException {
        ObjectNode body = Json.object();
        body.put("model", model);
        ArrayNode messages = body.putArray("messages");
        Map<String, String> toolNames = new HashMap<>();
        for (int i = 0; i < request.messages().size(); i++) {
            Message message = request.messages().get(i);
            messages.add(message(message, i, toolNames));
            for (ToolCall call : message.toolCalls()) {
                toolNames.putIfAbsent(call.id(), call.name());
            }
        }
        body.put("stream", stream);
        ToolChoice choice = request.toolChoice().orElse(null);
        if (!request.tools().isEmpty() && !(choice instanceof ToolChoice.None)) {
            ArrayNode tools = body.putArray("tools");
            for (ToolDefinition tool : request.tools()) {
                if (choice instanceof ToolChoice.Function named && !named.name().equals(tool.name())) {
                    continue;
                }
                ObjectNode function = tools.addObject().put("type", "function").putObject("function");
                function.put("name", tool.name());
                function.put("description", tool.description());
                function.set("parameters", Json.toTree(tool.parameters()));
            }
        }
        ObjectNode options = options(request.sampling());
        openAiFields(request, body, options);
        if (!options.isEmpty()) {
            body.set("options", options);
        }
        return body;
    }

    /**
     * The OpenAI fields Ollama has an equivalent of: the answer format as {@code format} ({@code "json"}, or the
     * JSON schema), {@code seed}, {@code frequency_penalty} and {@code presence_penalty} in {@code options}, and
     * {@code reasoning_effort} as {@code think} ({@code false} for {@code none} and {@code minimal}, else
     * {@code true}).
     */
    private static void openAiFields(ChatRequest request, ObjectNode body, ObjectNode options)
            throws DialectException {
        Optional<ResponseFormat> format = ResponseFormats.of(request);
        if (format.isPresent()) {
            switch (format.get()) {
            case ResponseFormat.JsonObject o -> body.put("format", "json");
            case ResponseFormat.JsonSchema s -> body.set("format", Json.toTree(s.schema()));
            }
        }
        Map<String, Object> fields = request.passthrough();
        if (fields.get("seed") instanceof Number seed) {
            options.put("seed", seed.longValue());
        }
        for (String penalty : List.of("frequency_penalty", "presence_penalty")) {
            if (fields.get(penalty) instanceof Number value) {
                options.put(penalty, value.doubleValue());
            }
        }
        if (fields.get("reasoning_effort") instanceof String effort) {
            // Levels are for some models only (gpt-oss); a level another model refuses would fail the call.
            body.put("think", !effort.equals("none") && !effort.equals("minimal"));
        }
    }

    private static ObjectNode message(Message message, int index, Map<String, String> toolNames)
            throws DialectException {
        ObjectNode out = Json.object();
        out.put("role", message.role() == Role.DEVELOPER ? "system" : message.role().wireName());
        List<String> texts = new ArrayList<>();
        List<String> images = new ArrayList<>();
        for (ContentPart part : message.content()) {
            switch (part) {
            case ContentPart.Text text -> texts.add(text.text());
            case ContentPart.Image image -> images.add(imageBase64(image.url(), index));
            }
        }
        // Separate parts are separate paragraphs to the model; gluing them could merge two words.
        out.put("content", String.join("\n", texts));
        if (!images.isEmpty()) {
            ArrayNode array = out.putArray("images");
            images.forEach(array::add);
        }
        if (message.role() == Role.ASSISTANT && !message.toolCalls().isEmpty()) {
            ArrayNode calls = out.putArray("tool_calls");
            for (ToolCall call : message.toolCalls()) {
                ObjectNode wire = calls.addObject();
                wire.put("id", call.id());
                ObjectNode function = wire.putObject("function");
                function.put("name", call.name());
                function.set("arguments", arguments(call, index));
            }
        }
        if (message.role() == Role.TOOL) {
            message.toolCallId().ifPresent(id -> {
                String name = toolNames.get(id);
                if (name != null) {
                    out.put("tool_name", name);
                }
                out.put("tool_call_id", id);
            });
        }
        return out;
    }

    private static JsonNode arguments(ToolCall call, int index) throws DialectException {
        JsonNode parsed;
        try {
            parsed = STRICT.readTree(call.arguments());
        } catch (JsonProcessingException e) {
            parsed = null;
        }
        if (parsed == null || !parsed.isObject()) {
            throw DialectException.of(FailureKind.BAD_REQUEST, "messages[" + index + "].tool_calls: arguments of "
                    + call.id() + " are not a JSON object (Ollama takes tool arguments as an object)");
        }
        return parsed;
    }

    /** The base64 payload of a {@code data:} URL; anything else cannot be sent to Ollama. */
    public static String imageBase64(String url, int index) throws DialectException {
        if (!url.regionMatches(true, 0, "data:", 0, 5)) {
            throw DialectException.of(FailureKind.BAD_REQUEST, "messages[" + index + "]: image URL "
                    + scheme(url) + " cannot be sent to Ollama (expected: a data: URL with the image inline)");
        }
        int comma = url.indexOf(',');
        if (comma < 0) {
            throw DialectException.of(FailureKind.BAD_REQUEST, "messages[" + index + "]: malformed data: URL"
                    + " (expected: data:<type>;base64,<data>)");
        }
        String header = url.substring(5, comma);
        String payload = url.substring(comma + 1);
        if (header.regionMatches(true, Math.max(0, header.length() - 7), ";base64", 0, 7)) {
            try {
                Base64.getDecoder().decode(payload);
            } catch (IllegalArgumentException e) {
                throw DialectException.of(FailureKind.BAD_REQUEST, "messages[" + index
                        + "]: data: URL is not valid base64");
            }
            return payload;
        }
        return Base64.getEncoder().encodeToString(percentDecode(payload, index));
    }

    private static String scheme(String url) {
        int colon = url.indexOf(':');
        return colon > 0 && colon < 16 ? url.substring(0, colon + 1) + "..." : "(no scheme)";
    }

    /** RFC 3986 percent-decoding to bytes; unlike {@code URLDecoder}, '+' stays '+'. */
    private static byte[] percentDecode(String text, int index) throws DialectException {
        byte[] raw = text.getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream out = new ByteArrayOutputStream(raw.length);
        for (int i = 0; i < raw.length; i++) {
            if (raw[i] == '%') {
                int hi = i + 2 < raw.length ? Character.digit(raw[i + 1], 16) : -1;
                int lo = hi >= 0 ? Character.digit(raw[i + 2], 16) : -1;
                if (lo < 0) {
                    throw DialectException.of(FailureKind.BAD_REQUEST, "messages[" + index
                            + "]: data: URL has a malformed %-escape");
                }
                out.write(hi * 16 + lo);
                i += 2;
            } else {
                out.write(raw[i]);
            }
        }
        return out.toByteArray();
    }

    private static ObjectNode options(ChatRequest.Sampling sampling) {
        ObjectNode options = Json.object();
        sampling.temperature().ifPresent(t -> options.put("temperature", t));
        sampling.topP().ifPresent(p -> options.put("top_p", p));
        sampling.maxTokens().ifPresent(n -> options.put("num_predict", n));
        if (!sampling.stop().isEmpty()) {
            ArrayNode stop = options.putArray("stop");
            sampling.stop().forEach(stop::add);
        }
        return options;
    }

    /**
     * A whole non-streamed answer.
     *
     * @throws DialectException {@code BAD_RESPONSE} when it has no {@code message} object
     */
    public static ChatResponse response(JsonNode body, String requestedModel) throws DialectException {
        JsonNode message = body.get("message");
        if (message == null || !message.isObject()) {
            throw DialectException.of(FailureKind.BAD_RESPONSE, "answer has no message object");
        }
        String text = Json.text(message, "content").orElse("");
        List<ToolCall> calls = toolCalls(message, 0);
        List<ContentPart> content = text.isEmpty() ? List.of() : List.of(new ContentPart.Text(text));
        Message assistant = new Message(Role.ASSISTANT, content, calls, Optional.empty(), Optional.empty());
        return new ChatResponse(Json.text(body, "model").orElse(requestedModel), assistant,
                                finishReason(body, !calls.isEmpty()), usage(body), thinking(message),
                                Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty());
    }

    /** The reasoning text of a message ({@code thinking}, from reasoning models asked to think); empty is none. */
    public static Optional<String> thinking(JsonNode message) {
        return Json.text(message, "thinking").filter(s -> !s.isEmpty());
    }

    /**
     * The tool calls of one Ollama message, numbered from {@code firstIndex} (a stream numbers across chunks).
     */
    public static List<ToolCall> toolCalls(JsonNode message, int firstIndex) throws DialectException {
        JsonNode calls = message.get("tool_calls");
        if (calls == null || calls.isNull()) {
            return List.of();
        }
        if (!calls.isArray()) {
            throw DialectException.of(FailureKind.BAD_RESPONSE, "tool_calls is not an array");
        }
        List<ToolCall> out = new ArrayList<>(calls.size());
        for (JsonNode call : calls) {
            JsonNode function = call.get("function");
            Optional<String> name = function == null ? Optional.empty() : Json.text(function, "name");
            if (name.isEmpty()) {
                throw DialectException.of(FailureKind.BAD_RESPONSE, "tool call without a function name");
            }
            String arguments = argumentsText(function.get("arguments"));
            int index = firstIndex + out.size();
            String id = Json.text(call, "id").filter(s -> !s.isEmpty())
                    .orElseGet(() -> toolCallId(index, name.get(), arguments));
            out.add(new ToolCall(id, name.get(), arguments));
        }
        return out;
    }

    private static String argumentsText(JsonNode arguments) throws DialectException {
        if (arguments == null || arguments.isNull()) {
            return "{}";
        }
        if (arguments.isTextual()) {
            // Not what Ollama's types allow, but a proxy might: the text is already the JSON.
            return arguments.asText();
        }
        try {
            return Json.MAPPER.writeValueAsString(arguments);
        } catch (JsonProcessingException e) {
            throw DialectException.of(FailureKind.BAD_RESPONSE, "tool call arguments cannot be written as JSON");
        }
    }

    /**
     * An id for a tool call Ollama sent without one: {@code call_<index>_<h>}, where {@code h} is the first 8
     * hex digits of SHA-256 over {@code name NUL arguments}. The same answer always yields the same ids (so a
     * retried or hedged attempt that answers alike names its calls alike), and the index keeps two identical
     * calls in one answer apart.
     */
    public static String toolCallId(int index, String name, String arguments) {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            digest.update(name.getBytes(StandardCharsets.UTF_8));
            digest.update((byte) 0);
            digest.update(arguments.getBytes(StandardCharsets.UTF_8));
            return "call_" + index + "_" + HexFormat.of().formatHex(digest.digest(), 0, 4);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required by every JDK", e);
        }
    }

    /** {@code TOOL_CALLS} when calls were made, {@code LENGTH} for {@code done_reason: "length"}, else STOP. */
    public static FinishReason finishReason(JsonNode body, boolean hadToolCalls) {
        if (hadToolCalls) {
            return FinishReason.TOOL_CALLS;
        }
        return Json.text(body, "done_reason").filter("length"::equals).isPresent() ? FinishReason.LENGTH
                : FinishReason.STOP;
    }

    /** Token counts; a missing count is 0 when the other is present (Ollama omits zeros). */
    public static Optional<Usage> usage(JsonNode body) {
        JsonNode prompt = body.get("prompt_eval_count");
        JsonNode completion = body.get("eval_count");
        boolean hasPrompt = prompt != null && prompt.isIntegralNumber();
        boolean hasCompletion = completion != null && completion.isIntegralNumber();
        if (!hasPrompt && !hasCompletion) {
            return Optional.empty();
        }
        return Optional.of(new Usage(hasPrompt ? prompt.asInt() : 0, hasCompletion ? completion.asInt() : 0));
    }

    /** The message of an {@code {"error": ...}} object, when this is one. */
    public static Optional<String> error(JsonNode body) {
        JsonNode error = body.get("error");
        if (error == null || error.isNull()) {
            return Optional.empty();
        }
        return Optional.of(error.isTextual() ? error.asText() : error.toString());
    }
}
