package io.hedgerow.wire;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hedgerow.model.ChatResponse;
import io.hedgerow.model.FinishReason;
import io.hedgerow.model.Message;
import io.hedgerow.model.Role;
import io.hedgerow.model.StreamEvent;
import io.hedgerow.model.ToolCall;
import io.hedgerow.model.Usage;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * OpenAI chat-completions answers, both ways: parsing what OpenAI-compatible providers return (whole
 * answers and stream chunks) and writing what Hedgerow's clients receive.
 */
public final class OpenAiResponseCodec {

    private OpenAiResponseCodec() {
    }

    /** A provider's answer is not a chat completion. */
    public static final class MalformedResponseException extends Exception {
        public MalformedResponseException(String message) {
            super(message);
        }
    }

    /** Parses a non-streamed chat completion. */
    public static ChatResponse parse(JsonNode body, String fallbackModel) throws MalformedResponseException {
        if (body == null || !body.isObject()) {
            throw new MalformedResponseException("answer is not a JSON object");
        }
        JsonNode choices = body.get("choices");
        if (choices == null || !choices.isArray() || choices.isEmpty() || !choices.get(0).isObject()) {
            throw new MalformedResponseException("answer has no choices");
        }
        JsonNode choice = choices.get(0);
        JsonNode message = choice.get("message");
        if (message == null || !message.isObject()) {
            throw new MalformedResponseException("answer's choice has no message");
        }
        String content = Json.text(message, "content").orElse("");
        List<ToolCall> calls = new ArrayList<>();
        JsonNode toolCalls = message.get("tool_calls");
        if (toolCalls != null && toolCalls.isArray()) {
            for (JsonNode call : toolCalls) {
                JsonNode function = call.get("function");
                if (function == null || Json.text(function, "name").isEmpty()) {
                    throw new MalformedResponseException("tool call without a function name");
                }
                JsonNode arguments = function.get("arguments");
                calls.add(new ToolCall(Json.text(call, "id").orElse("call_" + calls.size()),
                                       Json.text(function, "name").orElseThrow(),
                                       arguments == null || arguments.isNull() ? "{}"
                                               : arguments.isTextual() ? arguments.asText() : arguments.toString()));
            }
        }
        Message answer = new Message(Role.ASSISTANT,
                                     content.isEmpty() && !calls.isEmpty() ? List.of()
                                             : List.of(new io.hedgerow.model.ContentPart.Text(content)),
                                     calls, Optional.empty(), Optional.empty());
        FinishReason reason = Json.text(choice, "finish_reason").map(FinishReason::fromWire)
                .orElse(calls.isEmpty() ? FinishReason.STOP : FinishReason.TOOL_CALLS);
        return new ChatResponse(Json.text(body, "model").orElse(fallbackModel), answer, reason,
                                parseUsage(body.get("usage")));
    }

    /**
     * Parses one stream chunk into canonical events, in order: text, tool-call pieces, finish, usage.
     */
    public static List<StreamEvent> parseChunk(JsonNode chunk) throws MalformedResponseException {
        if (chunk == null || !chunk.isObject()) {
            throw new MalformedResponseException("chunk is not a JSON object");
        }
        List<StreamEvent> events = new ArrayList<>(2);
        JsonNode choices = chunk.get("choices");
        if (choices != null && choices.isArray() && !choices.isEmpty()) {
            JsonNode choice = choices.get(0);
            JsonNode delta = choice.get("delta");
            if (delta != null && delta.isObject()) {
                Json.text(delta, "content").filter(s -> !s.isEmpty())
                        .ifPresent(text -> events.add(new StreamEvent.TextDelta(text)));
                JsonNode toolCalls = delta.get("tool_calls");
                if (toolCalls != null && toolCalls.isArray()) {
                    for (JsonNode call : toolCalls) {
                        JsonNode index = call.get("index");
                        if (index == null || !index.canConvertToInt()) {
                            throw new MalformedResponseException("tool call delta without an index");
                        }
                        JsonNode function = call.get("function");
                        Optional<String> name = function == null ? Optional.empty() : Json.text(function, "name");
                        String arguments = function == null ? "" : Json.text(function, "arguments").orElse("");
                        events.add(new StreamEvent.ToolCallDelta(index.asInt(), Json.text(call, "id"), name,
                                                                 arguments));
                    }
                }
            }
            Optional<String> finish = Json.text(choice, "finish_reason");
            finish.ifPresent(f -> events.add(new StreamEvent.Finished(FinishReason.fromWire(f))));
        }
        parseUsage(chunk.get("usage")).ifPresent(usage -> events.add(new StreamEvent.UsageReported(usage)));
        return events;
    }

