package io.hedgerow.provider.openai;

import com.fasterxml.jackson.databind.JsonNode;
import io.hedgerow.config.ApiKey;
import io.hedgerow.model.Dialect;
import io.hedgerow.model.FailureKind;
import io.hedgerow.model.FinishReason;
import io.hedgerow.model.StreamEvent;
import io.hedgerow.provider.ChatStream;
import io.hedgerow.provider.FailureClassifier;
import io.hedgerow.provider.LineReader;
import io.hedgerow.provider.ProviderException;
import io.hedgerow.provider.SseReader;
import io.hedgerow.json.Json;
import io.hedgerow.dialect.openai.OpenAiResponseCodec;

import io.helidon.webclient.api.HttpClientResponse;

import java.io.IOException;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * An OpenAI-style SSE stream of {@code chat.completion.chunk}s, ending with {@code data: [DONE]}. The first chunk that
 * names a model also yields a {@link StreamEvent.Metadata} (model, fingerprint, tier), ahead of its own events.
 * A stream that reaches its end after a finish reason but without {@code [DONE]} is complete; one that ends
 * before any finish reason was cut, and fails with {@code BAD_RESPONSE}. After {@code [DONE]} the (normally
 * empty) rest of the body is read before the response is closed, so that its connection goes back to the pool
 * instead of being closed (a new TCP, and for real providers TLS, handshake for the next stream).
 */
final class OpenAiStream implements ChatStream {
    private final HttpClientResponse response;
    private final SseReader sse;
    private final Optional<ApiKey> key;
    private final ArrayDeque<StreamEvent> pending = new ArrayDeque<>(4);
    private final AtomicBoolean closed = new AtomicBoolean();
    private final boolean relay;
    private final boolean clientAskedUsage;
    private final java.util.List<StreamEvent.WireFrame> held = new java.util.ArrayList<>(2);
    private boolean identified;
    private boolean finished;
    private boolean ended;

    OpenAiStream(HttpClientResponse response, LineReader lines, Optional<ApiKey> key) {
        this(response, lines, key, false, false);
    }

    /**
     * @param relay            whether to hand out the upstream's chunks as wire frames
     * @param clientAskedUsage whether the client asked for the usage chunk (else it is not relayed)
     */
    OpenAiStream(HttpClientResponse response, LineReader lines, Optional<ApiKey> key, boolean relay,
                 boolean clientAskedUsage) {
        this.response = response;
        this.sse = new SseReader(lines);
        this.key = key;
        this.relay = relay;
        this.clientAskedUsage = clientAskedUsage;
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
        if (event.isEmpty() || event.get().data().trim().equals("[DONE]")) {
            if (!finished) {
                if (event.isEmpty()) {
                    throw ProviderException.of(FailureKind.BAD_RESPONSE, "stream ended before a finish reason");
                }
                // [DONE] without a finish reason: the server says it is complete, so it is.
                pending.add(new StreamEvent.Finished(FinishReason.STOP));
            }
            ended = true;
            if (event.isPresent()) {
                drainRest();
            }
            close();
            return;
        }
        JsonNode chunk;
        try {
            chunk = Json.MAPPER.readTree(event.get().data());
        } catch (IOException e) {
            throw ProviderException.of(FailureKind.BAD_RESPONSE, "malformed stream chunk");
        }
        if (chunk != null && chunk.isObject() && chunk.get("error") != null && chunk.get("choices") == null) {
            OpenAiProvider.failIfError(chunk, key);
        }
        try {
            List<StreamEvent> events = OpenAiResponseCodec.parseChunk(chunk);
            List<StreamEvent> decoded = new java.util.ArrayList<>(events.size() + 1);
            if (!identified) {
                // Said once, before the first piece: the envelope of one answer does not change.
                Optional<StreamEvent.Metadata> metadata = OpenAiResponseCodec.metadata(chunk);
                identified = metadata.isPresent();
                metadata.ifPresent(decoded::add);
            }
            for (StreamEvent e : events) {
                if (e instanceof StreamEvent.Finished) {
                    if (finished) {
                        continue;
                    }
                    finished = true;
                }
                decoded.add(e);
            }
            if (relay) {
                frames(event.get().data(), decoded);
            }
            pending.addAll(decoded);
        } catch (OpenAiResponseCodec.MalformedResponseException e) {
            throw ProviderException.of(FailureKind.BAD_RESPONSE, e.getMessage());
        }
    }

    /** The chunk as a frame ahead of its events; held while it has none; dropped when it is unasked-for usage. */
    private void frames(String data, List<StreamEvent> decoded) {
        boolean usageOnly = decoded.size() == 1 && decoded.getFirst() instanceof StreamEvent.UsageReported;
        if (usageOnly && !clientAskedUsage) {
            return;
        }
        held.add(new StreamEvent.WireFrame(Dialect.OPENAI, "message", data, 0));
        if (decoded.isEmpty()) {
            return;
        }
        StreamEvent.WireFrame last = held.removeLast();
        pending.addAll(held);
        held.clear();
        pending.add(new StreamEvent.WireFrame(Dialect.OPENAI, last.event(), last.data(), decoded.size()));
    }

    /**
     * Reads past {@code [DONE]} to the end of the body, which servers send right after it. Failures are dropped on
     * purpose: the answer is complete, and {@link #close()} discards a connection that was not read to its end.
     */
    private void drainRest() {
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
