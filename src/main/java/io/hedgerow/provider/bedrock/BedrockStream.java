package io.hedgerow.provider.bedrock;

import io.hedgerow.config.ApiKey;
import io.hedgerow.dialect.DialectException;
import io.hedgerow.dialect.bedrock.ConverseStreamDecoder;
import io.hedgerow.dialect.bedrock.EventStreamFrames;
import io.hedgerow.model.Failure;
import io.hedgerow.model.FailureKind;
import io.hedgerow.model.StreamEvent;
import io.hedgerow.provider.ChatStream;
import io.hedgerow.provider.FailureClassifier;
import io.hedgerow.provider.ProviderException;

import io.helidon.webclient.api.HttpClientResponse;

import software.amazon.awssdk.eventstream.Message;

import java.io.IOException;
import java.util.ArrayDeque;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A ConverseStream answer, read one event-stream frame at a time from the open response and translated by a
 * {@link ConverseStreamDecoder}. Nothing is buffered beyond the canonical events of the current frame.
 *
 * <p>{@link #next()} hands out the events of each frame in order; after {@code messageStop} it reads on to the end of
 * the body (the {@code metadata} frame with the usage comes last), so the connection is handed back for reuse, and then
 * returns empty. End of input before {@code messageStop} is a {@code BAD_RESPONSE}; an exception frame is the failure it
 * names. A failure is final: later calls throw it again.
 *
 * <p>Threads: {@code next()} is called by one reader; {@link #close()} may come from any thread: it closes the
 * response, which closes the connection under a blocked read, and the reader then fails with {@code CANCELLED}.
 */
final class BedrockStream implements ChatStream {
    private final HttpClientResponse response;
    private final EventStreamFrames frames;
    private final ConverseStreamDecoder decoder;
    private final Optional<ApiKey> key;
    private final ArrayDeque<StreamEvent> pending = new ArrayDeque<>(2);
    private final AtomicBoolean closed = new AtomicBoolean();
    private boolean ended;
    private ProviderException failure;

    BedrockStream(HttpClientResponse response, int maxFrameBytes, String model, Optional<ApiKey> key) {
        this.response = response;
        this.frames = new EventStreamFrames(response.inputStream(), maxFrameBytes);
        this.decoder = new ConverseStreamDecoder(model);
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
            if (ended) {
                return Optional.empty();
            }
            Optional<Message> frame = read();
            if (frame.isEmpty()) {
                if (!decoder.finished()) {
                    throw ProviderException.of(FailureKind.BAD_RESPONSE, "stream ended before messageStop");
                }
                ended = true;
                return Optional.empty();
            }
            try {
                pending.addAll(decoder.decode(frame.get()));
            } catch (DialectException e) {
                throw ProviderException.from(e, key);
            }
        }
        return Optional.of(pending.poll());
    }

    private Optional<Message> read() throws ProviderException {
        try {
            return frames.next();
        } catch (DialectException e) {
            throw ProviderException.from(e, key);
        } catch (IOException | RuntimeException e) {
            if (closed.get()) {
                throw cancelled(e);
            }
            if (decoder.finished()) {
                // The answer is complete; only the usage frame was lost with the connection.
                ended = true;
                return Optional.empty();
            }
            throw new ProviderException(FailureClassifier.fromException(e, true), e);
        }
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

    private static ProviderException cancelled(Throwable cause) {
        return new ProviderException(Failure.of(FailureKind.CANCELLED, "stream closed"), cause);
    }
}
