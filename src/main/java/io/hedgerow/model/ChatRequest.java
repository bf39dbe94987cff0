package io.hedgerow.model;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * A chat request in canonical form, independent of any provider's wire format.
 *
 * @param model         what the client asked for: a route alias (or {@code provider/model})
 * @param messages      the conversation, in order
 * @param tools         functions the model may call
 * @param toolChoice    how tools may be used; empty leaves it to the provider's default
 * @param sampling      temperature, limits and stop sequences
 * @param stream        whether the client wants server-sent events
 * @param includeUsage  whether a streamed answer ends with a usage chunk ({@code stream_options.include_usage})
 * @param passthrough   other top-level OpenAI fields (e.g. {@code seed}, {@code response_format}), as plain
 *                      Java values, forwarded verbatim to OpenAI-compatible providers and ignored by others
 * @param wire          the client's request as written, when a provider of the client's dialect may be sent it as is;
 *                      empty for requests made here (a prefilled continuation) and in tests
 */
public record ChatRequest(String model,
                          List<Message> messages,
                          List<ToolDefinition> tools,
                          Optional<ToolChoice> toolChoice,
                          Sampling sampling,
                          boolean stream,
                          boolean includeUsage,
                          Map<String, Object> passthrough,
                          Optional<WireRequest> wire) {

    public ChatRequest {
        Objects.requireNonNull(model, "model");
        messages = List.copyOf(messages);
        tools = List.copyOf(tools);
        Objects.requireNonNull(toolChoice, "toolChoice");
        Objects.requireNonNull(sampling, "sampling");
        passthrough = Map.copyOf(passthrough);
        Objects.requireNonNull(wire, "wire");
    }

    /** A request without its wire form. */
    public ChatRequest(String model, List<Message> messages, List<ToolDefinition> tools,
                       Optional<ToolChoice> toolChoice, Sampling sampling, boolean stream, boolean includeUsage,
                       Map<String, Object> passthrough) {
        this(model, messages, tools, toolChoice, sampling, stream, includeUsage, passthrough, Optional.empty());
    }

    /**
     * This request with its messages replaced (tools, sampling and flags are kept). The wire form is dropped: it no
     * longer says what this request says.
     */
    public ChatRequest withMessages(List<Message> newMessages) {
        return new ChatRequest(model, newMessages, tools, toolChoice, sampling, stream, includeUsage, passthrough,
                               Optional.empty());
    }

    /** The wire form, when the client spoke {@code dialect}. */
    public Optional<WireRequest> wire(Dialect dialect) {
        return wire.filter(w -> w.dialect() == dialect);
    }

    /** Sampling parameters; each is empty when the client did not set it. */
    public record Sampling(Optional<Double> temperature,
                           Optional<Double> topP,
                           Optional<Integer> maxTokens,
                           List<String> stop) {
        public Sampling {
            Objects.requireNonNull(temperature, "temperature");
            Objects.requireNonNull(topP, "topP");
            Objects.requireNonNull(maxTokens, "maxTokens");
            stop = List.copyOf(stop);
        }

        /** No parameters set. */
        public static Sampling defaults() {
            return new Sampling(Optional.empty(), Optional.empty(), Optional.empty(), List.of());
        }
    }
}
