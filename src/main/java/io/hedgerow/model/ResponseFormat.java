package io.hedgerow.model;

import java.util.Map;
import java.util.Objects;

/**
 * What shape the answer's text must have (OpenAI's {@code response_format}, the Responses API's {@code text.format}):
 * any JSON object, or JSON valid against a schema. Plain text is the absence of a format.
 */
public sealed interface ResponseFormat {

    /** Any JSON object ({@code json_object}). */
    record JsonObject() implements ResponseFormat {
    }

    /**
     * JSON valid against {@code schema} ({@code json_schema}).
     *
     * @param name        the schema's name, as the client gave it
     * @param schema      the JSON Schema as plain Java values (maps, lists, strings, numbers, booleans)
     * @param strict      whether the client asked for strict adherence (constrained decoding, where offered)
     * @param description what the answer is for, when the client said
     */
    record JsonSchema(String name, Map<String, Object> schema, boolean strict, String description)
            implements ResponseFormat {
        public JsonSchema {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(schema, "schema");
            Objects.requireNonNull(description, "description");
        }
    }
}
