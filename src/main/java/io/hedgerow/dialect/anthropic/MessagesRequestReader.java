package io.hedgerow.dialect.anthropic;

import com.fasterxml.jackson.databind.JsonNode;
import io.hedgerow.dialect.InvalidRequestException;
import io.hedgerow.json.Json;
import io.hedgerow.model.ChatRequest;
import io.hedgerow.model.ContentPart;
import io.hedgerow.model.Message;
import io.hedgerow.model.Role;
import io.hedgerow.model.ToolCall;
import io.hedgerow.model.ToolChoice;
import io.hedgerow.model.ToolDefinition;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

import static io.hedgerow.dialect.FieldCheck.array;
import static io.hedgerow.dialect.FieldCheck.bool;
import static io.hedgerow.dialect.FieldCheck.integer;
import static io.hedgerow.dialect.FieldCheck.matching;
import static io.hedgerow.dialect.FieldCheck.number;
import static io.hedgerow.dialect.FieldCheck.object;
import static io.hedgerow.dialect.FieldCheck.oneOf;
import static io.hedgerow.dialect.FieldCheck.optional;
import static io.hedgerow.dialect.FieldCheck.required;
import static io.hedgerow.dialect.FieldCheck.text;
import static io.hedgerow.dialect.FieldCheck.wrong;

/**
 * Reads a client's Messages API request ({@code POST /v1/messages}, or {@code /v1/messages/count_tokens}) into the
 * canonical model, checking every field it knows against Anthropic's documented types and ranges.
 *
 * <p>Translation, in one pass:
 * <ul>
 *   <li>{@code system} (a string or text blocks) becomes one system message per block, before the conversation;</li>
 *   <li>a user turn's {@code tool_result} blocks become tool messages, in order, then the rest of the turn one user
 *       message (text, images as {@code data:} or http(s) URLs, text documents as text);</li>
 *   <li>an assistant turn's text and {@code tool_use} blocks become one assistant message with its tool calls (the
 *       input's JSON text as the arguments); {@code thinking} and {@code redacted_thinking} blocks have no canonical
 *       counterpart and are left to the wire form;</li>
 *   <li>{@code tool_choice} maps to the canonical choice; {@code disable_parallel_tool_use} to OpenAI's
 *       {@code parallel_tool_calls: false};</li>
 *   <li>{@code cache_control}, {@code top_k}, {@code metadata}, {@code thinking}, {@code service_tier} and fields this
 *       reader does not know are checked where documented and kept only in the wire form, which a provider speaking
 *       Anthropic is sent.</li>
 * </ul>
 * What no other dialect can express (server tools, server-tool blocks in the history, Files API sources, PDF and URL
 * documents, MCP servers) marks the request as one only an Anthropic provider can serve.
 */
public final class MessagesRequestReader {
    /** What Anthropic accepts as a tool name. */
    private static final Pattern TOOL_NAME = Pattern.compile("[a-zA-Z0-9_-]{1,128}");
    /** What Anthropic accepts as a tool_use id. */
    private static final Pattern TOOL_ID = Pattern.compile("[a-zA-Z0-9_-]{1,256}");
    /** Server tools are versioned by date: {@code web_search_20250305}. */
    private static final Pattern SERVER_TOOL = Pattern.compile("[a-z][a-z0-9_]*_\\d{8}");
    private static final Set<String> IMAGE_TYPES = Set.of("image/jpeg", "image/png", "image/gif", "image/webp");
    private static final Set<String> ROLES = Set.of("user", "assistant");
    private static final Set<String> CHOICES = Set.of("auto", "any", "tool", "none");
    private static final Set<String> THINKING = Set.of("enabled", "disabled", "adaptive", "between_tools");
    private static final Set<String> TIERS = Set.of("auto", "standard_only");
    private static final Set<String> TTLS = Set.of("5m", "1h");
    private static final int MAX_MODEL = 256;
    private static final int MAX_USER_ID = 256;

    private MessagesRequestReader() {
    }

    /**
     * A checked request in canonical form.
     *
     * @param request        the canonical request (without its wire form)
     * @param ownDialectOnly why only an Anthropic provider can serve it, when that is so
     * @param thinking       whether the client asked to see the model's thinking
     */
    public record Read(ChatRequest request, Optional<String> ownDialectOnly, boolean thinking) {
    }

