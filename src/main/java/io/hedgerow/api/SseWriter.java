package io.hedgerow.api;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import io.hedgerow.json.Json;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * Writes server-sent events to the client, flushing each so it leaves at once. Each write is guarded by the
 * request's {@link ClientWatch.Guard} (a client that stops reading is cut after the write timeout), every failed
 * write is reported as an {@link UncheckedIOException} (Helidon reports a dead connection as several kinds of
 * exception), and how the stream ended is noted on the guard for the request ledger.
 */
final class SseWriter {
    private static final byte[] DATA = "data: ".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] END = "\n\n".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] DONE = "data: [DONE]\n\n".getBytes(StandardCharsets.US_ASCII);

    private final OutputStream out;
    private final Optional<ClientWatch.Guard> guard;

    SseWriter(OutputStream out) {
        this.out = out;
        this.guard = ClientWatch.current();
    }

    /** One {@code data:} event with a JSON payload; an {@code error} object marks the stream as ended in error. */
    void data(JsonNode json) {
        write(out -> {
            out.write(DATA);
            // Serialised straight into the response's buffer: no byte array per event.
            try (JsonGenerator generator = Json.MAPPER.createGenerator(out)) {
                // Closing it must neither close nor flush the response: the event leaves whole, at the flush below.
                generator.disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET);
                generator.disable(JsonGenerator.Feature.FLUSH_PASSED_TO_STREAM);
                Json.MAPPER.writeTree(generator, json);
            }
            out.write(END);
        });
        if (json.has("error")) {
            guard.ifPresent(g -> g.ended(ClientWatch.Ending.ERROR));
        }
    }

    /** A comment line, which SSE parsers ignore. */
    void comment(String text) {
        write((": " + text.replace('\n', ' ') + "\n\n").getBytes(StandardCharsets.UTF_8));
    }

    /** The end-of-stream marker OpenAI clients wait for. */
    void done() {
        write(DONE);
        guard.ifPresent(g -> g.ended(ClientWatch.Ending.DONE));
    }

    private void write(byte[] bytes) {
        write(out -> out.write(bytes));
    }

    private interface Writing {
        void writeTo(OutputStream out) throws IOException;
    }

    private void write(Writing writing) {
        guard.ifPresent(ClientWatch.Guard::armWrite);
        try {
            writing.writeTo(out);
            out.flush();
        } catch (IOException e) {
            broken();
            throw new UncheckedIOException(e);
        } catch (RuntimeException e) {
            broken();
            throw e instanceof UncheckedIOException u ? u
                    : new UncheckedIOException(new IOException("the client connection failed: " + e, e));
        } finally {
            guard.ifPresent(ClientWatch.Guard::disarm);
        }
    }

    private void broken() {
        guard.ifPresent(g -> g.ended(ClientWatch.Ending.BROKEN));
    }
}
