package io.hedgerow.dialect.openai;

import com.fasterxml.jackson.databind.JsonNode;
import io.hedgerow.dialect.DialectException;
import io.hedgerow.json.Json;
import io.hedgerow.model.ChatResponse;
import io.hedgerow.model.ContentPart;
import io.hedgerow.model.Failure;
import io.hedgerow.model.FailureKind;
import io.hedgerow.model.FinishReason;
import io.hedgerow.model.Message;
import io.hedgerow.model.Role;
import io.hedgerow.model.StreamEvent;
import io.hedgerow.model.ToolCall;
import io.hedgerow.model.Usage;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What an upstream serving the Responses API itself answers, read into canonical form (for accounting, for mid-stream
 * recovery, and for storing the conversation): a whole {@code response} object, or its stream's events one at a time.
 * The client, who speaks the same dialect, gets the upstream's own bytes; this is what the router understands of them.
 */
public final class ResponsesUpstream {
    private ResponsesUpstream() {
    }

    /**
     * A whole {@code response} object: assistant text from {@code output_text} parts, a {@code refusal}, reasoning
     * summaries as reasoning text, {@code function_call} items as tool calls, {@code usage} with its details. A
     * {@code failed} response, or an {@code error} object instead of a response, is the upstream's refusal.
     */
    public static ChatResponse answer(JsonNode body, String sentModel) throws DialectException {
        if (body == null || !body.isObject()) {
            throw DialectException.badResponse("answer is not a JSON object");
        }
        if (body.path("error").isObject() && !body.has("output")) {
            throw new DialectException(errorFailure(body.get("error")));
        }
        if (body.path("status").asText().equals("failed")) {
            throw new DialectException(errorFailure(body.path("error")));
        }
        if (!body.path("output").isArray()) {
            throw DialectException.badResponse("answer has no output");
        }
        StringBuilder text = new StringBuilder();
        StringBuilder reasoning = new StringBuilder();
        StringBuilder refusal = new StringBuilder();
        List<ToolCall> calls = new ArrayList<>();
        for (JsonNode item : body.get("output")) {
            switch (item.path("type").asText()) {
            case "message" -> {
                for (JsonNode part : item.path("content")) {
                    switch (part.path("type").asText()) {
                    case "output_text" -> text.append(part.path("text").asText(""));
                    case "refusal" -> refusal.append(part.path("refusal").asText(""));
                    default -> {
                        // other parts have no canonical counterpart; the client gets them as they came
                    }
                    }
                }
            }
            case "reasoning" -> {
                for (JsonNode part : item.path("summary")) {
                    reasoning.append(part.path("text").asText(""));
                }
            }
            case "function_call" -> calls.add(new ToolCall(item.path("call_id").asText(""),
                                                           item.path("name").asText(""),
                                                           item.path("arguments").asText("{}")));
            default -> {
                // built-in tool items: relayed to the client, nothing canonical
            }
            }
        }
        Message message = new Message(Role.ASSISTANT,
                                      text.isEmpty() ? List.of() : List.of(new ContentPart.Text(text.toString())),
                                      calls, Optional.empty(), Optional.empty());
        return new ChatResponse(Json.text(body, "model").orElse(sentModel), message, finishReason(body, calls),
                                usage(body.path("usage")),
                                reasoning.isEmpty() ? Optional.empty() : Optional.of(reasoning.toString()),
                                refusal.isEmpty() ? Optional.empty() : Optional.of(refusal.toString()),
                                Optional.empty(), Optional.empty(), Json.text(body, "service_tier"));
    }

    /** Why a response ended: tool calls, a length or content-filter stop ({@code incomplete}), or a plain stop. */
    static FinishReason finishReason(JsonNode response, List<ToolCall> calls) {
        if (response.path("status").asText().equals("incomplete")) {
            return response.path("incomplete_details").path("reason").asText().equals("content_filter")
                    ? FinishReason.CONTENT_FILTER : FinishReason.LENGTH;
        }
        return calls.isEmpty() ? FinishReason.STOP : FinishReason.TOOL_CALLS;
    }

    /** {@code usage}: input tokens (cached among them), output tokens (reasoning among them). */
    static Optional<Usage> usage(JsonNode usage) {
        if (!usage.isObject() || !usage.path("input_tokens").canConvertToInt()) {
            return Optional.empty();
        }
        JsonNode cached = usage.path("input_tokens_details").path("cached_tokens");
        JsonNode reasoning = usage.path("output_tokens_details").path("reasoning_tokens");
        return Optional.of(new Usage(usage.path("input_tokens").asInt(), usage.path("output_tokens").asInt(),
                                     cached.canConvertToInt() ? Optional.of(cached.asInt()) : Optional.empty(),
                                     reasoning.canConvertToInt() ? Optional.of(reasoning.asInt()) : Optional.empty()));
    }