    /** A {@code /v1/messages} request. */
    public static Read read(JsonNode body) throws InvalidRequestException {
        return new MessagesRequestReader.Reading(false).read(body);
    }

    /** A {@code /v1/messages/count_tokens} request: no {@code max_tokens}, nothing about sampling or streaming. */
    public static Read readCount(JsonNode body) throws InvalidRequestException {
        return new MessagesRequestReader.Reading(true).read(body);
    }

    /** One request being read: collects the reason it must stay with Anthropic, if one turns up. */
    private static final class Reading {
        private final boolean count;
        private Optional<String> ownDialectOnly = Optional.empty();

        Reading(boolean count) {
            this.count = count;
        }

        Read read(JsonNode body) throws InvalidRequestException {
            if (body == null || !body.isObject()) {
                throw new InvalidRequestException("the request body must be a JSON object", Optional.empty());
            }
            String model = text(required(body, "model", "model"), "model", 1, MAX_MODEL);
            Optional<Integer> maxTokens = Optional.empty();
            if (!count) {
                maxTokens = Optional.of(integer(required(body, "max_tokens", "max_tokens"), "max_tokens", 1,
                                                Integer.MAX_VALUE));
            }
            List<Message> messages = new ArrayList<>();
            Optional<JsonNode> system = optional(body, "system");
            if (system.isPresent()) {
                system(system.get(), messages);
            }
            JsonNode turns = array(required(body, "messages", "messages"), "messages");
            if (turns.isEmpty()) {
                throw new InvalidRequestException("messages: at least one message is required", "messages");
            }
            for (int i = 0; i < turns.size(); i++) {
                turn(turns.get(i), "messages." + i, i == turns.size() - 1, messages);
            }
            Map<String, Object> passthrough = new LinkedHashMap<>();
            List<ToolDefinition> tools = tools(optional(body, "tools"));
            Optional<ToolChoice> toolChoice = toolChoice(optional(body, "tool_choice"), passthrough);
            boolean thinking = thinking(optional(body, "thinking"), maxTokens);
            ChatRequest.Sampling sampling = ChatRequest.Sampling.defaults();
            boolean stream = false;
            if (!count) {
                sampling = sampling(body, maxTokens);
                stream = optional(body, "stream").isPresent() && bool(body.get("stream"), "stream");
                metadata(optional(body, "metadata"));
                Optional<JsonNode> tier = optional(body, "service_tier");
                if (tier.isPresent()) {
                    oneOf(tier.get(), "service_tier", TIERS);
                }
            }
            if (optional(body, "mcp_servers").isPresent()) {
                array(body.get("mcp_servers"), "mcp_servers");
                anthropicOnly("MCP servers (mcp_servers)");
            }
            ChatRequest request = new ChatRequest(model, messages, tools, toolChoice, sampling, stream, false,
                                                  passthrough);
            return new Read(request, ownDialectOnly, thinking);
        }

        private void anthropicOnly(String why) {
            if (ownDialectOnly.isEmpty()) {
                ownDialectOnly = Optional.of(why);
            }
        }

        private void system(JsonNode system, List<Message> messages) throws InvalidRequestException {
            if (system.isTextual()) {
                if (!system.asText().isEmpty()) {
                    messages.add(Message.text(Role.SYSTEM, system.asText()));
                }
                return;
            }
            if (!system.isArray()) {
                throw wrong(system, "system", "a string or an array of text blocks");
            }
            for (int i = 0; i < system.size(); i++) {
                String path = "system." + i;
                JsonNode block = object(system.get(i), path);
                oneOf(required(block, "type", path + ".type"), path + ".type", Set.of("text"));
                messages.add(Message.text(Role.SYSTEM, textBlock(block, path)));
            }
        }

