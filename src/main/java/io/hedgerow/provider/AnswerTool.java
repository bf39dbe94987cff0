package io.hedgerow.provider;

import io.hedgerow.dialect.DialectException;
import io.hedgerow.dialect.ResponseFormats;
import io.hedgerow.model.ChatRequest;
import io.hedgerow.model.ChatResponse;
import io.hedgerow.model.ContentPart;
import io.hedgerow.model.FinishReason;
import io.hedgerow.model.Message;
import io.hedgerow.model.ResponseFormat;
import io.hedgerow.model.Role;
import io.hedgerow.model.StreamEvent;
import io.hedgerow.model.ToolCall;
import io.hedgerow.model.ToolChoice;
import io.hedgerow.model.ToolDefinition;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A structured answer through a forced tool, for dialects with no JSON mode of their own (Anthropic for
 * {@code json_object} and non-strict schemas, Bedrock's Converse for every format): the request gets one more tool,
 * {@value #NAME}, whose input schema is the answer's ({@code {"type": "object"}} for {@code json_object}), and a tool
 * choice that makes the model call it; the call's input, the answer, comes back as the message's text and the call
 * itself is gone.
 *
 * <p>The tool choice: with no tools of the client's (or {@code tool_choice: none}, whose tools are then left out),
 * {@value #NAME} is forced; with tools and {@code auto}, any tool must be called, {@value #NAME} or one of the
 * client's (a call of the client's is the turn's answer, the structured answer comes in a later turn). When the client
 * itself requires a tool call ({@code required}, or a named function), the turn's answer is a tool call and nothing is
 * added.
 */
public final class AnswerTool {
    /** The tool's name. */
    public static final String NAME = "json_answer";

    private AnswerTool() {
    }

    /**
     * The request with the answer tool, when its format is to be honoured so (see the class comment); otherwise the
     * request as it is.
     *
     * @param strictNative whether a strict schema is honoured natively instead (Anthropic's JSON outputs)
     */
    public static ChatRequest apply(ChatRequest request, boolean strictNative) throws DialectException {
        Optional<ResponseFormat> format = ResponseFormats.of(request);
        if (format.isEmpty() || strictNative && format.get() instanceof ResponseFormat.JsonSchema s && s.strict()) {
            return request;
        }
        ToolChoice choice = request.toolChoice().orElse(new ToolChoice.Auto());
        if (choice instanceof ToolChoice.Required || choice instanceof ToolChoice.Function) {
            return request;
        }
        if (request.tools().stream().anyMatch(t -> t.name().equals(NAME))) {
            throw DialectException.badRequest("a tool named " + NAME + " is Hedgerow's own for a structured answer "
                                                      + "on this provider; rename yours");
        }
        ToolDefinition answer = switch (format.get()) {
            case ResponseFormat.JsonObject o -> new ToolDefinition(
                    NAME, "Give your complete answer as this tool's input, a JSON object.",
                    Map.of("type", "object"));
            case ResponseFormat.JsonSchema s -> new ToolDefinition(
                    NAME, "Give your complete answer as this tool's input" + (s.description().isEmpty() ? "."
                            : ": " + s.description()), s.schema(), Optional.of(s.strict()));
        };
        boolean keepTools = !(choice instanceof ToolChoice.None) && !request.tools().isEmpty();
        List<ToolDefinition> tools = new ArrayList<>(keepTools ? request.tools() : List.of());
        tools.add(answer);
        ToolChoice forced = keepTools ? new ToolChoice.Required() : new ToolChoice.Function(NAME);
        return new ChatRequest(request.model(), request.messages(), tools, Optional.of(forced), request.sampling(),
                               request.stream(), request.includeUsage(), request.passthrough(), request.wire());
    }

    /** Whether {@link #apply} added the tool. */
    public static boolean added(ChatRequest request) {
        return request.tools().stream().anyMatch(t -> t.name().equals(NAME));
    }

    /** A whole answer with the answer tool's call turned into the message's text. */
    public static ChatResponse answer(ChatResponse response) {
        List<ToolCall> others = new ArrayList<>();
        StringBuilder text = new StringBuilder(response.message().text());
        boolean answered = false;
        for (ToolCall call : response.message().toolCalls()) {
            if (call.name().equals(NAME)) {
                text.append(call.arguments());
                answered = true;
            } else {
                others.add(call);
            }
        }
        if (!answered) {
            return response;
        }
        Message message = new Message(Role.ASSISTANT, List.of(new ContentPart.Text(text.toString())), others,
                                      Optional.empty(), Optional.empty());
        FinishReason reason = others.isEmpty() && response.finishReason() == FinishReason.TOOL_CALLS
                ? FinishReason.STOP : response.finishReason();
        return new ChatResponse(response.model(), message, reason, response.usage(), response.reasoning(),
                                response.refusal(), response.logprobs(), response.systemFingerprint(),
                                response.serviceTier());
    }

    /** A stream with the answer tool's argument pieces turned into text pieces. */
    public static ChatStream stream(ChatStream stream) {
        return new Unwrapped(stream);
    }

    /** Maps the answer tool's call to text; other calls keep their order, renumbered from 0. */
    private static final class Unwrapped implements ChatStream {
        private final ChatStream stream;
        private final Map<Integer, Integer> indices = new HashMap<>();
        private boolean otherCalls;

        Unwrapped(ChatStream stream) {
            this.stream = stream;
        }

        @Override
        public Optional<StreamEvent> next() throws ProviderException {
            Optional<StreamEvent> next = stream.next();
            if (next.isEmpty()) {
                return next;
            }
            return Optional.of(switch (next.get()) {
                case StreamEvent.ToolCallDelta call -> {
                    Integer index = indices.get(call.index());
                    if (index == null) {
                        boolean answer = call.name().filter(NAME::equals).isPresent();
                        index = answer ? -1 : (int) indices.values().stream().filter(i -> i >= 0).count();
                        indices.put(call.index(), index);
                        otherCalls |= !answer;
                    }
                    yield index < 0 ? new StreamEvent.TextDelta(call.argumentsFragment())
                            : new StreamEvent.ToolCallDelta(index, call.id(), call.name(), call.argumentsFragment());
                }
                case StreamEvent.Finished finished -> finished.reason() == FinishReason.TOOL_CALLS && !otherCalls
                        ? new StreamEvent.Finished(FinishReason.STOP) : finished;
                default -> next.get();
            });
        }

        @Override
        public void close() {
            stream.close();
        }
    }
}
