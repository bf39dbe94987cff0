package io.hedgerow.model;

import java.util.Objects;
import java.util.Optional;

/**
 * One event of a streamed answer in canonical form. Adapters turn their provider's stream into these;
 * the API turns them into OpenAI chunks. A well-formed stream is any number of deltas, then one
 * {@link Finished}, optionally followed by {@link UsageReported}.
 */
public sealed interface StreamEvent {

    /** Whether this event carries content the client would see (text or a tool-call piece). */
    default boolean isContent() {
        return false;
    }

    /** A piece of the assistant's text. */
    record TextDelta(String text) implements StreamEvent {
        public TextDelta {
            Objects.requireNonNull(text, "text");
        }

        @Override
        public boolean isContent() {
            return !text.isEmpty();
        }
    }

    /**
     * A piece of a tool call. The first piece of call {@code index} carries its id and name; later pieces
     * carry more of its JSON arguments text.
     */
    record ToolCallDelta(int index, Optional<String> id, Optional<String> name, String argumentsFragment)
            implements StreamEvent {
        public ToolCallDelta {
            Objects.requireNonNull(id, "id");
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(argumentsFragment, "argumentsFragment");
        }

        @Override
        public boolean isContent() {
            return true;
        }
    }

    /** Generation ended normally. */
    record Finished(FinishReason reason) implements StreamEvent {
        public Finished {
            Objects.requireNonNull(reason, "reason");
        }
    }

    /**
     * A note for the client that is not part of the answer (Hedgerow writes it as an SSE comment, which parsers
     * ignore), e.g. where an interrupted answer was resumed.
     */
    record Notice(String text) implements StreamEvent {
        public Notice {
            Objects.requireNonNull(text, "text");
        }
    }

    /** Token counts for the whole answer. */
    record UsageReported(Usage usage) implements StreamEvent {
        public UsageReported {
            Objects.requireNonNull(usage, "usage");
        }
    }
}