        private void turn(JsonNode turn, String path, boolean last, List<Message> messages)
                throws InvalidRequestException {
            object(turn, path);
            String role = oneOf(required(turn, "role", path + ".role"), path + ".role", ROLES);
            JsonNode content = required(turn, "content", path + ".content");
            boolean assistant = role.equals("assistant");
            if (content.isTextual()) {
                // Only a final assistant turn (a prefill) may be empty.
                if (content.asText().isEmpty() && !(assistant && last)) {
                    throw new InvalidRequestException(path + ".content: must not be empty", path + ".content");
                }
                messages.add(Message.text(assistant ? Role.ASSISTANT : Role.USER, content.asText()));
                return;
            }
            if (!content.isArray()) {
                throw wrong(content, path + ".content", "a string or an array of content blocks");
            }
            if (content.isEmpty() && !(assistant && last)) {
                throw new InvalidRequestException(path + ".content: must not be empty", path + ".content");
            }
            if (assistant) {
                assistantTurn(content, path + ".content", messages);
            } else {
                userTurn(content, path + ".content", messages);
            }
        }

        private void userTurn(JsonNode blocks, String path, List<Message> messages) throws InvalidRequestException {
            List<ContentPart> parts = new ArrayList<>();
            for (int i = 0; i < blocks.size(); i++) {
                String at = path + "." + i;
                JsonNode block = object(blocks.get(i), at);
                String type = text(required(block, "type", at + ".type"), at + ".type");
                switch (type) {
                case "tool_result" -> messages.add(toolResult(block, at));
                case "text", "image", "document", "search_result" -> content(block, type, at, parts);
                default -> throw wrong(block.get("type"), at + ".type",
                                       "one of text, image, document, search_result, tool_result");
                }
            }
            if (!parts.isEmpty()) {
                messages.add(new Message(Role.USER, parts, List.of(), Optional.empty(), Optional.empty()));
            }
        }

        private void assistantTurn(JsonNode blocks, String path, List<Message> messages)
                throws InvalidRequestException {
            List<ContentPart> parts = new ArrayList<>();
            List<ToolCall> calls = new ArrayList<>();
            for (int i = 0; i < blocks.size(); i++) {
                String at = path + "." + i;
                JsonNode block = object(blocks.get(i), at);
                String type = text(required(block, "type", at + ".type"), at + ".type");
                switch (type) {
                case "text" -> parts.add(new ContentPart.Text(textBlock(block, at)));
                case "tool_use" -> calls.add(toolUse(block, at));
                case "thinking" -> {
                    text(required(block, "thinking", at + ".thinking"), at + ".thinking");
                    text(required(block, "signature", at + ".signature"), at + ".signature");
                }
                case "redacted_thinking" -> text(required(block, "data", at + ".data"), at + ".data");
                default -> {
                    if (!serverToolBlock(type)) {
                        throw wrong(block.get("type"), at + ".type", "one of text, tool_use, thinking, "
                                + "redacted_thinking, or a server tool's block");
                    }
                    anthropicOnly("server tool blocks in the conversation (" + type + ")");
                }
                }
            }
            messages.add(new Message(Role.ASSISTANT, parts, calls, Optional.empty(), Optional.empty()));
        }

        private static boolean serverToolBlock(String type) {
            return type.equals("server_tool_use") || type.equals("mcp_tool_use") || type.endsWith("_tool_result")
                    || type.equals("container_upload");
        }

        /** A user-side content block (text, image, document, search result) into canonical parts. */
        private void content(JsonNode block, String type, String path, List<ContentPart> parts)
                throws InvalidRequestException {
            switch (type) {
            case "text" -> parts.add(new ContentPart.Text(textBlock(block, path)));
            case "image" -> image(block, path).ifPresent(parts::add);
            case "document" -> document(block, path, parts);
            case "search_result" -> {
                text(required(block, "source", path + ".source"), path + ".source");
                text(required(block, "title", path + ".title"), path + ".title");
                JsonNode content = array(required(block, "content", path + ".content"), path + ".content");
                for (int i = 0; i < content.size(); i++) {
                    String at = path + ".content." + i;
                    JsonNode text = object(content.get(i), at);
                    oneOf(required(text, "type", at + ".type"), at + ".type", Set.of("text"));
                    parts.add(new ContentPart.Text(textBlock(text, at)));
                }
                cacheControl(block, path);
            }
            default -> throw new IllegalStateException(type);
            }
        }

