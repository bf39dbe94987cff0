package io.hedgerow.api;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

import static io.hedgerow.testing.Eventually.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Keep-alive pings go out while a stream is idle, never inside an event, and stop with the stream. */
class PingerTest {

    @Test
    void pingsWhileIdleAndNotAfterClose() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        SseWriter sse = new SseWriter(out);
        sse.event("message_start", "{}");
        Pinger pinger = Pinger.start(sse, () -> sse.event("ping", "{\"type\": \"ping\"}"), Duration.ofMillis(20));
        eventually(() -> text(out).split("event: ping\n", -1).length > 2);
        pinger.close();
        String closed = text(out);

        sse.event("message_stop", "{}");

        assertTrue(closed.startsWith("event: message_start\ndata: {}\n\nevent: ping\ndata: {\"type\": \"ping\"}\n\n"),
                   closed);
        assertEquals(closed + "event: message_stop\ndata: {}\n\n", text(out), "nothing after close but the stream's own");
    }

    private static String text(ByteArrayOutputStream out) {
        synchronized (out) {
            return out.toString(StandardCharsets.UTF_8);
        }
    }
}
