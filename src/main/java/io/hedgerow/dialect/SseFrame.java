package io.hedgerow.dialect;

import java.util.Objects;

/**
 * One server-sent event an encoder wants written: a name and its data, or a comment (a line the client ignores,
 * used for notices) when the name is empty.
 */
public record SseFrame(String event, String data) {
    public SseFrame {
        Objects.requireNonNull(event, "event");
        Objects.requireNonNull(data, "data");
    }

    public static SseFrame comment(String text) {
        return new SseFrame("", text);
    }

    public boolean isComment() {
        return event.isEmpty();
    }
}