        /** A text block's text, checked with its {@code cache_control}; Anthropic refuses empty text blocks. */
        private static String textBlock(JsonNode block, String path) throws InvalidRequestException {
            String text = text(required(block, "text", path + ".text"), path + ".text");
            if (text.isEmpty()) {
                throw new InvalidRequestException(path + ".text: must not be empty", path + ".text");
            }
            cacheControl(block, path);
            Optional<JsonNode> citations = optional(block, "citations");
            if (citations.isPresent()) {
                array(citations.get(), path + ".citations");
            }
            return text;
        }

        private Optional<ContentPart> image(JsonNode block, String path) throws InvalidRequestException {
            cacheControl(block, path);
            String at = path + ".source";
            JsonNode source = object(required(block, "source", at), at);
            String kind = oneOf(required(source, "type", at + ".type"), at + ".type", Set.of("base64", "url", "file"));
            switch (kind) {
            case "base64" -> {
                String mediaType = oneOf(required(source, "media_type", at + ".media_type"), at + ".media_type",
                                         IMAGE_TYPES);
                String data = text(required(source, "data", at + ".data"), at + ".data", 1, Integer.MAX_VALUE);
                return Optional.of(new ContentPart.Image("data:" + mediaType + ";base64," + data, ""));
            }
            case "url" -> {
                return Optional.of(new ContentPart.Image(url(source, at), ""));
            }
            default -> {
                text(required(source, "file_id", at + ".file_id"), at + ".file_id", 1, 256);
                anthropicOnly("Files API sources (file_id)");
                return Optional.empty();
            }
            }
        }

        private void document(JsonNode block, String path, List<ContentPart> parts) throws InvalidRequestException {
            cacheControl(block, path);
            for (String field : List.of("title", "context")) {
                Optional<JsonNode> value = optional(block, field);
                if (value.isPresent()) {
                    text(value.get(), path + "." + field);
                }
            }
            Optional<JsonNode> citations = optional(block, "citations");
            if (citations.isPresent()) {
                object(citations.get(), path + ".citations");
                Optional<JsonNode> enabled = optional(citations.get(), "enabled");
                if (enabled.isPresent()) {
                    bool(enabled.get(), path + ".citations.enabled");
                }
            }
            String at = path + ".source";
            JsonNode source = object(required(block, "source", at), at);
            String kind = oneOf(required(source, "type", at + ".type"), at + ".type",
                                Set.of("base64", "text", "content", "url", "file"));
            switch (kind) {
            case "text" -> {
                oneOf(required(source, "media_type", at + ".media_type"), at + ".media_type", Set.of("text/plain"));
                String data = text(required(source, "data", at + ".data"), at + ".data");
                if (!data.isEmpty()) {
                    parts.add(new ContentPart.Text(data));
                }
            }
            case "content" -> {
                JsonNode content = required(source, "content", at + ".content");
                if (content.isTextual()) {
                    parts.add(new ContentPart.Text(content.asText()));
                } else {
                    array(content, at + ".content");
                    for (int i = 0; i < content.size(); i++) {
                        String in = at + ".content." + i;
                        JsonNode inner = object(content.get(i), in);
                        String type = oneOf(required(inner, "type", in + ".type"), in + ".type",
                                            Set.of("text", "image"));
                        content(inner, type, in, parts);
                    }
                }
            }
            case "base64" -> {
                oneOf(required(source, "media_type", at + ".media_type"), at + ".media_type",
                      Set.of("application/pdf"));
                text(required(source, "data", at + ".data"), at + ".data", 1, Integer.MAX_VALUE);
                anthropicOnly("PDF documents");
            }
            case "url" -> {
                url(source, at);
                anthropicOnly("documents by URL");
            }
            default -> {
                text(required(source, "file_id", at + ".file_id"), at + ".file_id", 1, 256);
                anthropicOnly("Files API sources (file_id)");
            }
            }
        }

        private static String url(JsonNode source, String path) throws InvalidRequestException {
            String url = text(required(source, "url", path + ".url"), path + ".url", 1, 8192);
            String lower = url.toLowerCase(java.util.Locale.ROOT);
            if (!lower.startsWith("https://") && !lower.startsWith("http://")) {
                throw wrong(source.get("url"), path + ".url", "an http(s) URL");
            }
            return url;
        }

