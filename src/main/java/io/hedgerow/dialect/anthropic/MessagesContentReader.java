package io.hedgerow.dialect.anthropic;

import com.fasterxml.jackson.databind.JsonNode;
import io.hedgerow.dialect.InvalidRequestException;
import io.hedgerow.json.Json;
import io.hedgerow.model.ContentPart;
import io.hedgerow.model.Message;
import io.hedgerow.model.Role;
import io.hedgerow.model.ToolCall;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import java.util.regex.Pattern;

import static io.hedgerow.dialect.FieldCheck.array;
import static io.hedgerow.dialect.FieldCheck.bool;
import static io.hedgerow.dialect.FieldCheck.matching;
import static io.hedgerow.dialect.FieldCheck.object;
import static io.hedgerow.dialect.FieldCheck.oneOf;
import static io.hedgerow.dialect.FieldCheck.optional;
import static io.hedgerow.dialect.FieldCheck.required;
import static io.hedgerow.dialect.FieldCheck.text;
import static io.hedgerow.dialect.FieldCheck.wrong;

/**
 * Reads the turns of a Messages request, block by block, checking each against Anthropic's documented types
 * (see {@link MessagesRequestReader} for the translation): a user turn's {@code tool_result} blocks become tool
 * messages and the rest one user message; an assistant turn's text and {@code tool_use} blocks one assistant message.
 * What only Anthropic can express is reported to {@code anthropicOnly}.
 */
final class MessagesContentReader {
    /** What Anthropic accepts as a tool_use id. */
    private static final Pattern TOOL_ID = Pattern.compile("[a-zA-Z0-9_-]{1,256}");
    private static final Set<String> IMAGE_TYPES = Set.of("image/jpeg", "image/png", "image/gif", "image/webp");
    private static final Set<String> ROLES = Set.of("user", "assistant");
    private static final Set<String> TTLS = Set.of("5m", "1h");

    private final Consumer<String> anthropicOnly;

    MessagesContentReader(Consumer<String> anthropicOnly) {
        this.anthropicOnly = anthropicOnly;
    }

    void turn(JsonNode turn, String path, boolean last, List<Message> messages)
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
                anthropicOnly.accept("server tool blocks in the conversation (" + type + ")");
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
    static String textBlock(JsonNode block, String path) throws InvalidRequestException {
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
            anthropicOnly.accept("Files API sources (file_id)");
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
            anthropicOnly.accept("PDF documents");
        }
        case "url" -> {
            url(source, at);
            anthropicOnly.accept("documents by URL");
        }
        default -> {
            text(required(source, "file_id", at + ".file_id"), at + ".file_id", 1, 256);
            anthropicOnly.accept("Files API sources (file_id)");
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
        return new Message(Role.TOOL, parts, List.of(), Optional.of(AnthropicCodec.originalToolId(id)),
                           Optional.empty());
    }

    private static ToolCall toolUse(JsonNode block, String path) throws InvalidRequestException {
        String id = matching(required(block, "id", path + ".id"), path + ".id", TOOL_ID,
                             "a tool_use id (letters, digits, _ and -)");
        String name = text(required(block, "name", path + ".name"), path + ".name", 1, 256);
        JsonNode input = object(required(block, "input", path + ".input"), path + ".input");
        cacheControl(block, path);
        return new ToolCall(AnthropicCodec.originalToolId(id), name, json(input));
    }

    static void cacheControl(JsonNode block, String path) throws InvalidRequestException {
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
