package io.hedgerow.provider;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.is;
import static org.junit.jupiter.api.Assertions.assertThrows;

class StreamReadersTest {

    private static LineReader lines(String text, int max) {
        return new LineReader(new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)), max);
    }

    @Test
    void readsLinesWithEveryTerminator() throws IOException {
        LineReader reader = lines("a\nb\r\nc\rd\n\nlast", 100);
        assertThat(reader.readLine(), is(Optional.of("a")));
        assertThat(reader.readLine(), is(Optional.of("b")));
        assertThat(reader.readLine(), is(Optional.of("c")));
        assertThat(reader.readLine(), is(Optional.of("d")));
        assertThat(reader.readLine(), is(Optional.of("")));
        assertThat(reader.readLine(), is(Optional.of("last")));
        assertThat(reader.readLine(), is(Optional.empty()));
    }

    @Test
    void decodesMultiByteUtf8SplitAcrossBuffers() throws IOException {
        String word = "héllo wörld ✓ ".repeat(2000);
        LineReader reader = lines(word + "\n", 1 << 20);
        assertThat(reader.readLine(), is(Optional.of(word)));
    }

    @Test
    void refusesALineOverTheCap() {
        LineReader reader = lines("x".repeat(101) + "\n", 100);
        assertThrows(LineReader.LineTooLongException.class, reader::readLine);
    }

    @Test
    void parsesSseEventsCommentsAndMultilineData() throws IOException {
        SseReader sse = new SseReader(lines("""
                : keep-alive

                event: message_start
                data: {"a":1}

                data: line1
                data: line2
                id: 7

                data:no-space
                """, 1000));
        assertThat(sse.next(), is(Optional.of(new SseReader.SseEvent("message_start", "{\"a\":1}"))));
        assertThat(sse.next(), is(Optional.of(new SseReader.SseEvent("message", "line1\nline2"))));
        assertThat(sse.next(), is(Optional.of(new SseReader.SseEvent("message", "no-space"))));
        assertThat(sse.next(), is(Optional.empty()));
    }

    @Test
    void readsFieldsWithoutAColonAndIgnoresLookAlikes() throws IOException {
        SseReader sse = new SseReader(lines("""
                database: not data
                events: not an event name
                data
                data: second
                data:  two spaces keep one
                retry: 10

                event
                data: x

                """, 1000));
        assertThat(sse.next(), is(Optional.of(new SseReader.SseEvent("message", "\nsecond\n two spaces keep one"))));
        // An empty event name is the default, "message", as the SSE spec says.
        assertThat(sse.next(), is(Optional.of(new SseReader.SseEvent("message", "x"))));
        assertThat(sse.next(), is(Optional.empty()));
    }

    @Test
    void dispatchesAnUnterminatedLastEvent() throws IOException {
        SseReader sse = new SseReader(lines("data: [DONE]", 1000));
        assertThat(sse.next(), is(Optional.of(new SseReader.SseEvent("message", "[DONE]"))));
        assertThat(sse.next(), is(Optional.empty()));
    }
}