        private Message toolResult(JsonNode block, String path) throws InvalidRequestException {
            String id = matching(required(block, "tool_use_id", path + ".tool_use_id"), path + ".tool_use_id",
                                 TOOL_ID, "a tool_use id (letters, digits, _ and -)");
            cacheControl(block, path);
            Optional<JsonNode> isError = optional(block, "is_error");
            if (isError.isPresent()) {
                bool(isError.get(), path + ".is_error");
            }
            List<ContentPart> parts = new ArrayList<>();
            Optional<JsonNode> content = optional(block, "content");
            if (content.isPresent()) {
                if (content.get().isTextual()) {
                    if (!content.get().asText().isEmpty()) {
                        parts.add(new ContentPart.Text(content.get().asText()));
                    }
                } else {
                    array(content.get(), path + ".content");
                    for (int i = 0; i < content.get().size(); i++) {
                        String at = path + ".content." + i;
                        JsonNode inner = object(content.get().get(i), at);
                        String type = oneOf(required(inner, "type", at + ".type"), at + ".type",
                                            Set.of("text", "image", "document", "search_result"));
                        content(inner, type, at, parts);
                    }
                }
            }
            return new Message(Role.TOOL, parts, List.of(), Optional.of(id), Optional.empty());
        }

        private static ToolCall toolUse(JsonNode block, String path) throws InvalidRequestException {
            String id = matching(required(block, "id", path + ".id"), path + ".id", TOOL_ID,
                                 "a tool_use id (letters, digits, _ and -)");
            String name = text(required(block, "name", path + ".name"), path + ".name", 1, 256);
            JsonNode input = object(required(block, "input", path + ".input"), path + ".input");
            cacheControl(block, path);
            return new ToolCall(id, name, json(input));
        }

        private List<ToolDefinition> tools(Optional<JsonNode> node) throws InvalidRequestException {
            if (node.isEmpty()) {
                return List.of();
            }
            JsonNode tools = array(node.get(), "tools");
            List<ToolDefinition> out = new ArrayList<>(tools.size());
            for (int i = 0; i < tools.size(); i++) {
                String path = "tools." + i;
                JsonNode tool = object(tools.get(i), path);
                Optional<JsonNode> type = optional(tool, "type");
                cacheControl(tool, path);
                if (type.isPresent() && !(type.get().isTextual() && type.get().asText().equals("custom"))) {
                    matching(type.get(), path + ".type", SERVER_TOOL, "custom, or a server tool's versioned type "
                            + "such as web_search_20250305");
                    text(required(tool, "name", path + ".name"), path + ".name", 1, 128);
                    anthropicOnly("server tools (" + type.get().asText() + ")");
                    continue;
                }
                String name = matching(required(tool, "name", path + ".name"), path + ".name", TOOL_NAME,
                                       "1 to 128 letters, digits, _ or -");
                String description = "";
                Optional<JsonNode> given = optional(tool, "description");
                if (given.isPresent()) {
                    description = text(given.get(), path + ".description");
                }
                JsonNode schema = object(required(tool, "input_schema", path + ".input_schema"),
                                         path + ".input_schema");
                oneOf(required(schema, "type", path + ".input_schema.type"), path + ".input_schema.type",
                      Set.of("object"));
                Optional<Boolean> strict = Optional.empty();
                if (optional(tool, "strict").isPresent()) {
                    strict = Optional.of(bool(tool.get("strict"), path + ".strict"));
                }
                out.add(new ToolDefinition(name, description, Json.toMap(schema), strict));
            }
            return out;
        }

