package io.hedgerow.model;

import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * A complete (non-streamed) answer in canonical form. Besides the message, it carries the few things a provider may
 * say about its answer that clients read: each is empty when the provider did not send it.
 *
 * @param model             the model that answered, as the provider named it (often a dated snapshot)
 * @param message           the assistant's message (text and/or tool calls)
 * @param finishReason      why generation stopped
 * @param usage             token counts, when the provider reported them
 * @param reasoning         the model's reasoning ("thinking") text, shown apart from the answer
 * @param refusal           the model's refusal message, when it declined (OpenAI's {@code message.refusal})
 * @param logprobs          OpenAI's {@code choice.logprobs} object ({@code content}, {@code refusal}) as plain Java
 *                          values, relayed as it came; not copied, so treat it as read-only
 * @param systemFingerprint OpenAI's {@code system_fingerprint}: the backend configuration that answered
 * @param serviceTier       OpenAI's {@code service_tier}: the processing tier that served the request
 * @param wire              the upstream's body as it came, when the client speaks its dialect (see {@link WireBody})
 */
public record ChatResponse(String model, Message message, FinishReason finishReason, Optional<Usage> usage,
                           Optional<String> reasoning, Optional<String> refusal,
                           Optional<Map<String, Object>> logprobs, Optional<String> systemFingerprint,
                           Optional<String> serviceTier, Optional<WireBody> wire) {
    public ChatResponse {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(message, "message");
        Objects.requireNonNull(finishReason, "finishReason");
        Objects.requireNonNull(usage, "usage");
        Objects.requireNonNull(reasoning, "reasoning");
        Objects.requireNonNull(refusal, "refusal");
        Objects.requireNonNull(logprobs, "logprobs");
        Objects.requireNonNull(systemFingerprint, "systemFingerprint");
        Objects.requireNonNull(serviceTier, "serviceTier");
        Objects.requireNonNull(wire, "wire");
    }

    /** An answer without its wire form. */
    public ChatResponse(String model, Message message, FinishReason finishReason, Optional<Usage> usage,
                        Optional<String> reasoning, Optional<String> refusal,
                        Optional<Map<String, Object>> logprobs, Optional<String> systemFingerprint,
                        Optional<String> serviceTier) {
        this(model, message, finishReason, usage, reasoning, refusal, logprobs, systemFingerprint, serviceTier,
             Optional.empty());
    }

    /** This answer with the upstream's body kept beside it. */
    public ChatResponse withWire(WireBody body) {
        return new ChatResponse(model, message, finishReason, usage, reasoning, refusal, logprobs, systemFingerprint,
                                serviceTier, Optional.of(body));
    }

    /** An answer with nothing beside its message, finish reason and usage. */
    public ChatResponse(String model, Message message, FinishReason finishReason, Optional<Usage> usage) {
        this(model, message, finishReason, usage, Optional.empty(), Optional.empty(), Optional.empty(),
             Optional.empty(), Optional.empty());
    }
}
