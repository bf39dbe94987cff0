package io.hedgerow.model;

import java.util.Objects;

/** How the model may use the tools it was given. */
public sealed interface ToolChoice {
    /** The model decides. */
    record Auto() implements ToolChoice { }

    /** No tool calls. */
    record None() implements ToolChoice { }

    /** At least one tool call. */
    record Required() implements ToolChoice { }

    /** This function must be called. */
    record Function(String name) implements ToolChoice {
        public Function {
            Objects.requireNonNull(name, "name");
        }
    }
}