        private static Optional<ToolChoice> toolChoice(Optional<JsonNode> node, Map<String, Object> passthrough)
                throws InvalidRequestException {
            if (node.isEmpty()) {
                return Optional.empty();
            }
            JsonNode choice = object(node.get(), "tool_choice");
            String type = oneOf(required(choice, "type", "tool_choice.type"), "tool_choice.type", CHOICES);
            Optional<JsonNode> noParallel = optional(choice, "disable_parallel_tool_use");
            if (noParallel.isPresent()) {
                if (type.equals("none")) {
                    throw new InvalidRequestException("tool_choice.disable_parallel_tool_use: not allowed with type "
                                                              + "none", "tool_choice.disable_parallel_tool_use");
                }
                if (bool(noParallel.get(), "tool_choice.disable_parallel_tool_use")) {
                    passthrough.put("parallel_tool_calls", false);
                }
            }
            return Optional.of(switch (type) {
                case "auto" -> new ToolChoice.Auto();
                case "any" -> new ToolChoice.Required();
                case "none" -> new ToolChoice.None();
                default -> new ToolChoice.Function(matching(required(choice, "name", "tool_choice.name"),
                                                            "tool_choice.name", TOOL_NAME,
                                                            "1 to 128 letters, digits, _ or -"));
            });
        }

        /** Whether thinking is on; {@code budget_tokens} must be at least 1,024 and below {@code max_tokens}. */
        private static boolean thinking(Optional<JsonNode> node, Optional<Integer> maxTokens)
                throws InvalidRequestException {
            if (node.isEmpty()) {
                return false;
            }
            JsonNode thinking = object(node.get(), "thinking");
            String type = oneOf(required(thinking, "type", "thinking.type"), "thinking.type", THINKING);
            if (type.equals("enabled")) {
                long max = maxTokens.map(m -> (long) m - 1).orElse((long) Integer.MAX_VALUE);
                integer(required(thinking, "budget_tokens", "thinking.budget_tokens"), "thinking.budget_tokens",
                        1024, Math.max(1024, max));
                if (maxTokens.isPresent() && maxTokens.get() <= 1024) {
                    throw new InvalidRequestException("thinking.budget_tokens: must be less than max_tokens ("
                                                              + maxTokens.get() + ")", "thinking.budget_tokens");
                }
            }
            return !type.equals("disabled");
        }

        private static ChatRequest.Sampling sampling(JsonNode body, Optional<Integer> maxTokens)
                throws InvalidRequestException {
            Optional<Double> temperature = Optional.empty();
            if (optional(body, "temperature").isPresent()) {
                temperature = Optional.of(number(body.get("temperature"), "temperature", 0, 1));
            }
            Optional<Double> topP = Optional.empty();
            if (optional(body, "top_p").isPresent()) {
                topP = Optional.of(number(body.get("top_p"), "top_p", 0, 1));
            }
            if (optional(body, "top_k").isPresent()) {
                integer(body.get("top_k"), "top_k", 0, Integer.MAX_VALUE);
            }
            List<String> stop = new ArrayList<>();
            if (optional(body, "stop_sequences").isPresent()) {
                JsonNode sequences = array(body.get("stop_sequences"), "stop_sequences");
                for (int i = 0; i < sequences.size(); i++) {
                    String sequence = text(sequences.get(i), "stop_sequences." + i);
                    if (sequence.isBlank()) {
                        throw wrong(sequences.get(i), "stop_sequences." + i, "a string with a non-whitespace "
                                + "character");
                    }
                    stop.add(sequence);
                }
            }
            return new ChatRequest.Sampling(temperature, topP, maxTokens, stop);
        }

        private static void metadata(Optional<JsonNode> node) throws InvalidRequestException {
            if (node.isPresent()) {
                JsonNode metadata = object(node.get(), "metadata");
                Optional<JsonNode> user = optional(metadata, "user_id");
                if (user.isPresent()) {
                    text(user.get(), "metadata.user_id", 0, MAX_USER_ID);
                }
            }
        }

        private static void cacheControl(JsonNode block, String path) throws InvalidRequestException {
            Optional<JsonNode> node = optional(block, "cache_control");
            if (node.isEmpty()) {
                return;
            }
            String at = path + ".cache_control";
            JsonNode cache = object(node.get(), at);
            oneOf(required(cache, "type", at + ".type"), at + ".type", Set.of("ephemeral"));
            Optional<JsonNode> ttl = optional(cache, "ttl");
            if (ttl.isPresent()) {
                oneOf(ttl.get(), at + ".ttl", TTLS);
            }
        }

        private static String json(JsonNode node) {
            try {
                return Json.MAPPER.writeValueAsString(node);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
