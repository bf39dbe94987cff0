package io.hedgerow.dialect.ollama;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.hedgerow.dialect.DialectException;
import io.hedgerow.dialect.VectorJson;
import io.hedgerow.json.Json;
import io.hedgerow.model.EmbeddingInput;
import io.hedgerow.model.EmbeddingRequest;
import io.hedgerow.model.EmbeddingResponse;
import io.hedgerow.model.FailureKind;
import io.hedgerow.model.Usage;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Ollama's {@code POST /api/embed}: {@code {model, input: [texts], dimensions, truncate: false}} and its answer
 * {@code {model, embeddings: [[...]], prompt_eval_count}}. Inputs that are too long fail as they do at OpenAI instead
 * of being cut short silently ({@code truncate: false}; Ollama's default truncates). Ollama takes no token arrays and
 * no end-user id: the first cannot be expressed (the candidate is passed over), the second is dropped.
 */
public final class OllamaEmbedCodec {
    private OllamaEmbedCodec() {
    }

    /** Why Ollama cannot take this request, if it cannot. */
    public static Optional<String> cannotExpress(EmbeddingRequest request) {
        return request.hasTokenInputs()
                ? Optional.of("Ollama's /api/embed takes texts, not token arrays") : Optional.empty();
    }

    public static byte[] writeRequest(EmbeddingRequest request, String model) throws DialectException {
        Optional<String> refused = cannotExpress(request);
        if (refused.isPresent()) {
            throw DialectException.badRequest(refused.get());
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(256);
        try (JsonGenerator out = Json.MAPPER.createGenerator(bytes)) {
            out.writeStartObject();
            out.writeStringField("model", model);
            out.writeArrayFieldStart("input");
            for (EmbeddingInput input : request.inputs()) {
                out.writeString(((EmbeddingInput.Text) input).text());
            }
            out.writeEndArray();
            if (request.dimensions().isPresent()) {
                out.writeNumberField("dimensions", request.dimensions().get());
            }
            out.writeBooleanField("truncate", false);
            out.writeEndObject();
        } catch (IOException e) {
            throw new IllegalStateException("writing to memory cannot fail", e);
        }
        return bytes.toByteArray();
    }

    /**
     * Reads Ollama's answer. An {@code error} field is the upstream's failure (classified by its {@code status} when
     * it has one, by the caller).
     *
     * @param expected how many inputs were sent: the answer must hold as many vectors
     */
    public static EmbeddingResponse readAnswer(byte[] body, int expected, String sentModel) throws DialectException {
        List<float[]> vectors = new ArrayList<>(expected);
        String model = sentModel;
        Optional<Usage> usage = Optional.empty();
        try (JsonParser parser = Json.MAPPER.createParser(body)) {
            if (parser.nextToken() != JsonToken.START_OBJECT) {
                throw DialectException.badResponse("answer is not a JSON object");
            }
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                String field = parser.currentName();
                JsonToken value = parser.nextToken();
                switch (field) {
                case "embeddings" -> {
                    if (value != JsonToken.START_ARRAY) {
                        throw DialectException.badResponse("embeddings is not an array");
                    }
                    while (parser.nextToken() != JsonToken.END_ARRAY) {
                        vectors.add(VectorJson.read(parser, "embeddings[" + vectors.size() + "]"));
                    }
                }
                case "model" -> model = value == JsonToken.VALUE_STRING ? parser.getText() : model;
                case "prompt_eval_count" -> usage = value == JsonToken.VALUE_NUMBER_INT
                        ? Optional.of(new Usage(parser.getIntValue(), 0)) : usage;
                case "error" -> throw DialectException.of(FailureKind.SERVER_ERROR, parser.getValueAsString("error"));
                default -> parser.skipChildren();
                }
            }
        } catch (IOException e) {
            throw DialectException.badResponse("answer is not valid JSON");
        }
        if (vectors.size() != expected) {
            throw DialectException.badResponse("answer has " + vectors.size() + " vectors for " + expected + " inputs");
        }
        return new EmbeddingResponse(model, vectors, usage);
    }
}
