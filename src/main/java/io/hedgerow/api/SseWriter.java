package io.hedgerow.api;

import com.fasterxml.jackson.databind.JsonNode;
import io.hedgerow.wire.Json;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/** Writes server-sent events to the client, flushing each so it leaves at once. */
final class SseWriter {
    private static final byte[] DATA = "data: ".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] END = "\n\n".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] DONE = "data: [DONE]\n\n".getBytes(StandardCharsets.US_ASCII);

    private final OutputStream out;

    SseWriter(OutputStream out) {
        this.out = out;
    }

    /** One {@code data:} event with a JSON payload. */
    void data(JsonNode json) {
        try {
            out.write(DATA);
            out.write(Json.MAPPER.writeValueAsBytes(json));
            out.write(END);
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A comment line, which SSE parsers ignore. */
    void comment(String text) {
        write((": " + text.replace('\n', ' ') + "\n\n").getBytes(StandardCharsets.UTF_8));
    }

    /** The end-of-stream marker OpenAI clients wait for. */
    void done() {
        write(DONE);
    }

    private void write(byte[] bytes) {
        try {
            out.write(bytes);
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
