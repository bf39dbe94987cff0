package io.hedgerow.dialect;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Reads one field of a client's JSON with its documented type and range, or says in one line what is wrong:
 * {@code "temperature: 1.5 (expected: a number from 0 to 1)"}, naming the field by its path. A JSON {@code null} is
 * treated as absent, as the APIs do. A path is any {@link CharSequence}: a string, or a {@link Where} that is spelled
 * out only when an error needs it.
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

    /** One field's check, given its value and its path (a {@link Where}, or a string). */
    @FunctionalInterface
    public interface Check {
        void accept(JsonNode value, CharSequence path) throws InvalidRequestException;
    }

    /** Runs {@code check} on the field when it is present and not null. */
    public static void ifPresent(JsonNode parent, String field, CharSequence path, Check check)
            throws InvalidRequestException {
        Optional<JsonNode> value = optional(parent, field);
        if (value.isPresent()) {
            check.accept(value.get(), path);
        }
    }

    public static JsonNode required(JsonNode parent, String field, CharSequence path) throws InvalidRequestException {
        return optional(parent, field).orElseThrow(() -> new InvalidRequestException(path + ": is required", path.toString()));
    }

    public static JsonNode object(JsonNode value, CharSequence path) throws InvalidRequestException {
        if (!value.isObject()) {
            throw wrong(value, path, "an object");
        }
        return value;
    }

    public static JsonNode array(JsonNode value, CharSequence path) throws InvalidRequestException {
        if (!value.isArray()) {
            throw wrong(value, path, "an array");
        }
        return value;
    }

    public static String text(JsonNode value, CharSequence path) throws InvalidRequestException {
        if (!value.isTextual()) {
            throw wrong(value, path, "a string");
        }
        return value.asText();
    }

    /** A string of at most {@code max} characters, non-empty when {@code min} is 1. */
    public static String text(JsonNode value, CharSequence path, int min, int max) throws InvalidRequestException {
        String text = text(value, path);
        if (text.length() < min || text.length() > max) {
            throw wrong(value, path, min > 0 ? "a string of " + min + " to " + max + " characters"
                    : "a string of at most " + max + " characters");
        }
        return text;
    }

    public static String matching(JsonNode value, CharSequence path, Pattern pattern, String expected)
            throws InvalidRequestException {
        String text = text(value, path);
        if (!pattern.matcher(text).matches()) {
            throw wrong(value, path, expected);
        }
        return text;
    }

    public static String oneOf(JsonNode value, CharSequence path, Set<String> allowed) throws InvalidRequestException {
        String text = value.isTextual() ? value.asText() : null;
        if (text == null || !allowed.contains(text)) {
            throw wrong(value, path, "one of " + String.join(", ", allowed.stream().sorted().toList()));
        }
        return text;
    }

    public static boolean bool(JsonNode value, CharSequence path) throws InvalidRequestException {
        if (!value.isBoolean()) {
            throw wrong(value, path, "true or false");
        }
        return value.asBoolean();
    }

    /**
     * An integer within {@code [min, max]} ({@code max} at most {@link Integer#MAX_VALUE}). A decimal with no fraction
     * ({@code 2.0}) is an integer, as in JSON Schema; one too large for a long is out of range, never wrapped.
     */
    public static int integer(JsonNode value, CharSequence path, long min, long max) throws InvalidRequestException {
        return (int) longInteger(value, path, min, Math.min(max, Integer.MAX_VALUE));
    }

    /** An integer within {@code [min, max]}, as a long (a seed, say). */
    public static long longInteger(JsonNode value, CharSequence path, long min, long max) throws InvalidRequestException {
        if (!integral(value) || !(value.canConvertToLong() && value.asLong() >= min && value.asLong() <= max)) {
            throw wrong(value, path, max == Integer.MAX_VALUE || max == Long.MAX_VALUE
                    ? "an integer of at least " + min : "an integer from " + min + " to " + max);
        }
        return value.asLong();
    }

    private static boolean integral(JsonNode value) {
        if (value.isIntegralNumber()) {
            return true;
        }
        // Exact decimals (the bounded reader keeps them): 2.0 is integral, 2.5 and 1e400 are not (or not a long).
        return value.isBigDecimal() && value.decimalValue().stripTrailingZeros().scale() <= 0;
    }

    /**
     * A number within {@code [min, max]}; one that overflows a double ({@code 1e400}) is out of any range, so it is
     * refused instead of becoming infinity.
     */
    public static double number(JsonNode value, CharSequence path, double min, double max) throws InvalidRequestException {
        if (!value.isNumber() || !(value.asDouble() >= min && value.asDouble() <= max)) {
            throw wrong(value, path, min == -Double.MAX_VALUE ? "a finite number"
                    : "a number from " + plain(min) + " to " + plain(max));
        }
        return value.asDouble();
    }

    /** An array of {@code min} to {@code max} items. */
    public static JsonNode array(JsonNode value, CharSequence path, int min, int max) throws InvalidRequestException {
        array(value, path);
        if (value.size() < min || value.size() > max) {
            throw wrong(value, path, max == Integer.MAX_VALUE ? "an array of at least " + min + " item"
                    + (min == 1 ? "" : "s") : "an array of " + min + " to " + max + " items");
        }
        return value;
    }

    /** {@code path: <value> (expected: ...)}, the value shortened to a glance. */
    public static InvalidRequestException wrong(JsonNode value, CharSequence path, String expected) {
        return new InvalidRequestException(path + ": " + shown(value) + " (expected: " + expected + ")",
                                           path.toString());
    }

    private static String shown(JsonNode value) {
        String text = value.isContainerNode() ? (value.isObject() ? "an object" : "an array of " + value.size() + " items")
                : value.toString();
        return text.length() <= SHOWN ? text : text.substring(0, SHOWN) + "...";
    }

    private static String plain(double d) {
        return d == Math.rint(d) ? String.valueOf((long) d) : String.valueOf(d);
    }
}
