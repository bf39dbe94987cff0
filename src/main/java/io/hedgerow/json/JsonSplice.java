package io.hedgerow.json;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Rewrites top-level fields of a JSON object in its bytes, leaving every other byte as it was: no re-encoding, so
 * numbers, escapes, key order and whitespace stay the writer's own.
 *
 * <p>Algorithm: one streaming pass over the top level (nested values are skipped, not read) records the byte span of
 * each named field's value; the output is the input with those spans replaced by the new values' bytes, and fields not
 * present inserted right after the opening brace. Every occurrence of a duplicated name is replaced. The input must be
 * a JSON object (the caller parsed it already); anything else is an {@link IOException}.
 */
public final class JsonSplice {

    private JsonSplice() {
    }

    /**
     * The object with the given top-level fields set.
     *
     * @param body   a JSON object, as UTF-8 bytes
     * @param values field name to its new value, as JSON text (e.g. {@code "\"gpt-4o\""} or {@code {"a":1}})
     */
    public static byte[] setFields(byte[] body, Map<String, String> values) throws IOException {
        if (values.isEmpty()) {
            return body;
        }
        List<int[]> spans = new ArrayList<>();
        List<String> replacements = new ArrayList<>();
        Map<String, String> missing = new LinkedHashMap<>(values);
        int open;
        try (JsonParser parser = Json.MAPPER.getFactory().createParser(body)) {
            if (parser.nextToken() != JsonToken.START_OBJECT) {
                throw new IOException("not a JSON object");
            }
            open = (int) parser.currentTokenLocation().getByteOffset();
            JsonToken token;
            while ((token = parser.nextToken()) == JsonToken.FIELD_NAME) {
                String name = parser.currentName();
                JsonToken value = parser.nextToken();
                int start = (int) parser.currentTokenLocation().getByteOffset();
                if (value == JsonToken.START_OBJECT || value == JsonToken.START_ARRAY) {
                    parser.skipChildren();
                } else {
                    parser.finishToken();
                }
                int end = (int) parser.currentLocation().getByteOffset();
                String replacement = values.get(name);
                if (replacement != null) {
                    spans.add(new int[] {start, end});
                    replacements.add(replacement);
                    missing.remove(name);
                }
            }
            if (token != JsonToken.END_OBJECT) {
                throw new IOException("not a JSON object");
            }
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(body.length + 64);
        out.write(body, 0, open + 1);
        if (!missing.isEmpty()) {
            StringBuilder inserted = new StringBuilder();
            for (Map.Entry<String, String> field : missing.entrySet()) {
                inserted.append(Json.MAPPER.writeValueAsString(field.getKey())).append(':').append(field.getValue())
                        .append(',');
            }
            if (!hasField(body, open)) {
                inserted.setLength(inserted.length() - 1);
            }
            out.writeBytes(inserted.toString().getBytes(StandardCharsets.UTF_8));
        }
        int at = open + 1;
        for (int i = 0; i < spans.size(); i++) {
            out.write(body, at, spans.get(i)[0] - at);
            out.writeBytes(replacements.get(i).getBytes(StandardCharsets.UTF_8));
            at = spans.get(i)[1];
        }
        out.write(body, at, body.length - at);
        return out.toByteArray();
    }

    /** Whether anything but whitespace follows the opening brace before the closing one. */
    private static boolean hasField(byte[] body, int open) {
        for (int i = open + 1; i < body.length; i++) {
            byte b = body[i];
            if (b != ' ' && b != '\t' && b != '\n' && b != '\r') {
                return b != '}';
            }
        }
        return false;
    }
}
