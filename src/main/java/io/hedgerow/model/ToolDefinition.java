package io.hedgerow.model;

import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * A function the model may call. {@code parameters} is the JSON Schema as plain Java values
 * (maps, lists, strings, numbers, booleans), so this package needs no JSON library. {@code strict} is
 * OpenAI's structured-outputs switch (arguments that always match the schema), empty when the client did not
 * set it.
 */
public record ToolDefinition(String name, String description, Map<String, Object> parameters,
                             Optional<Boolean> strict) {
    public ToolDefinition {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(description, "description");
        Objects.requireNonNull(parameters, "parameters");
        Objects.requireNonNull(strict, "strict");
    }

    /** A function without the {@code strict} switch. */
    public ToolDefinition(String name, String description, Map<String, Object> parameters) {
        this(name, description, parameters, Optional.empty());
    }
}
