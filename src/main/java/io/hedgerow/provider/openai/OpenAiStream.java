package io.hedgerow.provider.openai;

import com.fasterxml.jackson.databind.JsonNode;
import io.hedgerow.config.ApiKey;
import io.hedgerow.model.Dialect;
import io.hedgerow.model.FailureKind;
import io.hedgerow.model.FinishReason;
import io.hedgerow.model.StreamEvent;
import io.hedgerow.provider.LineReader;
import io.hedgerow.provider.ProviderException;
import io.hedgerow.provider.SseReader;
import io.hedgerow.provider.UpstreamStream;
import io.hedgerow.json.Json;
import io.hedgerow.dialect.openai.OpenAiResponseCodec;

import io.helidon.webclient.api.HttpClientResponse;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * An OpenAI-style SSE stream of {@code chat.completion.chunk}s, ending with {@code data: [DONE]}. The first chunk that
 * names a model also yields a {@link StreamEvent.Metadata} (model, fingerprint, tier), ahead of its own events.
 * A stream that reaches its end after a finish reason but without {@code [DONE]} is complete; one that ends
 * before any finish reason was cut, and fails with {@code BAD_RESPONSE}. After {@code [DONE]} the (normally
 * empty) rest of the body is read before the response is closed, so that its connection goes back to the pool
 * instead of being closed (a new TCP, and for real providers TLS, handshake for the next stream).
 */
final class OpenAiStream extends UpstreamStream {
    private final SseReader sse;
    private final Optional<ApiKey> key;
    private final boolean relaying;
    private final boolean clientAskedUsage;
    private boolean identified;
    private boolean finished;

    OpenAiStream(HttpClientResponse response, LineReader lines, Optional<ApiKey> key) {
        this(response, lines, key, false, false);
    }

    /**
     * @param relay            whether to hand out the upstream's chunks as wire frames
     * @param clientAskedUsage whether the client asked for the usage chunk (else it is not relayed)
     */
    OpenAiStream(HttpClientResponse response, LineReader lines, Optional<ApiKey> key, boolean relay,
                 boolean clientAskedUsage) {
        super(response);
        this.sse = new SseReader(lines);
        this.key = key;
        this.relaying = relay;
        this.clientAskedUsage = clientAskedUsage;
    }

    @Override
    protected void readMore() throws ProviderException {
        Optional<SseReader.SseEvent> event;
        try {
            event = sse.next();
        } catch (IOException | RuntimeException e) {
            throw broken(e);
        }
        if (event.isEmpty() || event.get().data().trim().equals("[DONE]")) {
            if (!finished) {
                if (event.isEmpty()) {
                    throw endedEarly("a finish reason");
                }
                // [DONE] without a finish reason: the server says it is complete, so it is.
                emit(new StreamEvent.Finished(FinishReason.STOP));
            }
            end();
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
        List<StreamEvent> decoded;
        try {
            decoded = decode(chunk);
        } catch (OpenAiResponseCodec.MalformedResponseException e) {
            throw ProviderException.of(FailureKind.BAD_RESPONSE, e.getMessage());
        }
        boolean unaskedUsage = !clientAskedUsage && decoded.size() == 1
                && decoded.getFirst() instanceof StreamEvent.UsageReported;
        if (relaying && !unaskedUsage) {
            relay(Dialect.OPENAI, "message", event.get().data(), decoded, false);
        } else {
            emitAll(decoded);
        }
    }

    /** The chunk's events, after the answer's metadata the first time a chunk names it; one finish at most. */
    private List<StreamEvent> decode(JsonNode chunk) throws OpenAiResponseCodec.MalformedResponseException {
        List<StreamEvent> events = OpenAiResponseCodec.parseChunk(chunk);
        List<StreamEvent> decoded = new ArrayList<>(events.size() + 1);
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
        return decoded;
    }

    /** Reads past {@code [DONE]} to the end of the body, which servers send right after it. */
    @Override
    protected Optional<?> readStray() throws Exception {
        return sse.next();
    }
}
