package io.hedgerow.dialect.openai;

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
import java.util.Map;
import java.util.Optional;
import io.hedgerow.json.Json;

/**
 * OpenAI chat-completions answers, both ways: parsing what OpenAI-compatible providers return (whole
 * answers and stream chunks) and writing what Hedgerow's clients receive.
 *
 * <p>Besides the message, an answer keeps what clients read of it: the upstream's model name,
 * {@code system_fingerprint}, {@code service_tier}, {@code logprobs} (per answer, or per chunk with the chunk's piece),
 * {@code refusal}, reasoning text ({@code reasoning_content}, or OpenRouter's {@code reasoning}, written back as
 * {@code reasoning_content}) and the cached and reasoning token counts. Other fields are not relayed: each carried
 * one is named in the canonical model, so that the other providers' adapters can fill it in where they have an
 * equivalent.
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
        Optional<String> refusal = Json.text(message, "refusal").filter(s -> !s.isEmpty());
        Message answer = new Message(Role.ASSISTANT,
                                     content.isEmpty() && (!calls.isEmpty() || refusal.isPresent()) ? List.of()
                                             : List.of(new io.hedgerow.model.ContentPart.Text(content)),
                                     calls, Optional.empty(), Optional.empty());
        FinishReason reason = Json.text(choice, "finish_reason").map(FinishReason::fromWire)
                .orElse(calls.isEmpty() ? FinishReason.STOP : FinishReason.TOOL_CALLS);
        return new ChatResponse(Json.text(body, "model").orElse(fallbackModel), answer, reason,
                                parseUsage(body.get("usage")), reasoning(message), refusal,
                                logprobs(choice), Json.text(body, "system_fingerprint"),
                                Json.text(body, "service_tier"));
    }

    /**
     * Parses one stream chunk into canonical events, in order: reasoning, text, refusal, tool-call pieces, finish,
     * usage. The chunk's {@code logprobs} travel with its text (or refusal) piece; see {@link #metadata} for the
     * envelope.
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
                reasoning(delta).ifPresent(text -> events.add(new StreamEvent.ReasoningDelta(text)));
                Optional<String> text = Json.text(delta, "content").filter(s -> !s.isEmpty());
                Optional<String> refusal = Json.text(delta, "refusal").filter(s -> !s.isEmpty());
                Optional<Map<String, Object>> logprobs = text.isPresent() || refusal.isPresent()
                        ? logprobs(choice) : Optional.empty();
                text.ifPresent(t -> events.add(new StreamEvent.TextDelta(t, logprobs)));
                refusal.ifPresent(r -> events.add(new StreamEvent.RefusalDelta(
                        r, text.isPresent() ? Optional.empty() : logprobs)));
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

    /** A chunk's envelope as a {@link StreamEvent.Metadata}: empty when it names no model. */
    public static Optional<StreamEvent.Metadata> metadata(JsonNode chunk) {
        return Json.text(chunk, "model").map(model -> new StreamEvent.Metadata(
                model, Json.text(chunk, "system_fingerprint"), Json.text(chunk, "service_tier")));
    }

    /**
     * Reasoning text, under the name the provider uses: {@code reasoning_content} (DeepSeek, vLLM, Qwen, Kimi) or
     * {@code reasoning} (OpenRouter); empty text is none.
     */
    private static Optional<String> reasoning(JsonNode messageOrDelta) {
        return Json.text(messageOrDelta, "reasoning_content").filter(s -> !s.isEmpty())
                .or(() -> Json.text(messageOrDelta, "reasoning").filter(s -> !s.isEmpty()));
    }

    private static Optional<Map<String, Object>> logprobs(JsonNode choice) {
        JsonNode logprobs = choice.get("logprobs");
        return logprobs != null && logprobs.isObject() ? Optional.of(Json.toMap(logprobs)) : Optional.empty();
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
        response.reasoning().ifPresent(reasoning -> message.put("reasoning_content", reasoning));
        if (response.refusal().isPresent()) {
            message.put("refusal", response.refusal().get());
        } else {
            message.putNull("refusal");
        }
        if (!answer.toolCalls().isEmpty()) {
            ArrayNode calls = message.putArray("tool_calls");
            for (ToolCall call : answer.toolCalls()) {
                calls.addObject().put("id", call.id()).put("type", "function")
                        .putObject("function").put("name", call.name()).put("arguments", call.arguments());
            }
        }
        writeLogprobs(choice, response.logprobs());
        choice.put("finish_reason", response.finishReason().wireName());
        response.usage().ifPresent(usage -> out.set("usage", writeUsage(usage)));
        response.serviceTier().ifPresent(tier -> out.put("service_tier", tier));
        response.systemFingerprint().ifPresent(fingerprint -> out.put("system_fingerprint", fingerprint));
        return out;
    }

    /** A chunk's envelope, the same for every chunk of one answer; callers fill in the choices or the usage. */
    public static ObjectNode chunk(String id, long createdSeconds, StreamEvent.Metadata origin) {
        ObjectNode out = Json.object()
                .put("id", id)
                .put("object", "chat.completion.chunk")
                .put("created", createdSeconds)
                .put("model", origin.model());
        origin.serviceTier().ifPresent(tier -> out.put("service_tier", tier));
        origin.systemFingerprint().ifPresent(fingerprint -> out.put("system_fingerprint", fingerprint));
        return out;
    }

    /** A chunk carrying one delta (or a finish reason), with the logprobs of its tokens when there are some. */
    public static ObjectNode deltaChunk(String id, long createdSeconds, StreamEvent.Metadata origin, ObjectNode delta,
                                        Optional<Map<String, Object>> logprobs, Optional<FinishReason> finish) {
        ObjectNode out = chunk(id, createdSeconds, origin);
        ObjectNode choice = out.putArray("choices").addObject().put("index", 0);
        choice.set("delta", delta);
        writeLogprobs(choice, logprobs);
        if (finish.isPresent()) {
            choice.put("finish_reason", finish.get().wireName());
        } else {
            choice.putNull("finish_reason");
        }
        return out;
    }

    /** The delta object for one content event (text, reasoning, refusal or a tool-call piece). */
    public static ObjectNode delta(StreamEvent event) {
        ObjectNode delta = Json.object();
        switch (event) {
        case StreamEvent.TextDelta text -> delta.put("content", text.text());
        case StreamEvent.ReasoningDelta reasoning -> delta.put("reasoning_content", reasoning.text());
        case StreamEvent.RefusalDelta refusal -> delta.put("refusal", refusal.text());
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

    /** The logprobs a content event carries, for {@link #deltaChunk}. */
    public static Optional<Map<String, Object>> logprobs(StreamEvent event) {
        return switch (event) {
            case StreamEvent.TextDelta text -> text.logprobs();
            case StreamEvent.RefusalDelta refusal -> refusal.logprobs();
            default -> Optional.empty();
        };
    }

    /** The final usage-only chunk ({@code stream_options.include_usage}). */
    public static ObjectNode usageChunk(String id, long createdSeconds, StreamEvent.Metadata origin, Usage usage) {
        ObjectNode out = chunk(id, createdSeconds, origin);
        out.putArray("choices");
        out.set("usage", writeUsage(usage));
        return out;
    }

    /** Usage as OpenAI writes it; the details objects only when the provider reported them. */
    public static ObjectNode writeUsage(Usage usage) {
        ObjectNode out = Json.object()
                .put("prompt_tokens", usage.promptTokens())
                .put("completion_tokens", usage.completionTokens())
                .put("total_tokens", usage.totalTokens());
        usage.cachedTokens().ifPresent(n -> out.putObject("prompt_tokens_details").put("cached_tokens", n));
        usage.reasoningTokens().ifPresent(n -> out.putObject("completion_tokens_details").put("reasoning_tokens", n));
        return out;
    }

    private static void writeLogprobs(ObjectNode choice, Optional<Map<String, Object>> logprobs) {
        if (logprobs.isPresent()) {
            choice.set("logprobs", Json.toTree(logprobs.get()));
        } else {
            choice.putNull("logprobs");
        }
    }

    /**
     * Usage with its details: {@code prompt_tokens_details.cached_tokens} (DeepSeek's {@code prompt_cache_hit_tokens}
     * when that is all there is) and {@code completion_tokens_details.reasoning_tokens}.
     */
    static Optional<Usage> parseUsage(JsonNode usage) {
        if (usage == null || !usage.isObject()) {
            return Optional.empty();
        }
        JsonNode prompt = usage.get("prompt_tokens");
        JsonNode completion = usage.get("completion_tokens");
        if (prompt == null || completion == null || !prompt.canConvertToInt() || !completion.canConvertToInt()) {
            return Optional.empty();
        }
        return Optional.of(new Usage(prompt.asInt(), completion.asInt(),
                                     count(usage.path("prompt_tokens_details"), "cached_tokens")
                                             .or(() -> count(usage, "prompt_cache_hit_tokens")),
                                     count(usage.path("completion_tokens_details"), "reasoning_tokens")));
    }

    private static Optional<Integer> count(JsonNode node, String field) {
        JsonNode value = node.get(field);
        return value != null && value.isIntegralNumber() && value.canConvertToInt() && value.asInt() >= 0
                ? Optional.of(value.asInt()) : Optional.empty();
    }
}
