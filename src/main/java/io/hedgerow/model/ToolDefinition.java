package io.hedgerow.model;

import java.util.Map;
import java.util.Objects;

/**
 * A function the model may call. {@code parameters} is the JSON Schema as plain Java values
 * (maps, lists, strings, numbers, booleans), so this package needs no JSON library.
 */
public record ToolDefinition(String name, String description, Map<String, Object> parameters) {
    public ToolDefinition {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(description, "description");
        Objects.requireNonNull(parameters, "parameters");
    }
}
