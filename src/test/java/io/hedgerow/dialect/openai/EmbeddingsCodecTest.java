package io.hedgerow.dialect.openai;

import io.hedgerow.dialect.DialectException;
import io.hedgerow.dialect.InvalidRequestException;
import io.hedgerow.json.Json;
import io.hedgerow.model.EmbeddingInput;
import io.hedgerow.model.EmbeddingResponse;
import io.hedgerow.model.FailureKind;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** OpenAI's embeddings wire format: answers in any order and either encoding, refusals, the client's request. */
class EmbeddingsCodecTest {

    @Test
    void readsVectorsByIndexInEitherEncoding() throws Exception {
        // [0.5, -1.0] as little-endian float32, base64: AAAAPwAAgL8=
        EmbeddingResponse answer = EmbeddingsCodec.readAnswer(bytes("""
                {"object":"list","data":[{"object":"embedding","index":1,"embedding":"AAAAPwAAgL8="},
                {"object":"embedding","index":0,"embedding":[0.25,1e-3]}],"model":"m-2024","usage":{"prompt_tokens":5,"total_tokens":5}}"""),
                                                              2, "m");
        assertArrayEquals(new float[] {0.25f, 0.001f}, answer.vectors().get(0));
        assertArrayEquals(new float[] {0.5f, -1.0f}, answer.vectors().get(1));
        assertEquals("m-2024", answer.model());
        assertEquals(5, answer.usage().orElseThrow().promptTokens());
    }

    @Test
    void anAnswerMissingAVectorOrNamingOneTwiceIsABadResponse() {
        for (String body : List.of("{\"data\":[{\"index\":0,\"embedding\":[1]}]}",
                                   "{\"data\":[{\"index\":0,\"embedding\":[1]},{\"index\":0,\"embedding\":[2]}]}",
                                   "{\"data\":[{\"index\":0,\"embedding\":\"not base64!\"},{\"index\":1,\"embedding\":[2]}]}",
                                   "[1,2]")) {
            DialectException e = assertThrows(DialectException.class,
                                              () -> EmbeddingsCodec.readAnswer(bytes(body), 2, "m"), body);
            assertEquals(FailureKind.BAD_RESPONSE, e.failure().kind(), body);
        }
    }

    @Test
    void anErrorInsideA200IsTheUpstreamsRefusal() {
        DialectException e = assertThrows(DialectException.class, () -> EmbeddingsCodec.readAnswer(
                bytes("{\"error\":{\"message\":\"Rate limit exceeded\",\"code\":429}}"), 1, "m"));
        assertEquals(FailureKind.RATE_LIMITED, e.failure().kind());
        assertEquals("Rate limit exceeded", e.failure().message());
    }

    @Test
    void theAnswerForAClientInBase64RoundTrips() throws Exception {
        byte[] written = EmbeddingsCodec.writeAnswer(new EmbeddingResponse(
                "m", List.of(new float[] {0.5f, -1f}), Optional.empty()), true);
        assertEquals("AAAAPwAAgL8=", Json.MAPPER.readTree(written).at("/data/0/embedding").asText());
        assertArrayEquals(new float[] {0.5f, -1f}, EmbeddingsCodec.readAnswer(written, 1, "m").vectors().getFirst());
    }

    @Test
    void readsEveryInputShapeAndNamesWhatIsWrong() throws Exception {
        assertEquals(1, read("{\"model\":\"m\",\"input\":[5,6,7]}").request().inputs().size());
        assertEquals(2, read("{\"model\":\"m\",\"input\":[[5],[6,7]]}").request().inputs().size());
        EmbeddingInput.Text text = (EmbeddingInput.Text) read("{\"model\":\"m\",\"input\":\"x\"}").request()
                .inputs().getFirst();
        assertEquals("x", text.text());

        InvalidRequestException e = assertThrows(InvalidRequestException.class,
                                                 () -> read("{\"model\":\"m\",\"input\":[\"a\",\"\"]}"));
        assertEquals(Optional.of("input[1]"), e.param());
        e = assertThrows(InvalidRequestException.class, () -> read("{\"model\":\"m\",\"input\":[[1,-2]]}"));
        assertEquals(Optional.of("input[0][1]"), e.param());
        e = assertThrows(InvalidRequestException.class, () -> read("{\"model\":\"m\",\"input\":\"a\",\"x\":1}"));
        assertEquals("x: unknown field (expected: one of dimensions, encoding_format, input, model, user)",
                     e.getMessage());
    }

    private static EmbeddingsCodec.Read read(String json) throws Exception {
        return EmbeddingsCodec.readRequest(Json.MAPPER.readTree(json));
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
