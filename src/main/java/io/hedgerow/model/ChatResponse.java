package io.hedgerow.model;

import java.util.Objects;
import java.util.Optional;

/**
 * A complete (non-streamed) answer in canonical form.
 *
 * @param model        the model that answered, as the provider named it
 * @param message      the assistant's message (text and/or tool calls)
 * @param finishReason why generation stopped
 * @param usage        token counts, when the provider reported them
 */
public record ChatResponse(String model, Message message, FinishReason finishReason, Optional<Usage> usage) {
    public ChatResponse {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(message, "message");
        Objects.requireNonNull(finishReason, "finishReason");
        Objects.requireNonNull(usage, "usage");
    }
}
