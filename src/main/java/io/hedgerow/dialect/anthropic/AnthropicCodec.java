package io.hedgerow.dialect.anthropic;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.cfg.JsonNodeFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hedgerow.dialect.DialectException;
import io.hedgerow.dialect.ResponseFormats;
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
import io.hedgerow.json.Json;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Translates between the canonical model and Anthropic's Messages API ({@code POST /v1/messages}).
 *
 * <p>Request, in one pass over the messages:
 * <ol>
 *   <li>system and developer messages are lifted, in order, into the top-level {@code system} string, joined
 *       by a blank line: Anthropic has a single system prompt and no developer role;</li>
 *   <li>every other message becomes content blocks: user text and images ({@code data:} URLs as a
 *       {@code base64} source, http(s) URLs as a {@code url} source), assistant text then one {@code tool_use}
 *       block per tool call ({@code input} is the parsed arguments), a tool message one {@code tool_result}
 *       block in a user turn;</li>
 *   <li>blocks are appended to the previous turn when it has the same role, so turns alternate as Anthropic
 *       requires: consecutive tool results become one user turn, a user text after tool results joins them.</li>
 * </ol>
 * Empty text parts are dropped (Anthropic rejects empty text blocks) and a turn left with no block is
 * dropped with them. Nothing else is altered: tool-call arguments that are not a JSON object fail the call
 * with {@code BAD_REQUEST} instead of being replaced. {@code max_tokens} is required by Anthropic, so it
 * defaults to {@value #DEFAULT_MAX_TOKENS}. Of the OpenAI fields passed through, those with an Anthropic equivalent
 * are translated ({@link #openAiFields}); the others are not sent.
 *
 * <p>Response: text blocks are concatenated, {@code tool_use} blocks become tool calls with the JSON text of
 * their {@code input}, {@code thinking} blocks become the reasoning text, other blocks (redacted thinking, server
 * tools) are skipped; usage counts cached input as prompt tokens, as OpenAI does (Anthropic's {@code input_tokens}
 * leaves it out), and reports the tokens read from the cache as the cached ones.
 * Numbers in tool inputs are read as exact decimals so translation never rounds them.
 */
public final class AnthropicCodec {
    /** Sent when the client set no limit: Anthropic requires one. */
    public static final int DEFAULT_MAX_TOKENS = 4096;

    /** Keeps {@code 1.10} as {@code 1.10} and large integers whole when a tree is written back out. */
    private static final ObjectReader EXACT = Json.MAPPER.reader()
            .with(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .without(JsonNodeFeature.STRIP_TRAILING_BIGDECIMAL_ZEROES);
    /** What Anthropic accepts as a tool_use id. */
    private static final Pattern VALID_TOOL_ID = Pattern.compile("[a-zA-Z0-9_-]+");
    /** The mark of a reversibly rewritten tool id ({@link #toolUseId}). */
    private static final String REVERSIBLE = "toolu_hr_";
    /** The longest id rewritten reversibly: its base64 stays well within what Anthropic takes as an id. */
    private static final int MAX_ENCODED = 160;

    private AnthropicCodec() {
    }

    /** The request body as bytes; see {@link #request(ChatRequest, String, boolean)}. */
    public static byte[] encode(ChatRequest request, String model, boolean stream) throws DialectException {
        try {
            return Json.MAPPER.writeValueAsBytes(request(request, model, stream));
        } catch (JsonProcessingException e) {
            // A tree of plain nodes always serialises; failing here is a bug, not an upstream problem.
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The Messages API body for a canonical request (role map already applied).
     *
     * @throws DialectException {@code BAD_REQUEST} when the request cannot be expressed faithfully
     */
    public static ObjectNode request(ChatRequest request, String model, boolean stream) throws DialectException {
        ObjectNode root = Json.object();
        root.put("model", model);
        root.put("max_tokens", request.sampling().maxTokens().orElse(DEFAULT_MAX_TOKENS));

        List<String> system = new ArrayList<>();
        List<Turn> turns = new ArrayList<>();
        for (Message message : request.messages()) {
            switch (message.role()) {
            case SYSTEM, DEVELOPER -> system(message, system);
            case USER -> append(turns, "user", contentBlocks(message));
            case ASSISTANT -> append(turns, "assistant", assistantBlocks(message));
            case TOOL -> append(turns, "user", List.of(toolResult(message)));
            default -> throw new IllegalStateException("unknown role " + message.role());
            }
        }
        if (!system.isEmpty()) {
            root.put("system", String.join("\n\n", system));
        }
        ArrayNode messages = root.putArray("messages");
        for (Turn turn : turns) {
            ObjectNode node = messages.addObject();
            node.put("role", turn.role());
            node.set("content", turn.blocks());
        }

        ChatRequest.Sampling sampling = request.sampling();
        sampling.temperature().ifPresent(t -> root.put("temperature", t));
        sampling.topP().ifPresent(p -> root.put("top_p", p));
        if (!sampling.stop().isEmpty()) {
            ArrayNode stop = root.putArray("stop_sequences");
            sampling.stop().forEach(stop::add);
        }
        if (!request.tools().isEmpty()) {
            ArrayNode tools = root.putArray("tools");
            for (ToolDefinition tool : request.tools()) {
                ObjectNode node = tools.addObject();
                node.put("name", tool.name());
                if (!tool.description().isEmpty()) {
                    node.put("description", tool.description());
                }
                node.set("input_schema", inputSchema(tool));
            }
        }
        request.toolChoice().ifPresent(choice -> root.set("tool_choice", toolChoice(choice)));
        openAiFields(request, root);
        root.put("stream", stream);
        return root;
    }

    /**
     * The OpenAI fields Anthropic has an equivalent of: a strict {@code json_schema} answer format as JSON outputs
     * ({@code output_config.format}; other formats reach Anthropic as a forced tool, see the provider's
     * {@code AnswerTool}), {@code user} as {@code metadata.user_id}, {@code parallel_tool_calls: false} as the tool
     * choice's {@code disable_parallel_tool_use}.
     */
    private static void openAiFields(ChatRequest request, ObjectNode root) throws DialectException {
        Optional<ResponseFormat> format = ResponseFormats.of(request);
        if (format.isPresent() && format.get() instanceof ResponseFormat.JsonSchema schema && schema.strict()) {
            root.putObject("output_config").putObject("format").put("type", "json_schema")
                    .set("schema", Json.toTree(schema.schema()));
        }
        if (request.passthrough().get("user") instanceof String user && !user.isEmpty()) {
            root.putObject("metadata").put("user_id", user);
        }
        if (Boolean.FALSE.equals(request.passthrough().get("parallel_tool_calls")) && root.has("tools")) {
            ObjectNode choice = root.has("tool_choice") ? (ObjectNode) root.get("tool_choice")
                    : root.putObject("tool_choice").put("type", "auto");
            if (!choice.path("type").asText().equals("none")) {
                choice.put("disable_parallel_tool_use", true);
            }
        }
    }

    /**
     * A non-streamed Messages answer to a canonical response.
     *
     * @param body           the 2xx body
     * @param requestedModel the model asked for, used when the body does not name one
     * @throws DialectException {@code BAD_RESPONSE} when the body is not a Messages answer; the classified
     *                           error when it is an error object
     */
    public static ChatResponse response(byte[] body, String requestedModel) throws DialectException {
        JsonNode root;
        try {
            root = EXACT.readTree(body);
        } catch (IOException e) {
            throw badResponse("response is not JSON: " + excerpt(body));
        }
        if (root == null || !root.isObject()) {
            throw badResponse("response is not a JSON object: " + excerpt(body));
        }
        if ("error".equals(Json.text(root, "type").orElse(""))) {
            throw errorEvent(root);
        }
        JsonNode content = root.get("content");
        if (content == null || !content.isArray()) {
            throw badResponse("response has no content array: " + excerpt(body));
        }
        StringBuilder text = new StringBuilder();
        StringBuilder thinking = new StringBuilder();
        List<ToolCall> calls = new ArrayList<>();
        for (JsonNode block : content) {
            switch (Json.text(block, "type").orElse("")) {
            case "text" -> text.append(Json.text(block, "text").orElse(""));
            case "thinking" -> thinking.append(Json.text(block, "thinking").orElse(""));
            case "tool_use" -> calls.add(new ToolCall(
                    Json.text(block, "id").orElseThrow(() -> badResponse("tool_use block without id")),
                    Json.text(block, "name").orElseThrow(() -> badResponse("tool_use block without name")),
                    arguments(block.get("input"))));
            default -> {
                // redacted_thinking (encrypted) and server-side tool blocks have no OpenAI counterpart
            }
            }
        }
        List<ContentPart> parts = text.isEmpty() && !calls.isEmpty()
                ? List.of() : List.of(new ContentPart.Text(text.toString()));
        Message message = new Message(Role.ASSISTANT, parts, calls, Optional.empty(), Optional.empty());
        FinishReason reason = finishReason(Json.text(root, "stop_reason"));
        Optional<Usage> usage = Optional.ofNullable(root.get("usage")).filter(JsonNode::isObject)
                .map(u -> new Usage(promptTokens(u), u.path("output_tokens").asInt(0), cachedTokens(u),
                                    Optional.empty()));
        return new ChatResponse(Json.text(root, "model").orElse(requestedModel), message, reason, usage,
                                thinking.isEmpty() ? Optional.empty() : Optional.of(thinking.toString()),
                                Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty());
    }

    /** Anthropic's {@code stop_reason} in OpenAI's vocabulary; absent or unknown reasons are a normal stop. */
    public static FinishReason finishReason(Optional<String> stopReason) {
        return switch (stopReason.orElse("")) {
            case "max_tokens", "model_context_window_exceeded" -> FinishReason.LENGTH;
            case "tool_use" -> FinishReason.TOOL_CALLS;
            case "refusal" -> FinishReason.CONTENT_FILTER;
            default -> FinishReason.STOP; // end_turn, stop_sequence, pause_turn
        };
    }

    /**
     * The input tokens read from the prompt cache, OpenAI's {@code cached_tokens} (a part of {@link #promptTokens});
     * empty when not reported. Tokens written to the cache are not cached ones: they were processed in full.
     */
    public static Optional<Integer> cachedTokens(JsonNode usage) {
        JsonNode read = usage.get("cache_read_input_tokens");
        return read != null && read.canConvertToInt() ? Optional.of(read.intValue()) : Optional.empty();
    }

    /** Input tokens including those written to and read from the prompt cache: all of them were prompt. */
    public static int promptTokens(JsonNode usage) {
        return usage.path("input_tokens").asInt(0)
                + usage.path("cache_creation_input_tokens").asInt(0)
                + usage.path("cache_read_input_tokens").asInt(0);
    }

    /**
     * An Anthropic error object ({@code {"type":"error","error":{"type":..,"message":..}}}) sent with a 2xx
     * status or inside a stream: {@code overloaded_error} and {@code rate_limit_error} are rate limits,
     * {@code api_error} and {@code timeout_error} server errors, anything else a bad response.
     */
    public static DialectException errorEvent(JsonNode root) {
        JsonNode error = root.path("error");
        String type = Json.text(error, "type").orElse("unknown_error");
        String detail = Json.text(error, "message").orElse("");
        FailureKind kind = switch (type) {
            case "overloaded_error", "rate_limit_error" -> FailureKind.RATE_LIMITED;
            case "api_error", "timeout_error" -> FailureKind.SERVER_ERROR;
            default -> FailureKind.BAD_RESPONSE;
        };
        String message = detail.isEmpty() ? type : type + ": " + detail;
        return DialectException.of(kind, message);
    }

    /**
     * A tool-call id Anthropic accepts ({@code ^[a-zA-Z0-9_-]+$}). Ids from other providers (Kimi writes
     * {@code functions.get_weather:0}) are rewritten reversibly: {@code toolu_hr_} and the original in unpadded
     * base64url, whose alphabet is Anthropic's, so that {@link #originalToolId} gives the provider its own id back when
     * a Messages client returns the call and its result. An id too long for that (over {@value #MAX_ENCODED} bytes) is
     * rewritten one way: other characters become {@code _} and 8 hex digits of its SHA-256 keep distinct ids distinct.
     * Either way the rewrite is a function of the id alone, so a call and its result still match.
     */
    public static String toolUseId(String id) {
        if (!id.isEmpty() && VALID_TOOL_ID.matcher(id).matches()) {
            return id;
        }
        byte[] bytes = id.getBytes(StandardCharsets.UTF_8);
        if (bytes.length <= MAX_ENCODED) {
            return REVERSIBLE + Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
        }
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(bytes);
            return id.replaceAll("[^a-zA-Z0-9_-]", "_") + "_" + HexFormat.of().formatHex(digest, 0, 4);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required by every JDK", e);
        }
    }

    /**
     * The id a provider of another dialect gave, when {@code id} is {@link #toolUseId}'s reversible rewrite of it;
     * else {@code id} itself. Only an exact rewrite of an id that needed rewriting is undone, so a client's own id that
     * happens to start the same way is left alone.
     */
    public static String originalToolId(String id) {
        if (!id.startsWith(REVERSIBLE)) {
            return id;
        }
        try {
            String original = new String(Base64.getUrlDecoder().decode(id.substring(REVERSIBLE.length())),
                                         StandardCharsets.UTF_8);
            boolean rewritten = original.isEmpty() || !VALID_TOOL_ID.matcher(original).matches();
            return rewritten && toolUseId(original).equals(id) ? original : id;
        } catch (IllegalArgumentException e) {
            return id;
        }
    }

    /** The JSON text of a tool call's input; a missing input is an empty object, as Anthropic means it. */
    public static String arguments(JsonNode input) {
        if (input == null || input.isNull() || input.isMissingNode()) {
            return "{}";
        }
        try {
            return Json.MAPPER.writeValueAsString(input);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Reads one stream event's data, keeping decimals exact like {@link #response}. */
    public static JsonNode readExact(String json) throws IOException {
        return EXACT.readTree(json);
    }


    private static void system(Message message, List<String> system) throws DialectException {
        if (!message.textOnly()) {
            throw badRequest(message.role().wireName() + " message: images are not supported in Anthropic's "
                    + "system prompt");
        }
        String text = message.text();
        if (!text.isEmpty()) {
            system.add(text);
        }
    }

    private static List<ObjectNode> contentBlocks(Message message) throws DialectException {
        List<ObjectNode> blocks = new ArrayList<>();
        for (ContentPart part : message.content()) {
            switch (part) {
            case ContentPart.Text t -> {
                if (!t.text().isEmpty()) {
                    blocks.add(textBlock(t.text()));
                }
            }
            case ContentPart.Image image -> blocks.add(imageBlock(image.url()));
            }
        }
        return blocks;
    }

    private static List<ObjectNode> assistantBlocks(Message message) throws DialectException {
        List<ObjectNode> blocks = contentBlocks(message);
        for (ToolCall call : message.toolCalls()) {
            ObjectNode block = Json.object();
            block.put("type", "tool_use");
            block.put("id", toolUseId(call.id()));
            block.put("name", call.name());
            block.set("input", toolInput(call));
            blocks.add(block);
        }
        return blocks;
    }

    private static JsonNode toolInput(ToolCall call) throws DialectException {
        JsonNode input;
        try {
            input = EXACT.readTree(call.arguments());
        } catch (IOException e) {
            input = null;
        }
        // Anthropic's input must be an object; anything else would have to be invented, and a tool call is
        // never silently altered.
        if (input == null || !input.isObject()) {
            throw badRequest("tool call " + call.id() + " (" + call.name()
                    + "): arguments are not a JSON object, so they cannot be sent as Anthropic tool_use input");
        }
        return input;
    }

    private static ObjectNode toolResult(Message message) throws DialectException {
        String id = message.toolCallId().orElseThrow(() -> badRequest("tool message without tool_call_id"));
        ObjectNode block = Json.object();
        block.put("type", "tool_result");
        block.put("tool_use_id", toolUseId(id));
        if (message.textOnly()) {
            String text = message.text();
            // content is optional; an empty string would be an empty text block, which Anthropic rejects
            if (!text.isEmpty()) {
                block.put("content", text);
            }
        } else {
            ArrayNode content = block.putArray("content");
            contentBlocks(message).forEach(content::add);
        }
        return block;
    }

    private static void append(List<Turn> turns, String role, List<ObjectNode> blocks) {
        if (blocks.isEmpty()) {
            return;
        }
        Turn last = turns.isEmpty() ? null : turns.getLast();
        if (last == null || !last.role().equals(role)) {
            last = new Turn(role, Json.MAPPER.createArrayNode());
            turns.add(last);
        }
        blocks.forEach(last.blocks()::add);
    }

    private static ObjectNode textBlock(String text) {
        ObjectNode block = Json.object();
        block.put("type", "text");
        block.put("text", text);
        return block;
    }

    /** {@code data:<media-type>;base64,<data>} to a base64 source; http(s) URLs to a url source. */
    private static ObjectNode imageBlock(String url) throws DialectException {
        ObjectNode block = Json.object();
        block.put("type", "image");
        ObjectNode source = block.putObject("source");
        String lower = url.toLowerCase(Locale.ROOT);
        if (lower.startsWith("data:")) {
            int comma = url.indexOf(',');
            String[] params = comma < 0 ? new String[0] : url.substring(5, comma).split(";");
            boolean base64 = false;
            for (int i = 1; i < params.length; i++) {
                base64 |= params[i].trim().equalsIgnoreCase("base64");
            }
            if (comma < 0 || !base64 || params[0].isBlank()) {
                throw badRequest("image data URL must look like data:<media-type>;base64,<data>");
            }
            source.put("type", "base64");
            source.put("media_type", params[0].trim().toLowerCase(Locale.ROOT));
            source.put("data", url.substring(comma + 1));
        } else if (lower.startsWith("https://") || lower.startsWith("http://")) {
            source.put("type", "url");
            source.put("url", url);
        } else {
            throw badRequest("image URL must be http(s) or a base64 data URL, got "
                    + oneLine(url.length() > 20 ? url.substring(0, 20) + "..." : url));
        }
        return block;
    }

    private static JsonNode inputSchema(ToolDefinition tool) {
        JsonNode schema = Json.toTree(tool.parameters());
        if (schema.isObject() && schema.isEmpty()) {
            // OpenAI allows omitting parameters; Anthropic requires an object schema.
            ObjectNode empty = Json.object();
            empty.put("type", "object");
            empty.putObject("properties");
            return empty;
        }
        return schema;
    }

    private static ObjectNode toolChoice(ToolChoice choice) {
        ObjectNode node = Json.object();
        switch (choice) {
        case ToolChoice.Auto a -> node.put("type", "auto");
        case ToolChoice.None n -> node.put("type", "none");
        case ToolChoice.Required r -> node.put("type", "any");
        case ToolChoice.Function f -> {
            node.put("type", "tool");
            node.put("name", f.name());
        }
        }
        return node;
    }

    private static String excerpt(byte[] body) {
        String text = new String(body, 0, Math.min(body.length, 120), StandardCharsets.UTF_8);
        return body.length > 120 ? text + "..." : text;
    }

    private static String oneLine(String text) {
        return text.replace('\n', ' ').replace('\r', ' ');
    }

    private static DialectException badRequest(String message) {
        return DialectException.badRequest(message);
    }

    private static DialectException badResponse(String message) {
        return DialectException.badResponse(message);
    }

    /** One turn of the conversation being built; its blocks grow while consecutive messages share its role. */
    private record Turn(String role, ArrayNode blocks) {
    }
}
