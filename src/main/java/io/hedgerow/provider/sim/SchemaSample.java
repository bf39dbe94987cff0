package io.hedgerow.provider.sim;

import io.hedgerow.json.Json;

import com.fasterxml.jackson.core.JsonProcessingException;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A value valid against a JSON schema, for the simulator's tool arguments and structured answers: an object with every
 * property (each sampled), the first of an {@code enum} or {@code const}, the first branch of {@code anyOf}/
 * {@code oneOf}, one item for an array, {@code "sim"} for a string, 1 for a number, {@code true} for a boolean; a
 * {@code $ref} into the schema's {@code $defs} (or {@code definitions}) is followed, to a bounded depth.
 */
final class SchemaSample {
    private static final int MAX_DEPTH = 16;

    private SchemaSample() {
    }

    /** The sample as JSON text. */
    static String json(Map<String, Object> schema) {
        try {
            return Json.MAPPER.writeValueAsString(value(schema, schema, 0));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("plain values always serialise", e);
        }
    }

    private static Object value(Object node, Map<String, Object> root, int depth) {
        if (!(node instanceof Map<?, ?> schema) || depth > MAX_DEPTH) {
            return null;
        }
        if (schema.get("$ref") instanceof String ref) {
            return value(resolve(ref, root), root, depth + 1);
        }
        if (schema.get("const") != null) {
            return schema.get("const");
        }
        if (schema.get("enum") instanceof List<?> values && !values.isEmpty()) {
            return values.getFirst();
        }
        for (String union : List.of("anyOf", "oneOf", "allOf")) {
            if (schema.get(union) instanceof List<?> branches && !branches.isEmpty()) {
                return value(branches.getFirst(), root, depth + 1);
            }
        }
        Object type = schema.get("type");
        if (type instanceof List<?> types) {
            type = types.stream().<Object>map(t -> t).filter(t -> !"null".equals(t)).findFirst().orElse("null");
        }
        if (type == null && schema.get("properties") instanceof Map<?, ?>) {
            type = "object";
        }
        return switch (String.valueOf(type)) {
            case "object" -> {
                Map<String, Object> object = new LinkedHashMap<>();
                if (schema.get("properties") instanceof Map<?, ?> properties) {
                    properties.forEach((name, property) -> object.put(String.valueOf(name),
                                                                      value(property, root, depth + 1)));
                }
                yield object;
            }
            case "array" -> {
                List<Object> items = new ArrayList<>();
                items.add(value(schema.get("items"), root, depth + 1));
                yield items;
            }
            case "string" -> "sim";
            case "integer", "number" -> 1;
            case "boolean" -> true;
            default -> null;
        };
    }

    private static Object resolve(String ref, Map<String, Object> root) {
        for (String prefix : List.of("#/$defs/", "#/definitions/")) {
            if (ref.startsWith(prefix) && root.get(prefix.substring(2, prefix.length() - 1)) instanceof Map<?, ?> defs) {
                return defs.get(ref.substring(prefix.length()));
            }
        }
        return ref.equals("#") ? root : null;
    }
}
