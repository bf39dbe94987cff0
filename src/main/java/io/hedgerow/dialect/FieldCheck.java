package io.hedgerow.dialect;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Reads one field of a client's JSON with its documented type and range, or says in one line what is wrong:
 * {@code "temperature: 1.5 (expected: a number from 0 to 1)"}, naming the field by its path. A JSON {@code null} is
 * treated as absent, as the APIs do.
 */
public final class FieldCheck {
    private static final int SHOWN = 40;

    private FieldCheck() {
    }

    /** The field's value, absent when missing or null. */
    public static Optional<JsonNode> optional(JsonNode parent, String field) {
        JsonNode value = parent.get(field);
        return value == null || value.isNull() ? Optional.empty() : Optional.of(value);
    }

    public static JsonNode required(JsonNode parent, String field, String path) throws InvalidRequestException {
        return optional(parent, field).orElseThrow(() -> new InvalidRequestException(path + ": is required", path));
    }

    public static JsonNode object(JsonNode value, String path) throws InvalidRequestException {
        if (!value.isObject()) {
            throw wrong(value, path, "an object");
        }
        return value;
    }

    public static JsonNode array(JsonNode value, String path) throws InvalidRequestException {
        if (!value.isArray()) {
            throw wrong(value, path, "an array");
        }
        return value;
    }

    public static String text(JsonNode value, String path) throws InvalidRequestException {
        if (!value.isTextual()) {
            throw wrong(value, path, "a string");
        }
        return value.asText();
    }

    /** A string of at most {@code max} characters, non-empty when {@code min} is 1. */
    public static String text(JsonNode value, String path, int min, int max) throws InvalidRequestException {
        String text = text(value, path);
        if (text.length() < min || text.length() > max) {
            throw wrong(value, path, min > 0 ? "a string of " + min + " to " + max + " characters"
                    : "a string of at most " + max + " characters");
        }
        return text;
    }

    public static String matching(JsonNode value, String path, Pattern pattern, String expected)
            throws InvalidRequestException {
        String text = text(value, path);
        if (!pattern.matcher(text).matches()) {
            throw wrong(value, path, expected);
        }
        return text;
    }

    public static String oneOf(JsonNode value, String path, Set<String> allowed) throws InvalidRequestException {
        String text = value.isTextual() ? value.asText() : null;
        if (text == null || !allowed.contains(text)) {
            throw wrong(value, path, "one of " + String.join(", ", allowed.stream().sorted().toList()));
        }
        return text;
    }

    public static boolean bool(JsonNode value, String path) throws InvalidRequestException {
        if (!value.isBoolean()) {
            throw wrong(value, path, "true or false");
        }
        return value.asBoolean();
    }

    /** An integer within {@code [min, max]}. */
    public static int integer(JsonNode value, String path, long min, long max) throws InvalidRequestException {
        if (!value.isIntegralNumber() || !value.canConvertToLong() || value.asLong() < min || value.asLong() > max) {
            throw wrong(value, path, max == Integer.MAX_VALUE ? "an integer of at least " + min
                    : "an integer from " + min + " to " + max);
        }
        return (int) value.asLong();
    }

    /** A number within {@code [min, max]}. */
    public static double number(JsonNode value, String path, double min, double max) throws InvalidRequestException {
        if (!value.isNumber() || !(value.asDouble() >= min && value.asDouble() <= max)) {
            throw wrong(value, path, "a number from " + plain(min) + " to " + plain(max));
        }
        return value.asDouble();
    }

    /** {@code path: <value> (expected: ...)}, the value shortened to a glance. */
    public static InvalidRequestException wrong(JsonNode value, String path, String expected) {
        return new InvalidRequestException(path + ": " + shown(value) + " (expected: " + expected + ")", path);
    }

    private static String shown(JsonNode value) {
        String text = value.isContainerNode() ? (value.isObject() ? "an object" : "an array") : value.toString();
        return text.length() <= SHOWN ? text : text.substring(0, SHOWN) + "...";
    }

    private static String plain(double d) {
        return d == Math.rint(d) ? String.valueOf((long) d) : String.valueOf(d);
    }
}
