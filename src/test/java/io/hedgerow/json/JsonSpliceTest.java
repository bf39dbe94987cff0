package io.hedgerow.json;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

class JsonSpliceTest {

    private static String splice(String json, Map<String, String> values) throws IOException {
        return new String(JsonSplice.setFields(json.getBytes(StandardCharsets.UTF_8), values), StandardCharsets.UTF_8);
    }

    @Test
    void replacesOnlyTheNamedValuesAndKeepsEveryOtherByte() throws IOException {
        String body = "{ \"model\" : \"alias\",\n  \"n\": 1.10, \"s\":\"\\u00e9\\\"x\",\"t\":true,"
                + "\"o\":{\"model\":\"inner\"},\"a\":[1,{\"b\":null}], \"z\" :12345678901234567890 }";
        assertEquals(body.replace("\"alias\"", "\"claude-x\""), splice(body, Map.of("model", "\"claude-x\"")));
        // Values of every kind can be replaced, nested ones are never touched.
        for (String field : List.of("n", "s", "t", "o", "a", "z")) {
            String out = splice(body, Map.of(field, "0"));
            assertEquals(0, RawJson.compare(body, out, field), field + ": " + out);
        }
    }

    @Test
    void insertsMissingFieldsAfterTheBraceAndReplacesDuplicates() throws IOException {
        Map<String, String> values = new LinkedHashMap<>();
        values.put("model", "\"m\"");
        values.put("stream_options", "{\"include_usage\":true}");
        assertEquals("{\"stream_options\":{\"include_usage\":true},\"model\":\"m\",\"x\":1,\"model\":\"m\"}",
                     splice("{\"model\":\"a\",\"x\":1,\"model\":\"b\"}", values));
        assertEquals("{\"model\":\"m\"}", splice("{}", Map.of("model", "\"m\"")));
        assertEquals("{\"model\":\"m\" \n}", splice("{ \n}", Map.of("model", "\"m\"")).replaceFirst("\\{ ", "{"));
    }

    @Test
    void nothingToSetIsTheSameBytesAndANonObjectIsRefused() throws IOException {
        byte[] body = "{\"a\":1}".getBytes(StandardCharsets.UTF_8);
        assertSame(body, JsonSplice.setFields(body, Map.of()));
        assertArrayEquals("{\"a\":2}".getBytes(StandardCharsets.UTF_8), JsonSplice.setFields(body, Map.of("a", "2")));
        for (String bad : List.of("[1]", "\"x\"", "{\"a\":1")) {
            assertThrows(IOException.class, () -> splice(bad, Map.of("a", "1")), bad);
        }
    }

    /** The two documents equal except for the value of one top-level field. */
    private static final class RawJson {
        static int compare(String before, String after, String field) throws IOException {
            var a = (com.fasterxml.jackson.databind.node.ObjectNode) Json.MAPPER.readTree(before);
            var b = (com.fasterxml.jackson.databind.node.ObjectNode) Json.MAPPER.readTree(after);
            if (!b.get(field).equals(Json.MAPPER.readTree("0"))) {
                return 1;
            }
            a.remove(field);
            b.remove(field);
            return a.equals(b) ? 0 : 1;
        }
    }
}
