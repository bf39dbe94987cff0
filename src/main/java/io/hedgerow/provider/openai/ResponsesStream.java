package io.hedgerow.provider.openai;

import io.hedgerow.config.ApiKey;
import io.hedgerow.dialect.DialectException;
import io.hedgerow.dialect.openai.ResponsesUpstream;
import io.hedgerow.model.Dialect;
import io.hedgerow.model.FailureKind;
import io.hedgerow.model.StreamEvent;
import io.hedgerow.provider.ChatStream;
import io.hedgerow.provider.FailureClassifier;
import io.hedgerow.provider.LineReader;
import io.hedgerow.provider.ProviderException;
import io.hedgerow.provider.SseReader;

import io.helidon.webclient.api.HttpClientResponse;

import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A Responses API stream from an upstream that serves it itself: typed events ending with {@code response.completed}
 * (or {@code .incomplete}). Each event goes out as a {@link StreamEvent.WireFrame} ahead of the canonical events
 * decoded from it ({@link ResponsesUpstream.StreamDecoder}); an event without a canonical counterpart is held until
 * the next one that has one, so it never passes for progress of its own. A stream that ends before its terminal event
 * was cut: {@code BAD_RESPONSE}.
 */
final class ResponsesStream implements ChatStream {
    private final HttpClientResponse response;
    private final SseReader sse;
    private final Optional<ApiKey> key;
    private final ResponsesUpstream.StreamDecoder decoder = new ResponsesUpstream.StreamDecoder();
    private final ArrayDeque<StreamEvent> pending = new ArrayDeque<>(4);
    private final List<StreamEvent.WireFrame> held = new ArrayList<>(4);
    private final AtomicBoolean closed = new AtomicBoolean();
    private boolean ended;

    ResponsesStream(HttpClientResponse response, LineReader lines, Optional<ApiKey> key) {
        this.response = response;
        this.sse = new SseReader(lines);
        this.key = key;
    }

    @Override
    public Optional<StreamEvent> next() throws ProviderException {
        while (pending.isEmpty()) {
            if (ended) {
                return Optional.empty();
            }
            readMore();
        }
        return Optional.of(pending.poll());
    }

    private void readMore() throws ProviderException {
        Optional<SseReader.SseEvent> event;
        try {
            event = sse.next();
        } catch (IOException | RuntimeException e) {
            throw new ProviderException(FailureClassifier.fromException(e, true), e);
        }
        if (event.isEmpty()) {
            if (!decoder.finished()) {
                throw ProviderException.of(FailureKind.BAD_RESPONSE, "stream ended before response.completed");
            }
            // Frames after the terminal event (none, from a well-behaved upstream) still reach the client.
            pending.addAll(held);
            held.clear();
            ended = true;
            close();
            return;
        }
        List<StreamEvent> decoded;
        try {
            decoded = decoder.decode(event.get().event(), event.get().data());
        } catch (DialectException e) {
            throw ProviderException.from(e, key);
        }
        held.add(new StreamEvent.WireFrame(Dialect.OPENAI_RESPONSES, event.get().event(), event.get().data(), 0));
        if (decoded.isEmpty() && !decoder.finished()) {
            return;
        }
        StreamEvent.WireFrame last = held.removeLast();
        pending.addAll(held);
        held.clear();
        pending.add(new StreamEvent.WireFrame(Dialect.OPENAI_RESPONSES, last.event(), last.data(), decoded.size()));
        pending.addAll(decoded);
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            try {
                response.close();
            } catch (RuntimeException ignored) {
                // closing an aborted exchange may fail; the connection is gone either way
            }
        }
    }
}