    /** An {@code error} object ({@code code}, {@code message}) as a failure of its class. */
    static Failure errorFailure(JsonNode error) {
        String code = error.path("code").asText("");
        String message = error.path("message").asText(code.isEmpty() ? "failed" : code);
        FailureKind kind = switch (code) {
            case "rate_limit_exceeded", "insufficient_quota" -> code.equals("insufficient_quota")
                    ? FailureKind.AUTH : FailureKind.RATE_LIMITED;
            case "invalid_prompt", "invalid_request_error" -> FailureKind.BAD_REQUEST;
            case "context_length_exceeded" -> FailureKind.CONTEXT_LENGTH;
            case "content_filter" -> FailureKind.CONTENT_FILTER;
            case "invalid_api_key" -> FailureKind.AUTH;
            default -> FailureKind.SERVER_ERROR;
        };
        return Failure.of(kind, message);
    }

    /**
     * Reads a Responses stream's events, one at a time, into canonical events: the model (from
     * {@code response.created}), text, refusal and reasoning-summary deltas, each function call's start (from its
     * {@code output_item.added}) and argument deltas, and at the end the finish reason and usage (from
     * {@code response.completed} or {@code response.incomplete}). {@code response.failed} and {@code error} events
     * are the upstream's failure. Events without a canonical counterpart give none. Not thread-safe.
     */
    public static final class StreamDecoder {
        private final Map<String, Integer> callIndex = new HashMap<>();
        private boolean identified;
        private boolean finished;

        /** Whether the stream's terminal event was read. */
        public boolean finished() {
            return finished;
        }

        /**
         * The canonical events of one upstream event.
         *
         * @throws DialectException when the event is the upstream's failure, or not JSON
         */
        public List<StreamEvent> decode(String event, String data) throws DialectException {
            JsonNode node;
            try {
                node = Json.MAPPER.readTree(data);
            } catch (java.io.IOException e) {
                throw DialectException.badResponse("stream event is not JSON");
            }
            if (node == null || !node.isObject()) {
                throw DialectException.badResponse("stream event is not a JSON object");
            }
            String type = node.path("type").asText(event);
            List<StreamEvent> out = new ArrayList<>(2);
            switch (type) {
            case "response.created", "response.in_progress" -> {
                if (!identified && node.path("response").hasNonNull("model")) {
                    identified = true;
                    out.add(new StreamEvent.Metadata(node.path("response").path("model").asText(), Optional.empty(),
                                                     Json.text(node.path("response"), "service_tier")));
                }
            }
            case "response.output_text.delta" -> out.add(new StreamEvent.TextDelta(node.path("delta").asText("")));
            case "response.refusal.delta" -> out.add(new StreamEvent.RefusalDelta(node.path("delta").asText(""),
                                                                                  Optional.empty()));
            case "response.reasoning_summary_text.delta", "response.reasoning_text.delta" ->
                    out.add(new StreamEvent.ReasoningDelta(node.path("delta").asText("")));
            case "response.output_item.added" -> {
                JsonNode item = node.path("item");
                if (item.path("type").asText().equals("function_call")) {
                    int index = callIndex.size();
                    callIndex.put(item.path("id").asText(String.valueOf(index)), index);
                    out.add(new StreamEvent.ToolCallDelta(index, Optional.of(item.path("call_id").asText("")),
                                                          Optional.of(item.path("name").asText("")),
                                                          item.path("arguments").asText("")));
                }
            }
            case "response.function_call_arguments.delta" -> {
                Integer index = callIndex.get(node.path("item_id").asText());
                if (index == null) {
                    throw DialectException.badResponse("arguments for a function call that was not announced");
                }
                out.add(new StreamEvent.ToolCallDelta(index, Optional.empty(), Optional.empty(),
                                                      node.path("delta").asText("")));
            }
            case "response.completed", "response.incomplete" -> {
                finished = true;
                JsonNode response = node.path("response");
                out.add(new StreamEvent.Finished(finishReason(response, callIndex.isEmpty() ? List.of()
                        : List.of(new ToolCall("", "", "")))));
                usage(response.path("usage")).ifPresent(u -> out.add(new StreamEvent.UsageReported(u)));
            }
            case "response.failed" -> throw new DialectException(errorFailure(node.path("response").path("error")));
            case "error" -> throw new DialectException(errorFailure(node.has("code") || node.has("message") ? node
                    : node.path("error")));
            default -> {
                // item and part boundaries, done events, built-in tools' events: no canonical counterpart
            }
            }
            return out;
        }
    }
}
