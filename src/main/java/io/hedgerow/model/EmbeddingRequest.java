package io.hedgerow.model;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * An embeddings request in canonical form.
 *
 * @param model      what the client asked for: a route alias (or {@code provider/model})
 * @param inputs     what to embed, in order: the answer has one vector per input, in the same order
 * @param dimensions the vector length asked for (models that can shorten their vectors), empty for the model's own
 * @param user       OpenAI's end-user identifier, forwarded where the provider takes one
 */
public record EmbeddingRequest(String model, List<EmbeddingInput> inputs, Optional<Integer> dimensions,
                               Optional<String> user) {
    public EmbeddingRequest {
        Objects.requireNonNull(model, "model");
        inputs = List.copyOf(inputs);
        Objects.requireNonNull(dimensions, "dimensions");
        Objects.requireNonNull(user, "user");
    }

    /** This request for a part of its inputs (a batch), everything else kept. */
    public EmbeddingRequest withInputs(List<EmbeddingInput> part) {
        return new EmbeddingRequest(model, part, dimensions, user);
    }

    /** Whether any input is a token array. */
    public boolean hasTokenInputs() {
        return inputs.stream().anyMatch(EmbeddingInput.Tokens.class::isInstance);
    }

    /** The estimated size of all inputs in tokens. */
    public long estimatedTokens() {
        long sum = 0;
        for (EmbeddingInput input : inputs) {
            sum += input.estimatedTokens();
        }
        return sum;
    }
}
