package io.hedgerow.provider;

import java.io.IOException;
import java.util.Optional;

/**
 * Parses a server-sent event stream (the subset providers use: {@code event:} and {@code data:} fields,
 * comments, blank-line dispatch; multi-line data joined with LF). {@code id:} and {@code retry:} are ignored.
 */
public final class SseReader {
    private final LineReader lines;

    public SseReader(LineReader lines) {
        this.lines = lines;
    }

    /** One dispatched event; {@code event} is "message" when the stream did not name it. */
    public record SseEvent(String event, String data) {
    }

    /** The next event, or empty when the stream ended (an unterminated last event is dispatched). */
    public Optional<SseEvent> next() throws IOException {
        String event = null;
        // Nearly every event has one data line: it is kept as is, and a builder is made only for a second one.
        String data = null;
        StringBuilder joined = null;
        while (true) {
            Optional<String> maybeLine = lines.readLine();
            if (maybeLine.isEmpty()) {
                return data == null ? Optional.empty() : Optional.of(dispatch(event, data, joined));
            }
            String line = maybeLine.get();
            if (line.isEmpty()) {
                if (data != null) {
                    return Optional.of(dispatch(event, data, joined));
                }
                event = null;
                continue;
            }
            if (line.charAt(0) == ':') {
                continue;
            }
            int colon = line.indexOf(':');
            int valueStart = colon < 0 ? line.length()
                    : colon + 1 < line.length() && line.charAt(colon + 1) == ' ' ? colon + 2 : colon + 1;
            if (line.startsWith("data") && (colon == 4 || colon < 0 && line.length() == 4)) {
                String value = line.substring(valueStart);
                if (data == null) {
                    data = value;
                } else {
                    if (joined == null) {
                        joined = new StringBuilder(data);
                    }
                    joined.append('\n').append(value);
                }
            } else if (line.startsWith("event") && (colon == 5 || colon < 0 && line.length() == 5)) {
                event = line.substring(valueStart);
            }
            // id, retry and unknown fields carry nothing we use
        }
    }

    private static SseEvent dispatch(String event, String data, StringBuilder joined) {
        String name = event == null || event.isEmpty() ? "message" : event;
        return new SseEvent(name, joined == null ? data : joined.toString());
    }
}
