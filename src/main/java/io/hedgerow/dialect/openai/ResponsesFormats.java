package io.hedgerow.dialect.openai;

import com.fasterxml.jackson.databind.JsonNode;
import io.hedgerow.dialect.FieldCheck;
import io.hedgerow.dialect.InvalidRequestException;
import io.hedgerow.dialect.ResponseFormats;
import io.hedgerow.json.Json;
import io.hedgerow.model.ResponseFormat;

import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The Responses API's {@code text} parameter: {@code format} ({@code text}, {@code json_object}, or {@code json_schema}
 * with its {@code name}, {@code schema}, {@code strict} and {@code description} flat in the format object) and
 * {@code verbosity}.
 */
final class ResponsesFormats {
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_-]{1,64}");

    private ResponsesFormats() {
    }

    /** The format {@code text} asks for, checked; empty for plain text. */
    static Optional<Format> read(JsonNode text) throws InvalidRequestException {
        if (FieldCheck.optional(text, "verbosity").isPresent()) {
            FieldCheck.oneOf(text.get("verbosity"), "text.verbosity", Set.of("low", "medium", "high"));
        }
        Optional<JsonNode> format = FieldCheck.optional(text, "format");
        if (format.isEmpty()) {
            return Optional.empty();
        }
        FieldCheck.object(format.get(), "text.format");
        String type = FieldCheck.oneOf(FieldCheck.required(format.get(), "type", "text.format.type"),
                                       "text.format.type", Set.of("text", "json_object", "json_schema"));
        return switch (type) {
            case "json_object" -> Optional.of(new Format(new ResponseFormat.JsonObject()));
            case "json_schema" -> {
                String name = FieldCheck.matching(FieldCheck.required(format.get(), "name", "text.format.name"),
                                                  "text.format.name", NAME, "1 to 64 letters, digits, _ or -");
                JsonNode schema = FieldCheck.object(FieldCheck.required(format.get(), "schema",
                                                                        "text.format.schema"), "text.format.schema");
                boolean strict = FieldCheck.optional(format.get(), "strict").isPresent()
                        && FieldCheck.bool(format.get().get("strict"), "text.format.strict");
                String description = FieldCheck.optional(format.get(), "description").isPresent()
                        ? FieldCheck.text(format.get().get("description"), "text.format.description") : "";
                yield Optional.of(new Format(new ResponseFormat.JsonSchema(name, Json.toMap(schema), strict,
                                                                            description)));
            }
            default -> Optional.empty();
        };
    }

    /** A format asked for. */
    record Format(ResponseFormat format) {
        /** As Chat Completions' {@code response_format}. */
        Map<String, Object> chatResponseFormat() {
            return ResponseFormats.toChat(format);
        }
    }
}
