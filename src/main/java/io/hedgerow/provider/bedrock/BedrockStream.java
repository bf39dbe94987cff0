package io.hedgerow.provider.bedrock;

import io.hedgerow.config.ApiKey;
import io.hedgerow.dialect.DialectException;
import io.hedgerow.dialect.bedrock.ConverseStreamDecoder;
import io.hedgerow.dialect.bedrock.EventStreamFrames;
import io.hedgerow.provider.ProviderException;
import io.hedgerow.provider.UpstreamStream;

import io.helidon.webclient.api.HttpClientResponse;

import software.amazon.awssdk.eventstream.Message;

import java.io.IOException;
import java.util.Optional;

/**
 * A ConverseStream answer, read one event-stream frame at a time from the open response and translated by a
 * {@link ConverseStreamDecoder}. After {@code messageStop} it reads on to the end of the body (the {@code metadata}
 * frame with the usage comes last); a connection lost after {@code messageStop} only lost the usage, so the answer
 * stands. End of input before {@code messageStop} is a {@code BAD_RESPONSE}; an exception frame is the failure it
 * names. Failures and aborts behave as in every {@link UpstreamStream}.
 */
final class BedrockStream extends UpstreamStream {
    private final EventStreamFrames frames;
    private final ConverseStreamDecoder decoder;
    private final Optional<ApiKey> key;

    BedrockStream(HttpClientResponse response, int maxFrameBytes, String model, Optional<ApiKey> key) {
        super(response);
        this.frames = new EventStreamFrames(response.inputStream(), maxFrameBytes);
        this.decoder = new ConverseStreamDecoder(model);
        this.key = key;
    }

    @Override
    protected void readMore() throws ProviderException {
        Optional<Message> frame;
        try {
            frame = frames.next();
        } catch (DialectException e) {
            throw ProviderException.from(e, key);
        } catch (IOException | RuntimeException e) {
            if (decoder.finished() && !isClosed()) {
                // The answer is complete; only the usage frame was lost with the connection.
                end();
                return;
            }
            throw broken(e);
        }
        if (frame.isEmpty()) {
            if (!decoder.finished()) {
                throw endedEarly("messageStop");
            }
            end();
            return;
        }
        try {
            emitAll(decoder.decode(frame.get()));
        } catch (DialectException e) {
            throw ProviderException.from(e, key);
        }
    }

    @Override
    protected Optional<?> readStray() throws Exception {
        return frames.next();
    }
}
