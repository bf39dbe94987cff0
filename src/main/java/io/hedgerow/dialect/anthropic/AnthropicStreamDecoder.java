package io.hedgerow.dialect.anthropic;

import com.fasterxml.jackson.databind.JsonNode;
import io.hedgerow.dialect.DialectException;
import io.hedgerow.model.FailureKind;
import io.hedgerow.model.StreamEvent;
import io.hedgerow.model.Usage;
import io.hedgerow.json.Json;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Turns Anthropic's streamed events, one at a time, into canonical {@link StreamEvent}s.
 *
 * <p>Algorithm, per event (the JSON {@code type} decides; the SSE event name is the fallback):
 * <ul>
 *   <li>{@code message_start}: remember the input usage; emit {@code Metadata} with the model it names;</li>
 *   <li>{@code content_block_start}: a {@code text} block emits its initial text, a {@code thinking} block its
 *       initial thinking as reasoning, if any; a {@code tool_use}
 *       block opens tool call number {@code n} (counted from 0 over tool blocks only, as OpenAI indexes
 *       them, not Anthropic's block index) and emits {@code ToolCallDelta(n, id, name, "")};</li>
 *   <li>{@code content_block_delta}: {@code text_delta} emits its text, {@code thinking_delta} its thinking as
 *       a {@code ReasoningDelta}, {@code input_json_delta} its {@code partial_json} for the open tool call of that
 *       block; signature and citation deltas have no OpenAI counterpart and are skipped;</li>
 *   <li>{@code content_block_stop}: a tool call whose arguments stayed empty (a tool without parameters)
 *       gets {@code "{}"}, which is what its non-streamed answer says, so clients can always parse it;</li>
 *   <li>{@code message_delta}: remember the stop reason and the (cumulative) usage;</li>
 *   <li>{@code message_stop}: emit {@code Finished(reason)}, then {@code UsageReported} when usage was seen (input
 *       counted as OpenAI does, cached input included, the part read from the cache as the cached tokens);</li>
 *   <li>{@code error}: throw, classified by {@link AnthropicCodec#errorEvent}; {@code ping} and unknown
 *       types are skipped, as Anthropic asks clients to tolerate new event types.</li>
 * </ul>
 * Malformed JSON is a {@code BAD_RESPONSE}. Not thread-safe: one decoder per stream, fed by its reader.
 */
public final class AnthropicStreamDecoder {
    /** Open tool calls by Anthropic block index. */
    private final Map<Integer, OpenTool> openTools = new HashMap<>();
    private int nextToolIndex;
    private Optional<String> stopReason = Optional.empty();
    private int inputTokens;
    private int cacheCreationTokens;
    private int cacheReadTokens;
    private boolean sawCacheRead;
    private int outputTokens;
    private boolean sawUsage;
    private boolean finished;

    public AnthropicStreamDecoder() {
    }

    /** Whether {@code message_stop} has been decoded: the answer is complete. */
    public boolean finished() {
        return finished;
    }

    /**
     * The canonical events for one SSE event, in order; often none.
     *
     * @param event the SSE event name ({@code message} when the stream did not name it)
     * @param data  the event's data
     */
    public List<StreamEvent> decode(String event, String data) throws DialectException {
        if (data.isBlank()) {
            // Only a ping may come without a payload; anything else without one cannot be understood.
            if (event.equals("ping")) {
                return List.of();
            }
            throw DialectException.badResponse("stream event '" + event + "' has no data");
        }
        JsonNode node;
        try {
            node = AnthropicCodec.readExact(data);
        } catch (IOException e) {
            throw malformed(event, data);
        }
        if (node == null || !node.isObject()) {
            throw malformed(event, data);
        }
        String type = Json.text(node, "type").orElse(event);
        return switch (type) {
            case "message_start" -> {
                usage(node.path("message").path("usage"));
                yield Json.text(node.path("message"), "model")
                        .<List<StreamEvent>>map(model -> List.of(new StreamEvent.Metadata(model, Optional.empty(),
                                                                                          Optional.empty())))
                        .orElse(List.of());
            }
            case "content_block_start" -> blockStart(node);
            case "content_block_delta" -> blockDelta(node);
            case "content_block_stop" -> blockStop(node);
            case "message_delta" -> {
                JsonNode reason = node.path("delta").path("stop_reason");
                if (reason.isTextual()) {
                    stopReason = Optional.of(reason.asText());
                }
                usage(node.path("usage"));
                yield List.of();
            }
            case "message_stop" -> {
                finished = true;
                StreamEvent done = new StreamEvent.Finished(AnthropicCodec.finishReason(stopReason));
                yield sawUsage ? List.of(done, new StreamEvent.UsageReported(usage())) : List.of(done);
            }
            case "error" -> throw AnthropicCodec.errorEvent(node);
            default -> List.of(); // ping, and event types added after this was written
        };
    }

    private List<StreamEvent> blockStart(JsonNode node) throws DialectException {
        JsonNode block = node.path("content_block");
        switch (Json.text(block, "type").orElse("")) {
        case "text" -> {
            String text = Json.text(block, "text").orElse("");
            return text.isEmpty() ? List.of() : List.of(new StreamEvent.TextDelta(text));
        }
        case "thinking" -> {
            String thinking = Json.text(block, "thinking").orElse("");
            return thinking.isEmpty() ? List.of() : List.of(new StreamEvent.ReasoningDelta(thinking));
        }
        case "tool_use" -> {
            int blockIndex = blockIndex(node);
            String id = Json.text(block, "id").orElseThrow(() -> badResponse("tool_use block without id"));
            String name = Json.text(block, "name").orElseThrow(() -> badResponse("tool_use block without name"));
            OpenTool tool = new OpenTool(nextToolIndex++);
            openTools.put(blockIndex, tool);
            List<StreamEvent> events = new ArrayList<>(2);
            events.add(new StreamEvent.ToolCallDelta(tool.index, Optional.of(id), Optional.of(name), ""));
            JsonNode input = block.get("input");
            // Anthropic starts with an empty input and streams it; an input given up front is sent as is.
            if (input != null && input.isObject() && !input.isEmpty()) {
                events.add(tool.fragment(AnthropicCodec.arguments(input)));
            }
            return events;
        }
        default -> {
            // redacted_thinking (encrypted), server tools: nothing the client would see
            return List.of();
        }
        }
    }

    private List<StreamEvent> blockDelta(JsonNode node) throws DialectException {
        JsonNode delta = node.path("delta");
        switch (Json.text(delta, "type").orElse("")) {
        case "text_delta" -> {
            String text = Json.text(delta, "text").orElse("");
            return text.isEmpty() ? List.of() : List.of(new StreamEvent.TextDelta(text));
        }
        case "thinking_delta" -> {
            String thinking = Json.text(delta, "thinking").orElse("");
            return thinking.isEmpty() ? List.of() : List.of(new StreamEvent.ReasoningDelta(thinking));
        }
        case "input_json_delta" -> {
            OpenTool tool = openTools.get(blockIndex(node));
            String fragment = Json.text(delta, "partial_json").orElse("");
            // No open tool: the input of a block we skip (a server tool); not the client's business.
            return tool == null || fragment.isEmpty() ? List.of() : List.of(tool.fragment(fragment));
        }
        default -> {
            // signature_delta, citations_delta
            return List.of();
        }
        }
    }

    private List<StreamEvent> blockStop(JsonNode node) throws DialectException {
        OpenTool tool = openTools.remove(blockIndex(node));
        return tool != null && !tool.sentArguments ? List.of(tool.fragment("{}")) : List.of();
    }

    private int blockIndex(JsonNode node) throws DialectException {
        JsonNode index = node.get("index");
        if (index == null || !index.canConvertToInt()) {
            throw badResponse("content block event without index");
        }
        return index.intValue();
    }

    /** Later counts replace earlier ones: {@code message_delta}'s usage is cumulative. */
    private void usage(JsonNode usage) {
        if (!usage.isObject()) {
            return;
        }
        sawUsage = true;
        inputTokens = count(usage, "input_tokens", inputTokens);
        cacheCreationTokens = count(usage, "cache_creation_input_tokens", cacheCreationTokens);
        cacheReadTokens = count(usage, "cache_read_input_tokens", cacheReadTokens);
        sawCacheRead |= AnthropicCodec.cachedTokens(usage).isPresent();
        outputTokens = count(usage, "output_tokens", outputTokens);
    }

    private static int count(JsonNode usage, String field, int previous) {
        JsonNode value = usage.get(field);
        return value != null && value.canConvertToInt() ? value.intValue() : previous;
    }

    private Usage usage() {
        return new Usage(inputTokens + cacheCreationTokens + cacheReadTokens, outputTokens,
                         sawCacheRead ? Optional.of(cacheReadTokens) : Optional.empty(), Optional.empty());
    }

    private static DialectException malformed(String event, String data) {
        return badResponse("malformed stream event '" + event + "': " + data);
    }

    private static DialectException badResponse(String message) {
        return DialectException.badResponse(message);
    }

    /** A tool call being streamed: its OpenAI index and whether any of its arguments went out. */
    private static final class OpenTool {
        final int index;
        boolean sentArguments;

        OpenTool(int index) {
            this.index = index;
        }

        StreamEvent fragment(String json) {
            sentArguments = true;
            return new StreamEvent.ToolCallDelta(index, Optional.empty(), Optional.empty(), json);
        }
    }
}
