package io.hedgerow.model;

import java.util.Objects;

/**
 * A function call made by the assistant. {@code arguments} is the JSON text exactly as the model wrote it:
 * it is passed through, never re-serialised, so translation cannot alter it.
 */
public record ToolCall(String id, String name, String arguments) {
    public ToolCall {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(arguments, "arguments");
    }
}
