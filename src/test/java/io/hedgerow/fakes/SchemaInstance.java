package io.hedgerow.fakes;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The answer a fake model gives when a request asks for JSON of a schema: an instance of it, every property filled
 * ({@code "x"} for strings, 7 for integers, 1.5 for numbers, true for booleans, the first of an {@code enum}, one item
 * per array, {@code $ref}s into {@code $defs} followed), or {@code {"answer":"x"}} for any JSON object (no schema, or
 * an object schema without properties). Fakes answer
 * with one only when the request carried the schema in their own dialect's way, so a test that parses the answer
 * proves the schema travelled.
 */
public final class SchemaInstance {
    private static final ObjectMapper JSON = new ObjectMapper();

    private SchemaInstance() {
    }

    /** An instance of {@code schema}; {@code {"answer":"x"}} when there is none (a plain JSON-object request). */
    public static String of(JsonNode schema) {
        if (schema == null || schema.isMissingNode() || schema.isNull() || schema.isTextual()) {
            return "{\"answer\":\"x\"}";
        }
        return value(schema, schema, 0).toString();
    }

    private static JsonNode value(JsonNode schema, JsonNode root, int depth) {
        if (depth > 20) {
            return JSON.nullNode();
        }
        if (schema.has("$ref")) {
            String ref = schema.get("$ref").asText();
            String name = ref.substring(ref.lastIndexOf('/') + 1);
            JsonNode defs = root.has("$defs") ? root.get("$defs") : root.path("definitions");
            return value(ref.equals("#") ? root : defs.path(name), root, depth + 1);
        }
        if (schema.has("enum")) {
            return schema.get("enum").get(0);
        }
        for (String union : new String[] {"anyOf", "oneOf"}) {
            if (schema.has(union)) {
                return value(schema.get(union).get(0), root, depth + 1);
            }
        }
        JsonNode type = schema.path("type");
        String name = type.isArray() ? type.get(0).asText() : type.asText(schema.has("properties") ? "object" : "");
        return switch (name) {
            case "object" -> {
                ObjectNode object = JSON.createObjectNode();
                if (!schema.has("properties")) {
                    // Any object will do: the model says something.
                    yield object.put("answer", "x");
                }
                schema.path("properties").fields().forEachRemaining(
                        p -> object.set(p.getKey(), value(p.getValue(), root, depth + 1)));
                yield object;
            }
            case "array" -> {
                ArrayNode array = JSON.createArrayNode();
                array.add(value(schema.path("items"), root, depth + 1));
                yield array;
            }
            case "string" -> JSON.getNodeFactory().textNode("x");
            case "integer" -> JSON.getNodeFactory().numberNode(7);
            case "number" -> JSON.getNodeFactory().numberNode(1.5);
            case "boolean" -> JSON.getNodeFactory().booleanNode(true);
            default -> JSON.nullNode();
        };
    }
}
