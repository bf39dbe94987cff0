package io.hedgerow.dialect.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hedgerow.dialect.FieldCheck;
import io.hedgerow.dialect.InvalidRequestException;
import io.hedgerow.json.Json;
import io.hedgerow.model.ChatRequest;
import io.hedgerow.model.ToolChoice;
import io.hedgerow.model.ToolDefinition;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Reads a client's Responses API request ({@code POST /v1/responses}), every field checked against OpenAI's documented
 * types and named by its path when wrong, into what the rest of the router needs: its input items (a string input
 * becomes one user message item), the canonical request a provider of another dialect is sent, and why only a
 * provider serving the Responses API itself can serve it, when that is so.
 *
 * <p>Translated: {@code input} items ({@link ResponsesItems}), {@code instructions} (a system message first),
 * function {@code tools}, {@code tool_choice}, {@code parallel_tool_calls}, {@code text.format} (as Chat Completions'
 * {@code response_format}), {@code reasoning.effort} (as {@code reasoning_effort}), {@code max_output_tokens},
 * {@code temperature}, {@code top_p}, {@code top_logprobs} and the {@code message.output_text.logprobs} include (as
 * {@code logprobs}), {@code user}, {@code safety_identifier}, {@code prompt_cache_key}, {@code service_tier}. Kept by
 * Hedgerow itself: {@code store}, {@code metadata}, {@code previous_response_id}. Only a Responses upstream can serve
 * built-in tools and their choices and items, item references, files, {@code prompt}, {@code max_tool_calls} and
 * {@code truncation: auto}. A field Hedgerow does not know (newer than it) is likewise for a Responses upstream only.
 * Refused: {@code background: true} and {@code conversation} (Hedgerow keeps no background jobs and serves no
 * Conversations API).
 */
public final class ResponsesRequestReader {
    private static final Set<String> FIELDS = Set.of(
            "model", "input", "instructions", "tools", "tool_choice", "parallel_tool_calls", "text", "reasoning",
            "max_output_tokens", "temperature", "top_p", "metadata", "store", "include", "stream", "stream_options",
            "previous_response_id", "user", "safety_identifier", "prompt_cache_key", "service_tier", "truncation",
            "top_logprobs", "background", "conversation", "prompt", "max_tool_calls", "prompt_cache_retention");
    private static final Set<String> EFFORTS = Set.of("none", "minimal", "low", "medium", "high", "xhigh");
    private static final Set<String> SUMMARIES = Set.of("auto", "concise", "detailed");

    private ResponsesRequestReader() {
    }

    /**
     * A request as read, before its conversation is joined to what came before.
     *
     * @param model              the route or {@code provider/model} asked for
     * @param input              the request's own input items, each an item object as OpenAI defines them
     * @param previousResponseId the response this one continues
     * @param store              whether the response is to be kept ({@code store}, default true)
     * @param stream             whether the answer is streamed
     * @param ownDialectOnly     why only a provider serving the Responses API itself can serve it, when so
     */
    public record Parsed(JsonNode body, String model, List<JsonNode> input, Optional<String> instructions,
                         Optional<String> previousResponseId, boolean store, boolean stream,
                         Optional<String> ownDialectOnly) {
    }

