package io.hedgerow.exec;

import io.hedgerow.config.EmbeddingBatch;
import io.hedgerow.model.EmbeddingInput;
import io.hedgerow.model.EmbeddingRequest;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** How a large embeddings request is cut into calls: in order, within both limits, an oversized input alone. */
class EmbeddingBatchesTest {

    @Test
    void batchesKeepTheOrderAndStayWithinInputsAndTokens() {
        // "aaaaaaaaa" is 9 bytes: 3 estimated tokens; a token array counts its length.
        EmbeddingRequest request = request(text("aaaaaaaaa"), text("b"), text("aaaaaaaaa"), text("c"), text("d"),
                                           text("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"), text("e"));
        List<EmbeddingRequest> batches = EmbeddingBatches.split(request, new EmbeddingBatch(3, 7));

        assertEquals(List.of(List.of("aaaaaaaaa", "b", "aaaaaaaaa"), List.of("c", "d"),
                             List.of("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"), List.of("e")),
                     batches.stream().map(b -> b.inputs().stream()
                             .map(i -> ((EmbeddingInput.Text) i).text()).toList()).toList());
    }

    @Test
    void multiByteTextCountsMoreTokensThanItsCharacters() {
        assertEquals(1, text("abc").estimatedTokens());
        assertEquals(3, text("日本語").estimatedTokens(), "9 bytes of UTF-8");
        assertEquals(3, new EmbeddingInput.Tokens(new int[] {1, 2, 3}).estimatedTokens());
    }

    @Test
    void oneBatchWhenEverythingFits() {
        EmbeddingRequest request = request(text("a"), text("b"));
        assertEquals(List.of(request.inputs()), EmbeddingBatches.split(request, EmbeddingBatch.DEFAULTS).stream()
                .map(EmbeddingRequest::inputs).toList());
    }

    private static EmbeddingInput text(String text) {
        return new EmbeddingInput.Text(text);
    }

    private static EmbeddingRequest request(EmbeddingInput... inputs) {
        return new EmbeddingRequest("m", List.of(inputs), Optional.empty(), Optional.empty());
    }
}
