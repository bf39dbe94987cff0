package io.hedgerow.fakes;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The vectors every fake embedding model gives: each value drawn from a generator seeded by the model name and the
 * input, so the same model gives the same vector for the same input on any fake (the same model on two hosts), and a
 * test can compute what input {@code i} must get back.
 */
public final class FakeVectors {
    /** The length of a vector when the request names no {@code dimensions}. */
    public static final int DIMENSIONS = 8;

    private FakeVectors() {
    }

    /** The vector {@code model} gives {@code input} (a text, or token ids written {@code "tokens:1,2,3"}). */
    public static float[] of(String model, String input, int dimensions) {
        SplittableRandom random = new SplittableRandom(model.hashCode() * 1_000_003L + input.hashCode());
        float[] vector = new float[dimensions];
        for (int i = 0; i < dimensions; i++) {
            vector[i] = (float) (random.nextDouble() * 2 - 1);
        }
        return vector;
    }

    /** The inputs of an OpenAI or Ollama embeddings request, as {@link #of} names them. */
    public static List<String> inputs(JsonNode input) {
        List<String> inputs = new ArrayList<>();
        if (input.isTextual()) {
            inputs.add(input.asText());
        } else if (input.isArray() && !input.isEmpty() && input.get(0).isNumber()) {
            inputs.add(tokens(input));
        } else {
            for (JsonNode item : input) {
                inputs.add(item.isArray() ? tokens(item) : item.asText());
            }
        }
        return inputs;
    }

    private static String tokens(JsonNode array) {
        StringBuilder sb = new StringBuilder("tokens:");
        for (int i = 0; i < array.size(); i++) {
            sb.append(i == 0 ? "" : ",").append(array.get(i).asInt());
        }
        return sb.toString();
    }
}
