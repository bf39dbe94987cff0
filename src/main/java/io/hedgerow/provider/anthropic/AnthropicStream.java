package io.hedgerow.provider.anthropic;

import io.hedgerow.config.ApiKey;
import io.hedgerow.dialect.DialectException;
import io.hedgerow.dialect.anthropic.AnthropicStreamDecoder;
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
 * A streamed Messages answer, read one SSE event at a time from the open response and translated by an
 * {@link AnthropicStreamDecoder}; ends once {@code message_stop} has been translated, and end of input before it is
 * a {@code BAD_RESPONSE}. Failures, aborts and draining behave as in every {@link UpstreamStream}.
 *
 * <p>When the client speaks this dialect ({@code relay}), each SSE event also goes out as a wire frame; events that
 * decode to nothing canonical ({@code content_block_stop}, {@code signature_delta}, {@code ping}...) are held until
 * the next that does.
 */
final class AnthropicStream extends UpstreamStream {
    private final SseReader sse;
    private final AnthropicStreamDecoder decoder = new AnthropicStreamDecoder();
    private final Optional<ApiKey> key;
    private final boolean relaying;

    AnthropicStream(HttpClientResponse response, LineReader lines, Optional<ApiKey> key) {
        this(response, lines, key, false);
    }

    /** @param relay whether to hand out the upstream's events as wire frames */
    AnthropicStream(HttpClientResponse response, LineReader lines, Optional<ApiKey> key, boolean relay) {
        super(response);
        this.relaying = relay;
        this.sse = new SseReader(lines);
        this.key = key;
    }

    @Override
    protected void readMore() throws ProviderException {
        if (decoder.finished()) {
            end();
            return;
        }
        Optional<SseReader.SseEvent> event;
        try {
            event = sse.next();
        } catch (IOException | RuntimeException e) {
            throw broken(e);
        }
        if (event.isEmpty()) {
            throw endedEarly("message_stop");
        }
        List<StreamEvent> decoded;
        try {
            decoded = decoder.decode(event.get().event(), event.get().data());
        } catch (DialectException e) {
            throw ProviderException.from(e, key);
        }
        if (relaying) {
            relay(Dialect.ANTHROPIC, event.get().event(), event.get().data(), decoded, false);
        } else {
            emitAll(decoded);
        }
    }

    /** Reads past {@code message_stop} to the end of the body, which Anthropic sends right after it. */
    @Override
    protected Optional<?> readStray() throws Exception {
        return sse.next();
    }
}
