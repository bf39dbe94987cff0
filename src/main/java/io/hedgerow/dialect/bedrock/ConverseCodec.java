package io.hedgerow.dialect.bedrock;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.cfg.JsonNodeFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hedgerow.dialect.DialectException;
import io.hedgerow.json.Json;
import io.hedgerow.model.ChatRequest;
import io.hedgerow.model.ChatResponse;
import io.hedgerow.model.ContentPart;
import io.hedgerow.model.FinishReason;
import io.hedgerow.model.Message;
import io.hedgerow.model.Role;
import io.hedgerow.model.ToolCall;
import io.hedgerow.model.ToolChoice;
import io.hedgerow.model.ToolDefinition;
import io.hedgerow.model.Usage;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Translates between the canonical model and Bedrock's Converse API ({@code POST /model/{modelId}/converse}, and
 * {@code /converse-stream} with the same body).
 *
 * <p>Request, in one pass over the messages: system and developer messages become the {@code system} blocks, in
 * order; user text and images become content blocks (an image must be a {@code data:} URL: Converse takes image bytes,
 * not links, so an http(s) image is a {@code BAD_REQUEST}); an assistant message becomes its text then one
 * {@code toolUse} block per tool call ({@code input} is the parsed arguments, which must be a JSON object); a tool
 * message becomes a {@code toolResult} block in a user turn. Blocks join the previous turn when it has the same role,
 * so turns alternate as Converse requires; empty text blocks are dropped (Converse rejects blank text). Sampling goes
 * to {@code inferenceConfig} (no default {@code maxTokens}: the model's own applies), tools to
 * {@code toolConfig.tools[].toolSpec} with the schema under {@code inputSchema.json}. {@code tool_choice} maps
 * {@code auto} to {@code auto}, {@code required} to {@code any}, a named function to {@code tool}; Converse has no
 * "none": the tools are left out, unless the conversation already holds tool calls, which Converse accepts only
 * beside a {@code toolConfig} (then the model's default, auto, applies). OpenAI passthrough fields are not sent.
 *
 * <p>Response: text blocks are concatenated, {@code toolUse} blocks become tool calls with the JSON text of their
 * input, {@code reasoningContent} becomes the reasoning. Usage counts cache reads and writes as prompt tokens, as
 * OpenAI does (Converse's {@code inputTokens} leaves them out), with the reads as the cached tokens. Converse names no
 * model in its answer: the model asked for is the answer's model. Numbers in tool inputs are read as exact decimals.
 */
public final class ConverseCodec {
    private static final ObjectReader EXACT = Json.MAPPER.reader()
            .with(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .without(JsonNodeFeature.STRIP_TRAILING_BIGDECIMAL_ZEROES);

    private ConverseCodec() {
    }

    /** The request body as bytes; see {@link #request(ChatRequest)}. */
    public static byte[] encode(ChatRequest request) throws DialectException {
        try {
            return Json.MAPPER.writeValueAsBytes(request(request));
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The Converse body for a canonical request (role map already applied); the model goes in the path. */
    public static ObjectNode request(ChatRequest request) throws DialectException {
        ObjectNode root = Json.object();
        ArrayNode system = Json.MAPPER.createArrayNode();
        List<Turn> turns = new ArrayList<>();
        boolean toolBlocks = false;
        for (Message message : request.messages()) {
            switch (message.role()) {
            case SYSTEM, DEVELOPER -> {
                String text = message.text();
                if (!text.isBlank()) {
                    system.addObject().put("text", text);
                }
            }
            case USER -> append(turns, "user", userBlocks(message));
            case ASSISTANT -> {
                toolBlocks |= !message.toolCalls().isEmpty();
                append(turns, "assistant", assistantBlocks(message));
            }
            case TOOL -> {
                toolBlocks = true;
                append(turns, "user", List.of(toolResult(message)));
            }
            default -> throw new IllegalStateException("unknown role " + message.role());
            }
        }
        ArrayNode messages = root.putArray("messages");
        for (Turn turn : turns) {
            ObjectNode node = messages.addObject();
            node.put("role", turn.role());
            node.set("content", turn.blocks());
        }
        if (!system.isEmpty()) {
            root.set("system", system);
        }
        ObjectNode inference = Json.object();
        ChatRequest.Sampling sampling = request.sampling();
        sampling.maxTokens().ifPresent(m -> inference.put("maxTokens", m));
        sampling.temperature().ifPresent(t -> inference.put("temperature", t));
        sampling.topP().ifPresent(p -> inference.put("topP", p));
        if (!sampling.stop().isEmpty()) {
            ArrayNode stop = inference.putArray("stopSequences");
            sampling.stop().forEach(stop::add);
        }
        if (!inference.isEmpty()) {
            root.set("inferenceConfig", inference);
        }
        boolean none = request.toolChoice().orElse(null) instanceof ToolChoice.None;
        if (!request.tools().isEmpty() && (!none || toolBlocks)) {
            ObjectNode toolConfig = root.putObject("toolConfig");
            ArrayNode tools = toolConfig.putArray("tools");
            for (ToolDefinition tool : request.tools()) {
                ObjectNode spec = tools.addObject().putObject("toolSpec");
                spec.put("name", tool.name());
                if (!tool.description().isEmpty()) {
                    spec.put("description", tool.description());
                }
                spec.putObject("inputSchema").set("json", schema(tool));
            }
            request.toolChoice().flatMap(ConverseCodec::toolChoice).ifPresent(c -> toolConfig.set("toolChoice", c));
        }
        return root;
    }

    /**
     * A Converse answer to a canonical response.
     *
     * @param body           the 2xx body
     * @param requestedModel the model id asked for: Converse does not name the model in its answer
     * @throws DialectException {@code BAD_RESPONSE} when the body is not a Converse answer
     */
    public static ChatResponse response(byte[] body, String requestedModel) throws DialectException {
        JsonNode root;
        try {
            root = EXACT.readTree(body);
        } catch (IOException e) {
            throw DialectException.badResponse("response is not JSON: " + excerpt(body));
        }
        if (root == null || !root.isObject()) {
            throw DialectException.badResponse("response is not a JSON object: " + excerpt(body));
        }
        JsonNode content = root.path("output").path("message").get("content");
        if (content == null || !content.isArray()) {
            throw DialectException.badResponse("response has no output.message.content array: " + excerpt(body));
        }
        StringBuilder text = new StringBuilder();
        StringBuilder reasoning = new StringBuilder();
        List<ToolCall> calls = new ArrayList<>();
        for (JsonNode block : content) {
            if (block.has("text")) {
                text.append(block.path("text").asText(""));
            } else if (block.has("toolUse")) {
                JsonNode use = block.get("toolUse");
                calls.add(new ToolCall(
                        Json.text(use, "toolUseId").orElseThrow(() -> DialectException.badResponse(
                                "toolUse block without toolUseId")),
                        Json.text(use, "name").orElseThrow(() -> DialectException.badResponse(
                                "toolUse block without name")),
                        arguments(use.get("input"))));
            } else if (block.has("reasoningContent")) {
                reasoning.append(block.path("reasoningContent").path("reasoningText").path("text").asText(""));
            }
            // Other blocks (citations, guard content, redacted reasoning) have no OpenAI counterpart.
        }
        List<ContentPart> parts = text.isEmpty() && !calls.isEmpty()
                ? List.of() : List.of(new ContentPart.Text(text.toString()));
        Message message = new Message(Role.ASSISTANT, parts, calls, Optional.empty(), Optional.empty());
        Optional<Usage> usage = Optional.ofNullable(root.get("usage")).filter(JsonNode::isObject)
                .map(ConverseCodec::usage);
        return new ChatResponse(requestedModel, message, finishReason(Json.text(root, "stopReason")), usage,
                                reasoning.isEmpty() ? Optional.empty() : Optional.of(reasoning.toString()),
                                Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty());
    }

    /** Converse's {@code stopReason} in OpenAI's vocabulary; absent or unknown reasons are a normal stop. */
    public static FinishReason finishReason(Optional<String> stopReason) {
        return switch (stopReason.orElse("")) {
            case "max_tokens", "model_context_window_exceeded" -> FinishReason.LENGTH;
            case "tool_use" -> FinishReason.TOOL_CALLS;
            case "guardrail_intervened", "content_filtered" -> FinishReason.CONTENT_FILTER;
            default -> FinishReason.STOP;
        };
    }

    /** Converse usage ({@code inputTokens} without the cache) in OpenAI's sense (prompt tokens with it). */
    static Usage usage(JsonNode usage) {
        int read = usage.path("cacheReadInputTokens").asInt(0);
        int written = usage.path("cacheWriteInputTokens").asInt(0);
        Optional<Integer> cached = usage.has("cacheReadInputTokens") ? Optional.of(read) : Optional.empty();
        return new Usage(usage.path("inputTokens").asInt(0) + read + written, usage.path("outputTokens").asInt(0),
                         cached, Optional.empty());
    }

    /** Reads JSON with exact numbers, so tool inputs pass through unrounded. */
    static JsonNode readExact(byte[] json) throws IOException {
        return EXACT.readTree(json);
    }

    /** A tool input as the JSON text of a tool call's arguments ({@code {}} when absent). */
    static String arguments(JsonNode input) {
        return input == null || input.isNull() ? "{}" : input.toString();
    }

    private static List<ObjectNode> userBlocks(Message message) throws DialectException {
        List<ObjectNode> blocks = new ArrayList<>();
        for (ContentPart part : message.content()) {
            switch (part) {
            case ContentPart.Text t -> {
                if (!t.text().isEmpty()) {
                    blocks.add(Json.object().put("text", t.text()));
                }
            }
            case ContentPart.Image image -> blocks.add(image(image.url()));
            }
        }
        return blocks;
    }

    private static List<ObjectNode> assistantBlocks(Message message) throws DialectException {
        List<ObjectNode> blocks = new ArrayList<>();
        String text = message.text();
        if (!text.isEmpty()) {
            blocks.add(Json.object().put("text", text));
        }
        for (ToolCall call : message.toolCalls()) {
            ObjectNode use = Json.object();
            use.putObject("toolUse").put("toolUseId", call.id()).put("name", call.name())
                    .set("input", toolInput(call));
            blocks.add(use);
        }
        return blocks;
    }

    private static ObjectNode toolResult(Message message) throws DialectException {
        String id = message.toolCallId().orElseThrow(() -> DialectException.badRequest(
                "a tool message needs a tool_call_id"));
        ObjectNode block = Json.object();
        ObjectNode result = block.putObject("toolResult");
        result.put("toolUseId", id);
        result.putArray("content").addObject().put("text", message.text());
        return block;
    }

    /** A {@code data:image/...;base64,...} URL as a Converse image block. */
    private static ObjectNode image(String url) throws DialectException {
        if (!url.startsWith("data:")) {
            throw DialectException.badRequest("Bedrock takes images as data: URLs (base64), not links");
        }
        int comma = url.indexOf(',');
        String meta = comma < 0 ? "" : url.substring(5, comma).toLowerCase(Locale.ROOT);
        if (comma < 0 || !meta.endsWith(";base64") || !meta.startsWith("image/")) {
            throw DialectException.badRequest("image data: URL must be data:image/<type>;base64,...");
        }
        String format = meta.substring("image/".length(), meta.length() - ";base64".length());
        format = format.equals("jpg") ? "jpeg" : format;
        if (!List.of("png", "jpeg", "gif", "webp").contains(format)) {
            throw DialectException.badRequest("Bedrock takes png, jpeg, gif or webp images, not " + format);
        }
        ObjectNode block = Json.object();
        ObjectNode image = block.putObject("image");
        image.put("format", format);
        // Converse's JSON carries image bytes as base64 text: the data URL's payload as it is.
        image.putObject("source").put("bytes", url.substring(comma + 1));
        return block;
    }

    private static JsonNode toolInput(ToolCall call) throws DialectException {
        if (call.arguments().isBlank()) {
            return Json.object();
        }
        try {
            JsonNode input = EXACT.readTree(call.arguments());
            if (input != null && input.isObject()) {
                return input;
            }
        } catch (IOException e) {
            // falls through to the error below
        }
        throw DialectException.badRequest("tool call " + call.id() + " has arguments that are not a JSON object");
    }

    private static JsonNode schema(ToolDefinition tool) {
        JsonNode schema = Json.toTree(tool.parameters());
        if (schema.isObject() && schema.isEmpty()) {
            return Json.object().put("type", "object").set("properties", Json.object());
        }
        return schema;
    }

    private static Optional<ObjectNode> toolChoice(ToolChoice choice) {
        ObjectNode node = Json.object();
        switch (choice) {
        case ToolChoice.Auto a -> node.putObject("auto");
        case ToolChoice.Required r -> node.putObject("any");
        case ToolChoice.Function f -> node.putObject("tool").put("name", f.name());
        case ToolChoice.None n -> {
            return Optional.empty();
        }
        }
        return Optional.of(node);
    }

    private static void append(List<Turn> turns, String role, List<ObjectNode> blocks) {
        if (blocks.isEmpty()) {
            return;
        }
        Turn last = turns.isEmpty() ? null : turns.get(turns.size() - 1);
        if (last == null || !last.role().equals(role)) {
            last = new Turn(role, Json.MAPPER.createArrayNode());
            turns.add(last);
        }
        blocks.forEach(last.blocks()::add);
    }

    private static String excerpt(byte[] body) {
        String text = new String(body, 0, Math.min(body.length, 200), StandardCharsets.UTF_8);
        return body.length > 200 ? text + "..." : text;
    }

    private record Turn(String role, ArrayNode blocks) {
    }
}
