package io.hedgerow.dialect.anthropic;

import com.fasterxml.jackson.databind.JsonNode;
import io.hedgerow.dialect.InvalidRequestException;
import io.hedgerow.json.Json;
import io.hedgerow.model.ChatRequest;
import io.hedgerow.model.Message;
import io.hedgerow.model.Role;
import io.hedgerow.model.ToolChoice;
import io.hedgerow.model.ToolDefinition;

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
    /** Server tools are versioned by date: {@code web_search_20250305}. */
    private static final Pattern SERVER_TOOL = Pattern.compile("[a-z][a-z0-9_]*_\\d{8}");
    private static final Set<String> CHOICES = Set.of("auto", "any", "tool", "none");
    private static final Set<String> THINKING = Set.of("enabled", "disabled", "adaptive", "between_tools");
    private static final Set<String> TIERS = Set.of("auto", "standard_only");
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
            MessagesContentReader content = new MessagesContentReader(this::anthropicOnly);
            for (int i = 0; i < turns.size(); i++) {
                content.turn(turns.get(i), "messages." + i, i == turns.size() - 1, messages);
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
                messages.add(Message.text(Role.SYSTEM, MessagesContentReader.textBlock(block, path)));
            }
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
                MessagesContentReader.cacheControl(tool, path);
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

    }
}
