package io.hedgerow.provider.ollama;

import io.hedgerow.dialect.DialectException;
import io.hedgerow.dialect.ollama.OllamaCodec;
import io.hedgerow.dialect.ollama.OllamaStreamDecoder;
import io.hedgerow.model.Failure;
import io.hedgerow.model.FailureKind;
import io.hedgerow.model.StreamEvent;
import io.hedgerow.provider.ChatStream;
import io.hedgerow.provider.FailureClassifier;
import io.hedgerow.provider.LineReader;
import io.hedgerow.provider.ProviderException;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;

import io.helidon.webclient.api.HttpClientResponse;

import java.io.IOException;
import java.util.ArrayDeque;
import java.util.Objects;
import java.util.Optional;
import java.util.Queue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;

/**
 * An Ollama NDJSON stream read one line at a time, each line one JSON object, decoded by an
 * {@link OllamaStreamDecoder}; a line with {@code error} fails the stream (see {@link OllamaProvider#upstreamError}),
 * and end of input before {@code done}, or a line that is not a JSON object, is a {@code BAD_RESPONSE}.
 * One line can yield several events, so they wait in a small queue; the body itself is never buffered.
 *
 * <p>Thread-safety: {@link #next()} is called by one thread; {@link #close()} may be called by any thread at
 * any time: it closes the response, which closes the connection (the body was not read to its end), so a
 * blocked read fails and is reported as {@code CANCELLED}.
 */
final class OllamaChatStream implements ChatStream {
    private final HttpClientResponse response;
    private final LineReader lines;
    private final Function<JsonNode, ProviderException> errorLine;
    private final Queue<StreamEvent> pending = new ArrayDeque<>(4);
    private final AtomicBoolean closed = new AtomicBoolean();
    private final OllamaStreamDecoder decoder = new OllamaStreamDecoder();
    private boolean done;
    private ProviderException failure;

    /**
     * @param response  the 2xx response whose body is the stream; closed by this stream
     * @param lines     the line reader over its body
     * @param errorLine turns an {@code {"error": ...}} line into the exception to throw
     */
    OllamaChatStream(HttpClientResponse response, LineReader lines, Function<JsonNode, ProviderException> errorLine) {
        this.response = Objects.requireNonNull(response, "response");
        this.lines = Objects.requireNonNull(lines, "lines");
        this.errorLine = Objects.requireNonNull(errorLine, "errorLine");
    }

    @Override
    public Optional<StreamEvent> next() throws ProviderException {
        while (true) {
            StreamEvent event = pending.poll();
            if (event != null) {
                return Optional.of(event);
            }
            if (done) {
                return Optional.empty();
            }
            if (failure != null) {
                throw failure;
            }
            try {
                readLine();
            } catch (ProviderException e) {
                // A broken stream stays broken: later calls see the same failure.
                failure = e;
                close();
                throw e;
            }
        }
    }

    /** Reads lines until one yields events or ends the stream. */
    private void readLine() throws ProviderException {
        while (pending.isEmpty() && !done) {
            if (closed.get()) {
                throw ProviderException.of(FailureKind.CANCELLED, "stream closed");
            }
            Optional<String> line;
            try {
                line = lines.readLine();
            } catch (LineReader.LineTooLongException e) {
                throw new ProviderException(Failure.of(FailureKind.BAD_RESPONSE,
                        "stream line too long: " + e.getMessage()), e);
            } catch (IOException | RuntimeException e) {
                // Helidon reports a broken body as UncheckedIOException and friends, not only IOException.
                if (closed.get()) {
                    throw new ProviderException(Failure.of(FailureKind.CANCELLED, "stream closed"),
                                                e);
                }
                throw new ProviderException(FailureClassifier.fromException(e, true), e);
            }
            if (line.isEmpty()) {
                if (closed.get()) {
                    throw ProviderException.of(FailureKind.CANCELLED, "stream closed");
                }
                throw ProviderException.of(FailureKind.BAD_RESPONSE, "stream ended before done");
            }
            if (!line.get().isBlank()) {
                accept(line.get());
            }
        }
    }

    private void accept(String line) throws ProviderException {
        JsonNode chunk;
        try {
            chunk = OllamaCodec.STRICT.readTree(line);
        } catch (JsonProcessingException e) {
            chunk = null;
        }
        if (chunk == null || !chunk.isObject()) {
            throw ProviderException.of(FailureKind.BAD_RESPONSE, "stream line is not a JSON object");
        }
        if (OllamaCodec.error(chunk).isPresent()) {
            throw errorLine.apply(chunk);
        }
        try {
            pending.addAll(decoder.decode(chunk));
        } catch (DialectException e) {
            throw ProviderException.from(e, Optional.empty());
        }
        if (decoder.finished()) {
            done = true;
            // Nothing follows done; give the connection back now rather than when the caller closes. Helidon
            // pools it only if the body was read to its end, so read that end first.
            drainRest();
            close();
        }
    }

    /** Reads the (normally empty) rest of the body; failures are dropped, the answer is complete already. */
    private void drainRest() {
        try {
            for (int i = 0; i < 8; i++) {
                if (lines.readLine().isEmpty()) {
                    return;
                }
            }
        } catch (IOException | RuntimeException e) {
            // close() discards a connection that was not read to its end
        }
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            try {
                response.close();
            } catch (RuntimeException e) {
                // Closing is best effort: the connection is being dropped either way.
            }
        }
    }
}
