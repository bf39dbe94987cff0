package io.hedgerow.dialect.openai;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import io.hedgerow.dialect.DialectException;
import io.hedgerow.dialect.FieldCheck;
import io.hedgerow.dialect.InvalidRequestException;
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
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * OpenAI's embeddings wire format ({@code POST /v1/embeddings}) for both sides: the request an OpenAI-compatible
 * provider is sent and the answer it gives, and the answer a client is given. Answers are read and written as a
 * stream of tokens ({@link VectorJson}), never as a tree.
 *
 * <p>The upstream is asked for floats (the default every OpenAI-compatible server knows); an answer in base64 is read
 * too. Vectors are ordered by their {@code index}, which must name each input exactly once.
 */
public final class EmbeddingsCodec {
    private EmbeddingsCodec() {
    }

    private static final Set<String> FIELDS = Set.of("model", "input", "encoding_format", "dimensions", "user");

    /**
     * A client's request as read: the canonical request, and whether its vectors are wanted in base64.
     */
    public record Read(EmbeddingRequest request, boolean base64) {
    }

    /**
     * Reads a client's request, every field checked against OpenAI's documented types: {@code model} (required),
     * {@code input} (required: a non-empty string, a non-empty array of non-empty strings, an array of token ids, or
     * an array of such arrays), {@code encoding_format} ({@code float} or {@code base64}), {@code dimensions} (at
     * least 1) and {@code user}. Any other field is refused: nothing unchecked goes upstream.
     */
    public static Read readRequest(JsonNode body) throws InvalidRequestException {
        FieldCheck.object(body, "body");
        for (Iterator<String> names = body.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!FIELDS.contains(name)) {
                throw new InvalidRequestException(name + ": unknown field (expected: one of "
                        + String.join(", ", new TreeSet<>(FIELDS)) + ")", name);
            }
        }
        String model = FieldCheck.text(FieldCheck.required(body, "model", "model"), "model", 1, 256);
        List<EmbeddingInput> inputs = inputs(FieldCheck.required(body, "input", "input"));
        boolean base64 = FieldCheck.optional(body, "encoding_format").isPresent()
                && FieldCheck.oneOf(body.get("encoding_format"), "encoding_format", Set.of("float", "base64"))
                .equals("base64");
        Optional<Integer> dimensions = Optional.empty();
        if (FieldCheck.optional(body, "dimensions").isPresent()) {
            dimensions = Optional.of(FieldCheck.integer(body.get("dimensions"), "dimensions", 1, 65_536));
        }
        Optional<String> user = Optional.empty();
        if (FieldCheck.optional(body, "user").isPresent()) {
            user = Optional.of(FieldCheck.text(body.get("user"), "user", 0, 256));
        }
        return new Read(new EmbeddingRequest(model, inputs, dimensions, user), base64);
    }

    private static List<EmbeddingInput> inputs(JsonNode input) throws InvalidRequestException {
        if (input.isTextual()) {
            return List.of(new EmbeddingInput.Text(FieldCheck.text(input, "input", 1, Integer.MAX_VALUE)));
        }
        if (!input.isArray() || input.isEmpty()) {
            throw FieldCheck.wrong(input, "input", "a non-empty string, or a non-empty array of strings or of "
                    + "token ids");
        }
        List<EmbeddingInput> inputs = new ArrayList<>(input.size());
        if (input.get(0).isIntegralNumber()) {
            // One text given as token ids.
            inputs.add(new EmbeddingInput.Tokens(tokens(input, "input")));
            return inputs;
        }
        for (int i = 0; i < input.size(); i++) {
            JsonNode item = input.get(i);
            String at = "input[" + i + "]";
            if (item.isTextual()) {
                inputs.add(new EmbeddingInput.Text(FieldCheck.text(item, at, 1, Integer.MAX_VALUE)));
            } else if (item.isArray() && !item.isEmpty()) {
                inputs.add(new EmbeddingInput.Tokens(tokens(item, at)));
            } else {
                throw FieldCheck.wrong(item, at, "a non-empty string or a non-empty array of token ids");
            }
        }
        if (inputs.stream().map(Object::getClass).distinct().count() > 1) {
            throw new InvalidRequestException("input: mixes strings and token arrays (expected: one or the other)",
                                              "input");
        }
        return inputs;
    }

    private static int[] tokens(JsonNode array, String at) throws InvalidRequestException {
        int[] tokens = new int[array.size()];
        for (int i = 0; i < tokens.length; i++) {
            tokens[i] = FieldCheck.integer(array.get(i), at + "[" + i + "]", 0, Integer.MAX_VALUE);
        }
        return tokens;
    }

    /** The request body for an upstream: {@code model}, {@code input} (texts or token arrays), {@code dimensions}, {@code user}. */
    public static byte[] writeRequest(EmbeddingRequest request, String model) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(256);
        try (JsonGenerator out = Json.MAPPER.createGenerator(bytes)) {
            out.writeStartObject();
            out.writeStringField("model", model);
            out.writeArrayFieldStart("input");
            for (EmbeddingInput input : request.inputs()) {
                switch (input) {
                case EmbeddingInput.Text text -> out.writeString(text.text());
                case EmbeddingInput.Tokens tokens -> out.writeArray(tokens.tokens(), 0, tokens.tokens().length);
                }
            }
            out.writeEndArray();
            if (request.dimensions().isPresent()) {
                out.writeNumberField("dimensions", request.dimensions().get());
            }
            if (request.user().isPresent()) {
                out.writeStringField("user", request.user().get());
            }
            out.writeEndObject();
        } catch (IOException e) {
            throw new IllegalStateException("writing to memory cannot fail", e);
        }
        return bytes.toByteArray();
    }

    /**
     * Reads an upstream's answer: {@code data[].embedding} (numbers or base64) by {@code data[].index}, {@code model},
     * {@code usage.prompt_tokens}. An {@code error} object instead of {@code data} (some servers send one with a 200)
     * is the upstream's refusal.
     *
     * @param expected    how many inputs were sent: the answer must hold one vector for each
     * @param sentModel   the model named in the request, for an answer that names none
     */
    public static EmbeddingResponse readAnswer(byte[] body, int expected, String sentModel) throws DialectException {
        float[][] vectors = new float[expected][];
        String model = sentModel;
        Optional<Usage> usage = Optional.empty();
        String error = null;
        int errorCode = 0;
        try (JsonParser parser = Json.MAPPER.createParser(body)) {
            if (parser.nextToken() != JsonToken.START_OBJECT) {
                throw DialectException.badResponse("answer is not a JSON object");
            }
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                String field = parser.currentName();
                JsonToken value = parser.nextToken();
                switch (field) {
                case "data" -> readData(parser, vectors);
                case "model" -> model = value == JsonToken.VALUE_STRING ? parser.getText() : model;
                case "usage" -> usage = readUsage(parser);
                case "error" -> {
                    if (value == JsonToken.START_OBJECT) {
                        JsonNode node = Json.MAPPER.readTree(parser);
                        error = Json.text(node, "message").orElse("error");
                        errorCode = node.path("code").canConvertToInt() ? node.path("code").asInt() : 0;
                    } else if (value != JsonToken.VALUE_NULL) {
                        error = parser.getValueAsString("error");
                        parser.skipChildren();
                    }
                }
                default -> parser.skipChildren();
                }
            }
        } catch (IOException e) {
            throw DialectException.badResponse("answer is not valid JSON");
        }
        if (error != null && vectors.length > 0 && vectors[0] == null) {
            throw DialectException.of(kindOf(errorCode), error);
        }
        List<float[]> ordered = new ArrayList<>(expected);
        for (int i = 0; i < expected; i++) {
            if (vectors[i] == null) {
                throw DialectException.badResponse("answer has no vector for input " + i + " of " + expected);
            }
            ordered.add(vectors[i]);
        }
        return new EmbeddingResponse(model, ordered, usage);
    }

    private static void readData(JsonParser parser, float[][] vectors) throws IOException, DialectException {
        if (parser.currentToken() != JsonToken.START_ARRAY) {
            throw DialectException.badResponse("data is not an array");
        }
        int position = 0;
        while (parser.nextToken() == JsonToken.START_OBJECT) {
            int index = position;
            float[] vector = null;
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                String field = parser.currentName();
                JsonToken value = parser.nextToken();
                if (field.equals("index") && value == JsonToken.VALUE_NUMBER_INT) {
                    index = parser.getIntValue();
                } else if (field.equals("embedding")) {
                    vector = VectorJson.read(parser, "data[" + position + "].embedding");
                } else {
                    parser.skipChildren();
                }
            }
            if (vector == null) {
                throw DialectException.badResponse("data[" + position + "] has no embedding");
            }
            if (index < 0 || index >= vectors.length || vectors[index] != null) {
                throw DialectException.badResponse("data[" + position + "].index " + index + " (expected: each of 0 to "
                                                           + (vectors.length - 1) + " once)");
            }
            vectors[index] = vector;
            position++;
        }
    }

    private static Optional<Usage> readUsage(JsonParser parser) throws IOException {
        if (parser.currentToken() != JsonToken.START_OBJECT) {
            parser.skipChildren();
            return Optional.empty();
        }
        JsonNode node = Json.MAPPER.readTree(parser);
        return node.path("prompt_tokens").canConvertToInt()
                ? Optional.of(new Usage(node.path("prompt_tokens").asInt(), 0)) : Optional.empty();
    }

    private static FailureKind kindOf(int code) {
        return switch (code) {
            case 400, 422 -> FailureKind.BAD_REQUEST;
            case 401, 402, 403 -> FailureKind.AUTH;
            case 404 -> FailureKind.NOT_FOUND;
            case 429 -> FailureKind.RATE_LIMITED;
            default -> FailureKind.SERVER_ERROR;
        };
    }

    /**
     * The answer for a client: {@code {"object":"list","data":[{"object":"embedding","index":i,"embedding":...}],
     * "model":...,"usage":{"prompt_tokens":n,"total_tokens":n}}}, vectors as numbers or as base64.
     */
    public static byte[] writeAnswer(EmbeddingResponse response, boolean base64) {
        int dims = response.vectors().isEmpty() ? 0 : response.vectors().getFirst().length;
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(64 + response.vectors().size() * (32 + dims * 12));
        try (JsonGenerator out = Json.MAPPER.createGenerator(bytes)) {
            out.writeStartObject();
            out.writeStringField("object", "list");
            out.writeArrayFieldStart("data");
            for (int i = 0; i < response.vectors().size(); i++) {
                out.writeStartObject();
                out.writeStringField("object", "embedding");
                out.writeNumberField("index", i);
                out.writeFieldName("embedding");
                VectorJson.write(out, response.vectors().get(i), base64);
                out.writeEndObject();
            }
            out.writeEndArray();
            out.writeStringField("model", response.model());
            int tokens = response.usage().map(Usage::promptTokens).orElse(0);
            out.writeObjectFieldStart("usage");
            out.writeNumberField("prompt_tokens", tokens);
            out.writeNumberField("total_tokens", tokens);
            out.writeEndObject();
            out.writeEndObject();
        } catch (IOException e) {
            throw new IllegalStateException("writing to memory cannot fail", e);
        }
        return bytes.toByteArray();
    }
}