    /** The answer as the client receives it. */
    public static ObjectNode write(ChatResponse response, String id, long createdSeconds) {
        ObjectNode out = Json.object()
                .put("id", id)
                .put("object", "chat.completion")
                .put("created", createdSeconds)
                .put("model", response.model());
        ObjectNode choice = out.putArray("choices").addObject().put("index", 0);
        ObjectNode message = choice.putObject("message").put("role", "assistant");
        Message answer = response.message();
        if (answer.content().isEmpty()) {
            message.putNull("content");
        } else {
            message.put("content", answer.text());
        }
        message.putNull("refusal");
        if (!answer.toolCalls().isEmpty()) {
            ArrayNode calls = message.putArray("tool_calls");
            for (ToolCall call : answer.toolCalls()) {
                calls.addObject().put("id", call.id()).put("type", "function")
                        .putObject("function").put("name", call.name()).put("arguments", call.arguments());
            }
        }
        choice.putNull("logprobs");
        choice.put("finish_reason", response.finishReason().wireName());
        response.usage().ifPresent(usage -> out.set("usage", writeUsage(usage)));
        return out;
    }

    /** A chunk's envelope; callers fill in {@code choices[0].delta} or the usage. */
    public static ObjectNode chunk(String id, long createdSeconds, String model) {
        return Json.object()
                .put("id", id)
                .put("object", "chat.completion.chunk")
                .put("created", createdSeconds)
                .put("model", model);
    }

    /** A chunk carrying one delta (or a finish reason). */
    public static ObjectNode deltaChunk(String id, long createdSeconds, String model, ObjectNode delta,
                                        Optional<FinishReason> finish) {
        ObjectNode out = chunk(id, createdSeconds, model);
        ObjectNode choice = out.putArray("choices").addObject().put("index", 0);
        choice.set("delta", delta);
        choice.putNull("logprobs");
        if (finish.isPresent()) {
            choice.put("finish_reason", finish.get().wireName());
        } else {
            choice.putNull("finish_reason");
        }
        return out;
    }

    /** The delta object for one content event (text or a tool-call piece). */
    public static ObjectNode delta(StreamEvent event) {
        ObjectNode delta = Json.object();
        switch (event) {
        case StreamEvent.TextDelta text -> delta.put("content", text.text());
        case StreamEvent.ToolCallDelta call -> {
            ObjectNode c = delta.putArray("tool_calls").addObject().put("index", call.index());
            call.id().ifPresent(id -> c.put("id", id).put("type", "function"));
            ObjectNode function = c.putObject("function");
            call.name().ifPresent(name -> function.put("name", name));
            function.put("arguments", call.argumentsFragment());
        }
        default -> {
            // finish and usage are written by their own chunks
        }
        }
        return delta;
    }

    /** The final usage-only chunk ({@code stream_options.include_usage}). */
    public static ObjectNode usageChunk(String id, long createdSeconds, String model, Usage usage) {
        ObjectNode out = chunk(id, createdSeconds, model);
        out.putArray("choices");
        out.set("usage", writeUsage(usage));
        return out;
    }

    public static ObjectNode writeUsage(Usage usage) {
        return Json.object()
                .put("prompt_tokens", usage.promptTokens())
                .put("completion_tokens", usage.completionTokens())
                .put("total_tokens", usage.totalTokens());
    }

    static Optional<Usage> parseUsage(JsonNode usage) {
        if (usage == null || !usage.isObject()) {
            return Optional.empty();
        }
        JsonNode prompt = usage.get("prompt_tokens");
        JsonNode completion = usage.get("completion_tokens");
        if (prompt == null || completion == null || !prompt.canConvertToInt() || !completion.canConvertToInt()) {
            return Optional.empty();
        }
        return Optional.of(new Usage(prompt.asInt(), completion.asInt()));
    }
}
