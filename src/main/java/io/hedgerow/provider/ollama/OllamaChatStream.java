package io.hedgerow.provider.ollama;

import io.hedgerow.dialect.DialectException;
import io.hedgerow.dialect.ollama.OllamaCodec;
import io.hedgerow.dialect.ollama.OllamaStreamDecoder;
import io.hedgerow.model.FailureKind;
import io.hedgerow.provider.LineReader;
import io.hedgerow.provider.ProviderException;
import io.hedgerow.provider.UpstreamStream;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;

import io.helidon.webclient.api.HttpClientResponse;

import java.io.IOException;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;

/**
 * An Ollama NDJSON stream read one line at a time, each line one JSON object, decoded by an
 * {@link OllamaStreamDecoder}; a line with {@code error} fails the stream (see {@link OllamaProvider#upstreamError}),
 * and end of input before {@code done}, or a line that is not a JSON object, is a {@code BAD_RESPONSE}. Failures,
 * aborts and draining behave as in every {@link UpstreamStream}.
 */
final class OllamaChatStream extends UpstreamStream {
    private final LineReader lines;
    private final Function<JsonNode, ProviderException> errorLine;
    private final OllamaStreamDecoder decoder = new OllamaStreamDecoder();

    /**
     * @param response  the 2xx response whose body is the stream; closed by this stream
     * @param lines     the line reader over its body
     * @param errorLine turns an {@code {"error": ...}} line into the exception to throw
     */
    OllamaChatStream(HttpClientResponse response, LineReader lines, Function<JsonNode, ProviderException> errorLine) {
        super(response);
        this.lines = Objects.requireNonNull(lines, "lines");
        this.errorLine = Objects.requireNonNull(errorLine, "errorLine");
    }

    @Override
    protected void readMore() throws ProviderException {
        Optional<String> line;
        try {
            line = lines.readLine();
        } catch (IOException | RuntimeException e) {
            // Helidon reports a broken body as UncheckedIOException and friends, not only IOException.
            throw broken(e);
        }
        if (line.isEmpty()) {
            throw endedEarly("done");
        }
        if (!line.get().isBlank()) {
            accept(line.get());
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
            emitAll(decoder.decode(chunk));
        } catch (DialectException e) {
            throw ProviderException.from(e, Optional.empty());
        }
        if (decoder.finished()) {
            // Nothing follows done; give the connection back now rather than when the caller closes.
            end();
        }
    }

    @Override
    protected Optional<?> readStray() throws Exception {
        return lines.readLine();
    }
}
