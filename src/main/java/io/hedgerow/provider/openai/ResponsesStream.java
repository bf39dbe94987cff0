package io.hedgerow.provider.openai;

import io.hedgerow.config.ApiKey;
import io.hedgerow.dialect.DialectException;
import io.hedgerow.dialect.openai.ResponsesUpstream;
import io.hedgerow.model.Dialect;
import io.hedgerow.model.StreamEvent;
import io.hedgerow.provider.LineReader;
import io.hedgerow.provider.ProviderException;
import io.hedgerow.provider.SseReader;
import io.hedgerow.provider.UpstreamStream;

import io.helidon.webclient.api.HttpClientResponse;

import java.io.IOException;
import java.util.List;
import java.util.Optional;

/**
 * A Responses API stream from an upstream that serves it itself: typed events ending with {@code response.completed}
 * (or {@code .incomplete}). Each event goes out as a {@link StreamEvent.WireFrame} ahead of the canonical events
 * decoded from it ({@link ResponsesUpstream.StreamDecoder}); an event without a canonical counterpart is held until
 * the next one that has one, so it never passes for progress of its own. A stream that ends before its terminal event
 * was cut: {@code BAD_RESPONSE}.
 */
final class ResponsesStream extends UpstreamStream {
    private final SseReader sse;
    private final Optional<ApiKey> key;
    private final ResponsesUpstream.StreamDecoder decoder = new ResponsesUpstream.StreamDecoder();

    ResponsesStream(HttpClientResponse response, LineReader lines, Optional<ApiKey> key) {
        super(response);
        this.sse = new SseReader(lines);
        this.key = key;
    }

    @Override
    protected void readMore() throws ProviderException {
        Optional<SseReader.SseEvent> event;
        try {
            event = sse.next();
        } catch (IOException | RuntimeException e) {
            throw broken(e);
        }
        if (event.isEmpty()) {
            if (!decoder.finished()) {
                throw endedEarly("response.completed");
            }
            // Frames after the terminal event (none, from a well-behaved upstream) still reach the client.
            end();
            return;
        }
        List<StreamEvent> decoded;
        try {
            decoded = decoder.decode(event.get().event(), event.get().data());
        } catch (DialectException e) {
            throw ProviderException.from(e, key);
        }
        relay(Dialect.OPENAI_RESPONSES, event.get().event(), event.get().data(), decoded, decoder.finished());
    }

    @Override
    protected Optional<?> readStray() throws Exception {
        return sse.next();
    }
}
