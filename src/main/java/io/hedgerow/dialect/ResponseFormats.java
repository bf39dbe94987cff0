package io.hedgerow.dialect;

import io.hedgerow.model.ChatRequest;
import io.hedgerow.model.ResponseFormat;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * A request's {@code response_format}, as Chat Completions writes it and the canonical request carries it (among the
 * OpenAI fields passed through): read into a {@link ResponseFormat} for the dialects that must translate it, and
 * written back for those that take it as it is.
 */
public final class ResponseFormats {
    private ResponseFormats() {
    }

    /**
     * The request's format, empty for plain text.
     *
     * @throws DialectException ({@code BAD_REQUEST}) when {@code response_format} is not one of OpenAI's shapes
     */
    public static Optional<ResponseFormat> of(ChatRequest request) throws DialectException {
        Object value = request.passthrough().get("response_format");
        if (value == null) {
            return Optional.empty();
        }
        if (!(value instanceof Map<?, ?> format) || !(format.get("type") instanceof String type)) {
            throw DialectException.badRequest("response_format: expected an object with a type");
        }
        return switch (type) {
            case "text" -> Optional.empty();
            case "json_object" -> Optional.of(new ResponseFormat.JsonObject());
            case "json_schema" -> {
                if (!(format.get("json_schema") instanceof Map<?, ?> spec) || !(spec.get("name") instanceof String name)) {
                    throw DialectException.badRequest("response_format.json_schema: expected an object with a name");
                }
                Map<String, Object> schema = new LinkedHashMap<>();
                if (spec.get("schema") instanceof Map<?, ?> given) {
                    given.forEach((k, v) -> schema.put(String.valueOf(k), v));
                } else if (spec.get("schema") != null) {
                    throw DialectException.badRequest("response_format.json_schema.schema: expected an object");
                }
                yield Optional.of(new ResponseFormat.JsonSchema(
                        name, schema, Boolean.TRUE.equals(spec.get("strict")),
                        spec.get("description") instanceof String d ? d : ""));
            }
            default -> throw DialectException.badRequest("response_format.type: '" + type
                    + "' (expected: text, json_object or json_schema)");
        };
    }

    /** The format as Chat Completions' {@code response_format}, in plain Java values. */
    public static Map<String, Object> toChat(ResponseFormat format) {
        Map<String, Object> out = new LinkedHashMap<>();
        switch (format) {
        case ResponseFormat.JsonObject o -> out.put("type", "json_object");
        case ResponseFormat.JsonSchema s -> {
            out.put("type", "json_schema");
            Map<String, Object> spec = new LinkedHashMap<>();
            spec.put("name", s.name());
            if (!s.description().isEmpty()) {
                spec.put("description", s.description());
            }
            spec.put("schema", s.schema());
            spec.put("strict", s.strict());
            out.put("json_schema", spec);
        }
        }
        return out;
    }
}
