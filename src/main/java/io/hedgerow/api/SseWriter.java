package io.hedgerow.api;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import io.hedgerow.dialect.SseFrame;
import io.hedgerow.json.Json;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;

/**
 * Writes server-sent events to the client, flushing each so it leaves at once. Each write is guarded by the
 * request's {@link ClientWatch.Guard} (a client that stops reading is cut after the write timeout), every failed
 * write is reported as an {@link UncheckedIOException} (Helidon reports a dead connection as several kinds of
 * exception), and how the stream ended is noted on the guard for the request ledger.
 *
 * <p>Thread-safe: writes are serialised, so a keep-alive {@code ping} from another thread never lands inside an
 * event.
 */
final class SseWriter {
    private static final byte[] DATA = "data: ".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] END = "\n\n".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] DONE = "data: [DONE]\n\n".getBytes(StandardCharsets.US_ASCII);

    private static final byte[] EVENT = "event: ".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] NEWLINE = "\n".getBytes(StandardCharsets.US_ASCII);

    private final OutputStream out;
    private final Optional<ClientWatch.Guard> guard;
    private volatile long lastWriteNanos = System.nanoTime();

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

    /** One {@code data:} event with a payload as it came from an upstream (one data line per line of it). */
    void raw(String data) {
        write(out -> {
            dataLines(out, data);
            out.write(NEWLINE);
        });
    }

    /** One named event ({@code event:} then {@code data:}); an {@code error} event marks the stream as ended in error. */
    void event(String name, String data) {
        write(out -> {
            out.write(EVENT);
            out.write(name.getBytes(StandardCharsets.UTF_8));
            out.write(NEWLINE);
            dataLines(out, data);
            out.write(NEWLINE);
        });
        if (name.equals("error")) {
            guard.ifPresent(g -> g.ended(ClientWatch.Ending.ERROR));
        }
    }

    /** An encoder's frames, in order: events as {@link #event}, comments as {@link #comment}. */
    void frames(List<SseFrame> frames) {
        for (SseFrame frame : frames) {
            if (frame.isComment()) {
                comment(frame.data());
            } else {
                event(frame.event(), frame.data());
            }
        }
    }

    /** The stream ended properly by its own last event (dialects without OpenAI's {@code [DONE]}). */
    void finished() {
        guard.ifPresent(g -> g.ended(ClientWatch.Ending.DONE));
    }

    /** Nanoseconds (of {@link System#nanoTime()}) since the last write. */
    long idleNanos() {
        return System.nanoTime() - lastWriteNanos;
    }

    private static void dataLines(OutputStream out, String data) throws IOException {
        int start = 0;
        while (true) {
            int end = data.indexOf('\n', start);
            out.write(DATA);
            out.write(data.substring(start, end < 0 ? data.length() : end).getBytes(StandardCharsets.UTF_8));
            out.write(NEWLINE);
            if (end < 0) {
                return;
            }
            start = end + 1;
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

    private synchronized void write(Writing writing) {
        lastWriteNanos = System.nanoTime();
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
            lastWriteNanos = System.nanoTime();
        }
    }

    private void broken() {
        guard.ifPresent(g -> g.ended(ClientWatch.Ending.BROKEN));
    }
}