    /** Reads and checks every top-level field and every input item. */
    public static Parsed parse(JsonNode body) throws InvalidRequestException {
        FieldCheck.object(body, "body");
        Reasons only = new Reasons();
        for (Iterator<String> names = body.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!FIELDS.contains(name)) {
                // Newer than Hedgerow: a Responses upstream gets it as written; no other can honour it.
                only.add("field '" + name + "'");
            }
        }
        String model = FieldCheck.text(FieldCheck.required(body, "model", "model"), "model", 1, 256);
        List<JsonNode> input = input(FieldCheck.required(body, "input", "input"), only);
        Optional<String> instructions = optionalText(body, "instructions", 0, Integer.MAX_VALUE);
        tools(body, only);
        toolChoice(body, only);
        for (String flag : List.of("parallel_tool_calls", "store", "stream")) {
            if (FieldCheck.optional(body, flag).isPresent()) {
                FieldCheck.bool(body.get(flag), flag);
            }
        }
        Optional<JsonNode> text = FieldCheck.optional(body, "text");
        if (text.isPresent()) {
            FieldCheck.object(text.get(), "text");
            ResponsesFormats.read(text.get());
        }
        reasoning(body);
        optionalInt(body, "max_output_tokens", 1, Integer.MAX_VALUE);
        optionalNumber(body, "temperature", 0, 2);
        optionalNumber(body, "top_p", 0, 1);
        optionalInt(body, "top_logprobs", 0, 20);
        metadata(body);
        include(body);
        for (String name : List.of("user", "safety_identifier", "prompt_cache_key")) {
            optionalText(body, name, 0, 512);
        }
        Optional<String> previous = optionalText(body, "previous_response_id", 1, 256);
        if (FieldCheck.optional(body, "service_tier").isPresent()) {
            FieldCheck.oneOf(body.get("service_tier"), "service_tier",
                             Set.of("auto", "default", "flex", "scale", "priority"));
        }
        if (FieldCheck.optional(body, "truncation").isPresent()
                && FieldCheck.oneOf(body.get("truncation"), "truncation", Set.of("auto", "disabled")).equals("auto")) {
            only.add("truncation: auto");
        }
        if (FieldCheck.optional(body, "background").isPresent() && FieldCheck.bool(body.get("background"),
                                                                                  "background")) {
            throw new InvalidRequestException("background: true is not supported: Hedgerow answers while the client "
                    + "waits (stream it instead)", "background");
        }
        if (FieldCheck.optional(body, "conversation").isPresent()) {
            throw new InvalidRequestException("conversation: Hedgerow serves no Conversations API; continue a "
                    + "conversation with previous_response_id", "conversation");
        }
        if (FieldCheck.optional(body, "prompt").isPresent()) {
            FieldCheck.object(body.get("prompt"), "prompt");
            only.add("prompt templates");
        }
        if (FieldCheck.optional(body, "max_tool_calls").isPresent()) {
            FieldCheck.integer(body.get("max_tool_calls"), "max_tool_calls", 1, Integer.MAX_VALUE);
            only.add("max_tool_calls");
        }
        if (FieldCheck.optional(body, "stream_options").isPresent()) {
            FieldCheck.object(body.get("stream_options"), "stream_options");
        }
        if (FieldCheck.optional(body, "prompt_cache_retention").isPresent()) {
            FieldCheck.text(body.get("prompt_cache_retention"), "prompt_cache_retention");
        }
        boolean store = FieldCheck.optional(body, "store").map(JsonNode::asBoolean).orElse(true);
        boolean stream = FieldCheck.optional(body, "stream").map(JsonNode::asBoolean).orElse(false);
        return new Parsed(body, model, input, instructions, previous, store, stream, only.first());
    }

    /**
     * The canonical request: {@code instructions} as a system message, then {@code history} (the items of the
     * responses this one continues, oldest first), then the request's own input, with the fields a Chat Completions
     * provider can be sent as its own.
     */
    public static ChatRequest chat(Parsed parsed, List<JsonNode> history) {
        JsonNode body = parsed.body();
        List<JsonNode> items = new ArrayList<>(history.size() + parsed.input().size());
        items.addAll(history);
        items.addAll(parsed.input());
        List<io.hedgerow.model.Message> messages = ResponsesItems.messages(parsed.instructions(), items);
        Map<String, Object> passthrough = new LinkedHashMap<>();
        FieldCheck.optional(body, "text").flatMap(t -> {
            try {
                return ResponsesFormats.read(t);
            } catch (InvalidRequestException e) {
                throw new IllegalStateException("checked by parse", e);
            }
        }).ifPresent(format -> passthrough.put("response_format", format.chatResponseFormat()));
        FieldCheck.optional(body.path("reasoning"), "effort")
                .ifPresent(effort -> passthrough.put("reasoning_effort", effort.asText()));
        for (String same : List.of("parallel_tool_calls", "user", "safety_identifier", "prompt_cache_key",
                                   "service_tier")) {
            FieldCheck.optional(body, same).ifPresent(v -> passthrough.put(same, Json.MAPPER.convertValue(v,
                                                                                                       Object.class)));
        }
        boolean logprobs = FieldCheck.optional(body, "top_logprobs").isPresent() || includes(body,
                "message.output_text.logprobs");
        if (logprobs) {
            passthrough.put("logprobs", true);
            FieldCheck.optional(body, "top_logprobs").ifPresent(n -> passthrough.put("top_logprobs", n.asInt()));
        }
        ChatRequest.Sampling sampling = new ChatRequest.Sampling(
                FieldCheck.optional(body, "temperature").map(JsonNode::asDouble),
                FieldCheck.optional(body, "top_p").map(JsonNode::asDouble),
                FieldCheck.optional(body, "max_output_tokens").map(JsonNode::asInt),
                List.of());
        // Usage always: the response object reports it, and accounting needs it.
        return new ChatRequest(parsed.model(), messages, functionTools(body), toolChoiceOf(body), sampling,
                               parsed.stream(), true, passthrough);
    }

    // ---- input ----

    private static List<JsonNode> input(JsonNode input, Reasons only) throws InvalidRequestException {
        if (input.isTextual()) {
            ObjectNode item = Json.object().put("type", "message").put("role", "user");
            item.put("content", input.asText());
            return List.of(item);
        }
        FieldCheck.array(input, "input");
        List<JsonNode> items = new ArrayList<>(input.size());
        for (int i = 0; i < input.size(); i++) {
            ResponsesItems.check(input.get(i), "input[" + i + "]").ifPresent(only::add);
            items.add(input.get(i));
        }
        return items;
    }

    // ---- tools ----

    private static void tools(JsonNode body, Reasons only) throws InvalidRequestException {
        Optional<JsonNode> tools = FieldCheck.optional(body, "tools");
        if (tools.isEmpty()) {
            return;
        }
        FieldCheck.array(tools.get(), "tools");
        for (int i = 0; i < tools.get().size(); i++) {
            String at = "tools[" + i + "]";
            JsonNode tool = FieldCheck.object(tools.get().get(i), at);
            String type = FieldCheck.text(FieldCheck.required(tool, "type", at + ".type"), at + ".type");
            if (!type.equals("function")) {
                only.add("built-in tools (" + type + ")");
                continue;
            }
            FieldCheck.matching(FieldCheck.required(tool, "name", at + ".name"), at + ".name",
                                java.util.regex.Pattern.compile("[A-Za-z0-9_.:-]{1,128}"),
                                "1 to 128 letters, digits, _ . : or -");
            optionalText(tool, "description", 0, Integer.MAX_VALUE, at + ".description");
            if (FieldCheck.optional(tool, "parameters").isPresent()) {
                FieldCheck.object(tool.get("parameters"), at + ".parameters");
            }
            if (FieldCheck.optional(tool, "strict").isPresent()) {
                FieldCheck.bool(tool.get("strict"), at + ".strict");
            }
        }
    }

    private static List<ToolDefinition> functionTools(JsonNode body) {
        List<ToolDefinition> tools = new ArrayList<>();
        for (JsonNode tool : body.path("tools")) {
            if (!tool.path("type").asText().equals("function")) {
                continue;
            }
            Map<String, Object> parameters = tool.path("parameters").isObject()
                    ? Json.toMap(tool.get("parameters"))
                    : Map.of("type", "object", "properties", Map.of());
            tools.add(new ToolDefinition(tool.get("name").asText(), tool.path("description").asText(""), parameters,
                                         tool.path("strict").isBoolean()
                                                 ? Optional.of(tool.get("strict").asBoolean()) : Optional.empty()));
        }
        return tools;
    }

    private static void toolChoice(JsonNode body, Reasons only) throws InvalidRequestException {
        Optional<JsonNode> choice = FieldCheck.optional(body, "tool_choice");
        if (choice.isEmpty()) {
            return;
        }
        if (choice.get().isTextual()) {
            FieldCheck.oneOf(choice.get(), "tool_choice", Set.of("auto", "none", "required"));
            return;
        }
        FieldCheck.object(choice.get(), "tool_choice");
        String type = FieldCheck.text(FieldCheck.required(choice.get(), "type", "tool_choice.type"),
                                      "tool_choice.type");
        if (type.equals("function")) {
            FieldCheck.text(FieldCheck.required(choice.get(), "name", "tool_choice.name"), "tool_choice.name", 1, 128);
        } else {
            only.add("tool_choice " + type);
        }
    }

    private static Optional<ToolChoice> toolChoiceOf(JsonNode body) {
        JsonNode choice = body.get("tool_choice");
        if (choice == null || choice.isNull()) {
            return Optional.empty();
        }
        if (choice.isTextual()) {
            return Optional.of(switch (choice.asText()) {
                case "none" -> new ToolChoice.None();
                case "required" -> new ToolChoice.Required();
                default -> new ToolChoice.Auto();
            });
        }
        return choice.path("type").asText().equals("function")
                ? Optional.of(new ToolChoice.Function(choice.get("name").asText())) : Optional.empty();
    }

    // ---- other fields ----

    private static void reasoning(JsonNode body) throws InvalidRequestException {
        Optional<JsonNode> reasoning = FieldCheck.optional(body, "reasoning");
        if (reasoning.isEmpty()) {
            return;
        }
        FieldCheck.object(reasoning.get(), "reasoning");
        if (FieldCheck.optional(reasoning.get(), "effort").isPresent()) {
            FieldCheck.oneOf(reasoning.get().get("effort"), "reasoning.effort", EFFORTS);
        }
        for (String summary : List.of("summary", "generate_summary")) {
            if (FieldCheck.optional(reasoning.get(), summary).isPresent()) {
                FieldCheck.oneOf(reasoning.get().get(summary), "reasoning." + summary, SUMMARIES);
            }
        }
    }

    private static void metadata(JsonNode body) throws InvalidRequestException {
        Optional<JsonNode> metadata = FieldCheck.optional(body, "metadata");
        if (metadata.isEmpty()) {
            return;
        }
        FieldCheck.object(metadata.get(), "metadata");
        if (metadata.get().size() > 16) {
            throw FieldCheck.wrong(metadata.get(), "metadata", "at most 16 keys");
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = metadata.get().fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> entry = it.next();
            if (entry.getKey().length() > 64) {
                throw new InvalidRequestException("metadata: key '" + entry.getKey().substring(0, 20)
                        + "...' (expected: keys of at most 64 characters)", "metadata");
            }
            FieldCheck.text(entry.getValue(), "metadata." + entry.getKey(), 0, 512);
        }
    }

    private static void include(JsonNode body) throws InvalidRequestException {
        Optional<JsonNode> include = FieldCheck.optional(body, "include");
        if (include.isEmpty()) {
            return;
        }
        FieldCheck.array(include.get(), "include");
        for (int i = 0; i < include.get().size(); i++) {
            FieldCheck.text(include.get().get(i), "include[" + i + "]", 1, 128);
        }
    }

    private static boolean includes(JsonNode body, String what) {
        for (JsonNode item : body.path("include")) {
            if (item.asText().equals(what)) {
                return true;
            }
        }
        return false;
    }

    private static Optional<String> optionalText(JsonNode node, String field, int min, int max)
            throws InvalidRequestException {
        return optionalText(node, field, min, max, field);
    }

    private static Optional<String> optionalText(JsonNode node, String field, int min, int max, String path)
            throws InvalidRequestException {
        Optional<JsonNode> value = FieldCheck.optional(node, field);
        return value.isEmpty() ? Optional.empty() : Optional.of(FieldCheck.text(value.get(), path, min, max));
    }

    private static void optionalInt(JsonNode node, String field, long min, long max) throws InvalidRequestException {
        if (FieldCheck.optional(node, field).isPresent()) {
            FieldCheck.integer(node.get(field), field, min, max);
        }
    }

    private static void optionalNumber(JsonNode node, String field, double min, double max)
            throws InvalidRequestException {
        if (FieldCheck.optional(node, field).isPresent()) {
            FieldCheck.number(node.get(field), field, min, max);
        }
    }

    /** The first reason found that only a Responses upstream can serve the request. */
    private static final class Reasons {
        private Optional<String> first = Optional.empty();

        void add(String why) {
            if (first.isEmpty()) {
                first = Optional.of(why);
            }
        }

        Optional<String> first() {
            return first;
        }
    }
}
