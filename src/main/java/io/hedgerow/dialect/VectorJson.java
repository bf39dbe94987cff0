package io.hedgerow.dialect;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Base64;

/**
 * Vectors in JSON, read and written without a tree: an answer of a few thousand vectors holds millions of numbers,
 * and a tree node per number would cost more than the vectors themselves. A vector is written as an array of
 * numbers, or as OpenAI's {@code base64}: the little-endian IEEE 754 float32 values, base64-encoded.
 */
public final class VectorJson {
    private VectorJson() {
    }

    /**
     * Reads a vector at the parser's current token: an array of numbers, or a base64 string of float32 values.
     *
     * @param where names the vector in an error
     */
    public static float[] read(JsonParser parser, String where) throws IOException, DialectException {
        JsonToken token = parser.currentToken();
        if (token == JsonToken.VALUE_STRING) {
            return fromBase64(parser.getText(), where);
        }
        if (token != JsonToken.START_ARRAY) {
            throw DialectException.badResponse(where + " is not an array of numbers");
        }
        float[] values = new float[1024];
        int n = 0;
        while ((token = parser.nextToken()) != JsonToken.END_ARRAY) {
            if (token != JsonToken.VALUE_NUMBER_FLOAT && token != JsonToken.VALUE_NUMBER_INT) {
                throw DialectException.badResponse(where + " holds something that is not a number");
            }
            if (n == values.length) {
                values = Arrays.copyOf(values, n * 2);
            }
            values[n++] = parser.getFloatValue();
        }
        return n == values.length ? values : Arrays.copyOf(values, n);
    }

    /** Writes a vector as an array of numbers or, with {@code base64}, as OpenAI's base64 string. */
    public static void write(JsonGenerator out, float[] vector, boolean base64) throws IOException {
        if (base64) {
            out.writeString(toBase64(vector));
            return;
        }
        out.writeStartArray(vector, vector.length);
        for (float value : vector) {
            out.writeNumber(value);
        }
        out.writeEndArray();
    }

    static String toBase64(float[] vector) {
        ByteBuffer bytes = ByteBuffer.allocate(vector.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        bytes.asFloatBuffer().put(vector);
        return Base64.getEncoder().encodeToString(bytes.array());
    }

    static float[] fromBase64(String text, String where) throws DialectException {
        byte[] raw;
        try {
            raw = Base64.getDecoder().decode(text);
        } catch (IllegalArgumentException e) {
            throw DialectException.badResponse(where + " is not base64");
        }
        if (raw.length % 4 != 0) {
            throw DialectException.badResponse(where + " is not a whole number of float32 values");
        }
        float[] vector = new float[raw.length / 4];
        ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(vector);
        return vector;
    }
}
