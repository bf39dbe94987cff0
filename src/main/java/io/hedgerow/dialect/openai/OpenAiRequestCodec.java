package io.hedgerow.dialect.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hedgerow.model.ChatRequest;
import io.hedgerow.model.ContentPart;
import io.hedgerow.model.Message;
import io.hedgerow.model.Role;
import io.hedgerow.model.ToolCall;
import io.hedgerow.model.ToolChoice;
import io.hedgerow.model.ToolDefinition;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import io.hedgerow.json.Json;
import io.hedgerow.dialect.InvalidRequestException;

/**
 * OpenAI chat-completions requests, both ways: parsing what clients send (checked by {@link ChatRequestRules}, whose
 * javadoc states which fields are passed through) and writing what OpenAI-compatible providers receive. Tool-call
 * arguments are carried as the exact text the client sent.
 */
public final class OpenAiRequestCodec {
    private static final Set<String> KNOWN = Set.of("model", "messages", "tools", "tool_choice", "temperature",
            "top_p", "max_tokens", "stop", "stream", "stream_options", "n");

    private OpenAiRequestCodec() {
    }

    /**
     * Parses a client's request body, after {@link ChatRequestRules} has checked every field against the API's
     * documented types and ranges.
     */
    public static ChatRequest parse(JsonNode body) throws InvalidRequestException {
        ChatRequestRules.check(body);
        String model = requiredText(body, "model");
        JsonNode messagesNode = body.get("messages");
        if (messagesNode == null || messagesNode.isNull()) {
            throw new InvalidRequestException("'messages' is required", "messages");
        }
        if (!messagesNode.isArray() || messagesNode.isEmpty()) {
            throw new InvalidRequestException("'messages' must be a non-empty array", "messages");
        }
        List<Message> messages = new ArrayList<>(messagesNode.size());
        for (int i = 0; i < messagesNode.size(); i++) {
            messages.add(parseMessage(messagesNode.get(i), "messages[" + i + "]"));
        }
        List<ToolDefinition> tools = parseTools(body.get("tools"));
        Optional<ToolChoice> toolChoice = parseToolChoice(body.get("tool_choice"));
        JsonNode n = body.get("n");
        if (n != null && !n.isNull() && !(n.canConvertToInt() && n.asInt() == 1)) {
            throw new InvalidRequestException("only n=1 is supported", "n");
        }
        ChatRequest.Sampling sampling = new ChatRequest.Sampling(
                optionalNumber(body, "temperature"),
                optionalNumber(body, "top_p"),
                optionalInt(body, "max_tokens").or(() -> optionalIntOrEmpty(body, "max_completion_tokens")),
                parseStop(body.get("stop")));
        boolean stream = optionalBoolean(body, "stream");
        boolean includeUsage = false;
        JsonNode streamOptions = body.get("stream_options");
        if (streamOptions != null && streamOptions.isObject()) {
            includeUsage = optionalBoolean(streamOptions, "include_usage");
        }
        Map<String, Object> passthrough = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = body.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> field = it.next();
            if (!KNOWN.contains(field.getKey())) {
                passthrough.put(field.getKey(), Json.MAPPER.convertValue(field.getValue(), Object.class));
            }
        }
        passthrough.values().removeIf(java.util.Objects::isNull);
        return new ChatRequest(model, messages, tools, toolChoice, sampling, stream, includeUsage, passthrough);
    }

    /**
     * Writes the request for an OpenAI-compatible provider.
     *
     * @param model  the upstream model name
     * @param stream whether to ask for a stream (usage is then always requested, for accounting)
     */
    public static ObjectNode write(ChatRequest request, String model, boolean stream) {
        ObjectNode out = Json.object();
        out.put("model", model);
        ArrayNode messages = out.putArray("messages");
        for (Message message : request.messages()) {
            messages.add(writeMessage(message));
        }
        if (!request.tools().isEmpty()) {
            ArrayNode tools = out.putArray("tools");
            for (ToolDefinition tool : request.tools()) {
                ObjectNode function = Json.object().put("name", tool.name());
                if (!tool.description().isEmpty()) {
                    function.put("description", tool.description());
                }
                if (!tool.parameters().isEmpty()) {
                    function.set("parameters", Json.toTree(tool.parameters()));
                }
                tool.strict().ifPresent(strict -> function.put("strict", strict));
                tools.addObject().put("type", "function").set("function", function);
            }
        }
        request.toolChoice().ifPresent(choice -> out.set("tool_choice", writeToolChoice(choice)));
        ChatRequest.Sampling sampling = request.sampling();
        sampling.temperature().ifPresent(t -> out.put("temperature", t));
        sampling.topP().ifPresent(p -> out.put("top_p", p));
        // o-series models accept only max_completion_tokens; send whichever name the client used.
        if (!request.passthrough().containsKey("max_completion_tokens")) {
            sampling.maxTokens().ifPresent(m -> out.put("max_tokens", m));
        }
        if (!sampling.stop().isEmpty()) {
            ArrayNode stop = out.putArray("stop");
            sampling.stop().forEach(stop::add);
        }
        request.passthrough().forEach((key, value) -> out.set(key, Json.toTree(value)));
        out.put("stream", stream);
        if (stream) {
            out.putObject("stream_options").put("include_usage", true);
        }
        return out;
    }

    private static Message parseMessage(JsonNode node, String where) throws InvalidRequestException {
        if (node == null || !node.isObject()) {
            throw new InvalidRequestException(where + " must be an object", where);
        }
        String roleName = requiredText(node, "role", where + ".role");
        Role role = Role.fromWire(roleName).orElseThrow(() -> new InvalidRequestException(
                where + ".role: '" + roleName + "' (expected: system, developer, user, assistant or tool)",
                where + ".role"));
        List<ContentPart> content = parseContent(node.get("content"), where + ".content");
        List<ToolCall> toolCalls = List.of();
        JsonNode calls = node.get("tool_calls");
        if (calls != null && !calls.isNull()) {
            if (role != Role.ASSISTANT) {
                throw new InvalidRequestException(where + ".tool_calls is only allowed on assistant messages",
                                                  where + ".tool_calls");
            }
            toolCalls = parseToolCalls(calls, where + ".tool_calls");
        }
        Optional<String> toolCallId = optionalText(node, "tool_call_id", where);
        if (role == Role.TOOL && toolCallId.isEmpty()) {
            throw new InvalidRequestException(where + ".tool_call_id is required for tool messages",
                                              where + ".tool_call_id");
        }
        if (content.isEmpty() && toolCalls.isEmpty() && role != Role.ASSISTANT && role != Role.TOOL) {
            throw new InvalidRequestException(where + ".content is required", where + ".content");
        }
        return new Message(role, content, toolCalls, toolCallId, optionalText(node, "name", where));
    }

    private static List<ContentPart> parseContent(JsonNode node, String where) throws InvalidRequestException {
        if (node == null || node.isNull()) {
            return List.of();
        }
        if (node.isTextual()) {
            return List.of(new ContentPart.Text(node.asText()));
        }
        if (!node.isArray()) {
            throw new InvalidRequestException(where + " must be a string or an array of parts", where);
        }
        List<ContentPart> parts = new ArrayList<>(node.size());
        for (int i = 0; i < node.size(); i++) {
            JsonNode part = node.get(i);
            String at = where + "[" + i + "]";
            String type = part != null && part.isObject() ? requiredText(part, "type", at + ".type") : "";
            switch (type) {
            case "text" -> parts.add(new ContentPart.Text(requiredText(part, "text", at + ".text")));
            case "image_url" -> {
                JsonNode image = part.get("image_url");
                if (image == null || !image.isObject()) {
                    throw new InvalidRequestException(at + ".image_url must be an object", at + ".image_url");
                }
                parts.add(new ContentPart.Image(requiredText(image, "url", at + ".image_url.url"),
                                                Json.text(image, "detail").orElse("")));
            }
            default -> throw new InvalidRequestException(at + ".type: '" + type
                    + "' (expected: text or image_url)", at + ".type");
            }
        }
        return parts;
    }

    private static List<ToolCall> parseToolCalls(JsonNode node, String where) throws InvalidRequestException {
        if (!node.isArray()) {
            throw new InvalidRequestException(where + " must be an array", where);
        }
        List<ToolCall> calls = new ArrayList<>(node.size());
        for (int i = 0; i < node.size(); i++) {
            JsonNode call = node.get(i);
            String at = where + "[" + i + "]";
            if (call == null || !call.isObject()) {
                throw new InvalidRequestException(at + " must be an object", at);
            }
            JsonNode function = call.get("function");
            if (function == null || !function.isObject()) {
                throw new InvalidRequestException(at + ".function must be an object", at + ".function");
            }
            // A string (checked); some providers write "" for a call without arguments, which every format reads
            // as {}.
            String arguments = function.get("arguments").asText();
            String argumentsText = arguments.isBlank() ? "{}" : arguments;
            calls.add(new ToolCall(requiredText(call, "id", at + ".id"),
                                   requiredText(function, "name", at + ".function.name"),
                                   argumentsText));
        }
        return calls;
    }

    private static List<ToolDefinition> parseTools(JsonNode node) throws InvalidRequestException {
        if (node == null || node.isNull()) {
            return List.of();
        }
        if (!node.isArray()) {
            throw new InvalidRequestException("'tools' must be an array", "tools");
        }
        List<ToolDefinition> tools = new ArrayList<>(node.size());
        for (int i = 0; i < node.size(); i++) {
            JsonNode tool = node.get(i);
            String at = "tools[" + i + "]";
            JsonNode function = tool == null ? null : tool.get("function");
            if (function == null || !function.isObject()) {
                throw new InvalidRequestException(at + ".function must be an object", at + ".function");
            }
            JsonNode parameters = function.get("parameters");
            if (parameters != null && !parameters.isNull() && !parameters.isObject()) {
                throw new InvalidRequestException(at + ".function.parameters must be a JSON Schema object",
                                                  at + ".function.parameters");
            }
            tools.add(new ToolDefinition(requiredText(function, "name", at + ".function.name"),
                                         Json.text(function, "description").orElse(""),
                                         parameters == null || parameters.isNull() ? Map.of() : Json.toMap(parameters),
                                         optionalFlag(function, "strict", at + ".function")));
        }
        return tools;
    }

    private static Optional<ToolChoice> parseToolChoice(JsonNode node) throws InvalidRequestException {
        if (node == null || node.isNull()) {
            return Optional.empty();
        }
        if (node.isTextual()) {
            return switch (node.asText()) {
                case "auto" -> Optional.of(new ToolChoice.Auto());
                case "none" -> Optional.of(new ToolChoice.None());
                case "required" -> Optional.of(new ToolChoice.Required());
                default -> throw new InvalidRequestException("tool_choice: '" + node.asText()
                        + "' (expected: auto, none, required or a function)", "tool_choice");
            };
        }
        JsonNode function = node.get("function");
        if (node.isObject() && function != null && function.isObject()) {
            return Optional.of(new ToolChoice.Function(requiredText(function, "name", "tool_choice.function.name")));
        }
        throw new InvalidRequestException("tool_choice must be a string or {type: function, function: {name}}",
                                          "tool_choice");
    }

    private static List<String> parseStop(JsonNode node) throws InvalidRequestException {
        if (node == null || node.isNull()) {
            return List.of();
        }
        if (node.isTextual()) {
            return List.of(node.asText());
        }
        if (node.isArray()) {
            List<String> stops = new ArrayList<>();
            for (JsonNode s : node) {
                if (!s.isTextual()) {
                    throw new InvalidRequestException("'stop' must be a string or an array of strings", "stop");
                }
                stops.add(s.asText());
            }
            return stops;
        }
        throw new InvalidRequestException("'stop' must be a string or an array of strings", "stop");
    }

    private static ObjectNode writeMessage(Message message) {
        ObjectNode out = Json.object().put("role", message.role().wireName());
        if (message.content().isEmpty()) {
            out.putNull("content");
        } else if (message.textOnly()) {
            out.put("content", message.text());
        } else {
            ArrayNode parts = out.putArray("content");
            for (ContentPart part : message.content()) {
                switch (part) {
                case ContentPart.Text text -> parts.addObject().put("type", "text").put("text", text.text());
                case ContentPart.Image image -> {
                    ObjectNode url = Json.object().put("url", image.url());
                    if (!image.detail().isEmpty()) {
                        url.put("detail", image.detail());
                    }
                    parts.addObject().put("type", "image_url").set("image_url", url);
                }
                }
            }
        }
        if (!message.toolCalls().isEmpty()) {
            ArrayNode calls = out.putArray("tool_calls");
            for (ToolCall call : message.toolCalls()) {
                calls.addObject().put("id", call.id()).put("type", "function")
                        .putObject("function").put("name", call.name()).put("arguments", call.arguments());
            }
        }
        message.toolCallId().ifPresent(id -> out.put("tool_call_id", id));
        message.name().ifPresent(name -> out.put("name", name));
        return out;
    }

    private static JsonNode writeToolChoice(ToolChoice choice) {
        return switch (choice) {
            case ToolChoice.Auto a -> Json.MAPPER.getNodeFactory().textNode("auto");
            case ToolChoice.None n -> Json.MAPPER.getNodeFactory().textNode("none");
            case ToolChoice.Required r -> Json.MAPPER.getNodeFactory().textNode("required");
            case ToolChoice.Function f -> {
                ObjectNode node = Json.object().put("type", "function");
                node.putObject("function").put("name", f.name());
                yield node;
            }
        };
    }

    private static String requiredText(JsonNode node, String field) throws InvalidRequestException {
        return requiredText(node, field, field);
    }

    private static String requiredText(JsonNode node, String field, String param) throws InvalidRequestException {
        JsonNode value = node.get(field);
        if (value == null || value.isNull()) {
            throw new InvalidRequestException("'" + param + "' is required", param);
        }
        if (!value.isTextual()) {
            throw new InvalidRequestException("'" + param + "' must be a string", param);
        }
        return value.asText();
    }

    private static Optional<String> optionalText(JsonNode node, String field, String where)
            throws InvalidRequestException {
        JsonNode value = node.get(field);
        if (value == null || value.isNull()) {
            return Optional.empty();
        }
        if (!value.isTextual()) {
            throw new InvalidRequestException(where + "." + field + " must be a string", where + "." + field);
        }
        return Optional.of(value.asText());
    }

    private static Optional<Double> optionalNumber(JsonNode node, String field) throws InvalidRequestException {
        JsonNode value = node.get(field);
        if (value == null || value.isNull()) {
            return Optional.empty();
        }
        if (!value.isNumber()) {
            throw new InvalidRequestException("'" + field + "' must be a number", field);
        }
        return Optional.of(value.asDouble());
    }

    private static Optional<Integer> optionalInt(JsonNode node, String field) throws InvalidRequestException {
        JsonNode value = node.get(field);
        if (value == null || value.isNull()) {
            return Optional.empty();
        }
        if (!value.isIntegralNumber() || !value.canConvertToInt() || value.asInt() < 1) {
            throw new InvalidRequestException("'" + field + "' must be a positive integer", field);
        }
        return Optional.of(value.asInt());
    }

    private static Optional<Integer> optionalIntOrEmpty(JsonNode node, String field) {
        try {
            return optionalInt(node, field);
        } catch (InvalidRequestException e) {
            return Optional.empty();
        }
    }

    private static Optional<Boolean> optionalFlag(JsonNode node, String field, String where)
            throws InvalidRequestException {
        JsonNode value = node.get(field);
        if (value == null || value.isNull()) {
            return Optional.empty();
        }
        if (!value.isBoolean()) {
            throw new InvalidRequestException(where + "." + field + " must be a boolean", where + "." + field);
        }
        return Optional.of(value.asBoolean());
    }

    private static boolean optionalBoolean(JsonNode node, String field) throws InvalidRequestException {
        JsonNode value = node.get(field);
        if (value == null || value.isNull()) {
            return false;
        }
        if (!value.isBoolean()) {
            throw new InvalidRequestException("'" + field + "' must be a boolean", field);
        }
        return value.asBoolean();
    }
}
