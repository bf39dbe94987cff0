package io.hedgerow.model;

import java.util.Objects;

/** One input of an embeddings request: a text, or a text already tokenized by the client (OpenAI's token arrays). */
public sealed interface EmbeddingInput {

    /**
     * Its size in tokens, for batch limits: exact for token arrays; for a text one token per 3 bytes of UTF-8 (at
     * least 1), more than any tokenizer makes of English (about 4 characters a token) and close for scripts of
     * 3-byte characters, so a batch within the limit by this count is within it by the provider's.
     */
    long estimatedTokens();

    /** A text to embed. */
    record Text(String text) implements EmbeddingInput {
        public Text {
            Objects.requireNonNull(text, "text");
        }

        @Override
        public long estimatedTokens() {
            long bytes = 0;
            for (int i = 0; i < text.length(); i++) {
                char c = text.charAt(i);
                // Surrogate pairs count 2 + 2: the 4 bytes of their code point.
                bytes += c < 0x80 ? 1 : c < 0x800 || Character.isSurrogate(c) ? 2 : 3;
            }
            return Math.max(1, (bytes + 2) / 3);
        }
    }

    /**
     * Token ids of the model's tokenizer. The array is not copied: treat it as read-only. Records compare arrays by
     * identity; nothing here compares inputs.
     */
    record Tokens(int[] tokens) implements EmbeddingInput {
        public Tokens {
            Objects.requireNonNull(tokens, "tokens");
        }

        @Override
        public long estimatedTokens() {
            return tokens.length;
        }
    }
}
