package io.hedgerow.provider.anthropic;

import io.hedgerow.config.ApiKey;
import io.hedgerow.dialect.DialectException;
import io.hedgerow.dialect.anthropic.AnthropicStreamDecoder;
import io.hedgerow.model.Dialect;
import io.hedgerow.model.Failure;
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
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A streamed Messages answer, read one SSE event at a time from the open response and translated by an
 * {@link AnthropicStreamDecoder}. Nothing is buffered beyond the canonical events of the current SSE event.
 *
 * <p>{@link #next()} reads events until one yields canonical events, hands those out in order, and returns
 * empty once {@code message_stop} has been translated. A failure is final: later calls throw it again. Before that it reads the (normally empty) rest of the
 * body: a response read to its end hands its connection back to the pool instead of closing it. End of input
 * before {@code message_stop} is a {@code BAD_RESPONSE}.
 *
 * <p>Threads: {@code next()} is called by one reader; {@link #close()} may come from any thread. It closes the
 * response, which closes the connection under a blocked read; the reader then fails with {@code CANCELLED}
 * rather than with whatever the broken read looked like.
 *
 * <p>When the client speaks this dialect ({@code relay}), each SSE event also goes out as a
 * {@link StreamEvent.WireFrame}: events that decode to nothing canonical ({@code content_block_stop},
 * {@code signature_delta}, {@code ping}...) are held and go out just before the next that does, which is followed by
 * its canonical events. Held frames are never handed out alone, so they do not count as the upstream's progress.
 */
final class AnthropicStream implements ChatStream {
    private final HttpClientResponse response;
    private final SseReader sse;
    private final AnthropicStreamDecoder decoder;
    private final Optional<ApiKey> key;
    private final boolean relay;
    private final java.util.List<StreamEvent.WireFrame> held = new java.util.ArrayList<>(4);
    private final ArrayDeque<StreamEvent> pending = new ArrayDeque<>(2);
    private final AtomicBoolean closed = new AtomicBoolean();
    private boolean drained;
    /** The failure that broke the stream; later calls repeat it instead of reading past it. */
    private ProviderException failure;

    AnthropicStream(HttpClientResponse response, LineReader lines, Optional<ApiKey> key) {
        this(response, lines, key, false);
    }

    /** @param relay whether to hand out the upstream's events as wire frames */
    AnthropicStream(HttpClientResponse response, LineReader lines, Optional<ApiKey> key, boolean relay) {
        this.relay = relay;
        this.response = response;
        this.sse = new SseReader(lines);
        this.decoder = new AnthropicStreamDecoder();
        this.key = key;
    }

    @Override
    public Optional<StreamEvent> next() throws ProviderException {
        if (failure != null) {
            throw failure;
        }
        try {
            return advance();
        } catch (ProviderException e) {
            failure = e;
            throw e;
        }
    }

    private Optional<StreamEvent> advance() throws ProviderException {
        while (pending.isEmpty()) {
            if (closed.get()) {
                throw cancelled(null);
            }
            if (decoder.finished()) {
                drainRest();
                return Optional.empty();
            }
            Optional<SseReader.SseEvent> event = read();
            if (event.isEmpty()) {
                if (closed.get()) {
                    throw cancelled(null);
                }
                throw ProviderException.of(FailureKind.BAD_RESPONSE, "stream ended before message_stop");
            }
            java.util.List<StreamEvent> decoded;
            try {
                decoded = decoder.decode(event.get().event(), event.get().data());
            } catch (DialectException e) {
                throw ProviderException.from(e, key);
            }
            if (relay) {
                held.add(new StreamEvent.WireFrame(Dialect.ANTHROPIC, event.get().event(), event.get().data(),
                                                   decoded.size()));
                if (!decoded.isEmpty()) {
                    pending.addAll(held);
                    held.clear();
                }
            }
            pending.addAll(decoded);
        }
        return Optional.of(pending.poll());
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            try {
                response.close();
            } catch (RuntimeException e) {
                // Closing is best effort by contract: the connection is being thrown away either way.
            }
        }
    }

    private Optional<SseReader.SseEvent> read() throws ProviderException {
        try {
            return sse.next();
        } catch (LineReader.LineTooLongException e) {
            throw new ProviderException(Failure.of(FailureKind.BAD_RESPONSE, "stream " + e.getMessage()), e);
        } catch (IOException | RuntimeException e) {
            if (closed.get()) {
                throw cancelled(e);
            }
            throw new ProviderException(FailureClassifier.fromException(e, true), e);
        }
    }

    /**
     * Reads past {@code message_stop} to the end of the body, which Anthropic sends right after it, so the
     * client can reuse the connection. Failures are dropped on purpose: the answer is already complete, and
     * {@link #close()} discards a connection that was not read to its end.
     */
    private void drainRest() {
        if (drained) {
            return;
        }
        drained = true;
        try {
            // A well-behaved stream has nothing left; a few stray events are read past, more are left unread.
            for (int i = 0; i < 8; i++) {
                if (sse.next().isEmpty()) {
                    return;
                }
            }
        } catch (IOException | RuntimeException e) {
            // see above: nothing the caller could act on
        }
    }

    private static ProviderException cancelled(Throwable cause) {
        return new ProviderException(Failure.of(FailureKind.CANCELLED, "stream closed"), cause);
    }
}
