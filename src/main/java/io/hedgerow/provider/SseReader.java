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
        StringBuilder data = null;
        while (true) {
            Optional<String> maybeLine = lines.readLine();
            if (maybeLine.isEmpty()) {
                return data == null ? Optional.empty() : Optional.of(new SseEvent(event == null ? "message" : event,
                                                                                  data.toString()));
            }
            String line = maybeLine.get();
            if (line.isEmpty()) {
                if (data != null) {
                    return Optional.of(new SseEvent(event == null ? "message" : event, data.toString()));
                }
                event = null;
                continue;
            }
            if (line.charAt(0) == ':') {
                continue;
            }
            int colon = line.indexOf(':');
            String field = colon < 0 ? line : line.substring(0, colon);
            String value = colon < 0 ? "" : line.substring(colon + 1);
            if (value.startsWith(" ")) {
                value = value.substring(1);
            }
            switch (field) {
            case "event" -> event = value;
            case "data" -> {
                if (data == null) {
                    data = new StringBuilder(value);
                } else {
                    data.append('\n').append(value);
                }
            }
            default -> {
                // id, retry and unknown fields carry nothing we use
            }
            }
        }
    }
}
