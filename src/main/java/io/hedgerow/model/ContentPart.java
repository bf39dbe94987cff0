package io.hedgerow.model;

import java.util.Objects;

/** One part of a message's content: text, or an image by URL (which may be a {@code data:} URL). */
public sealed interface ContentPart {

    /** Plain text. */
    record Text(String text) implements ContentPart {
        public Text {
            Objects.requireNonNull(text, "text");
        }
    }

    /** An image; {@code detail} is OpenAI's optional hint ("auto", "low", "high"), empty when absent. */
    record Image(String url, String detail) implements ContentPart {
        public Image {
            Objects.requireNonNull(url, "url");
            Objects.requireNonNull(detail, "detail");
        }
    }
}
