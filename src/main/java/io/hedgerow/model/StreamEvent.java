package io.hedgerow.model;

import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * One event of a streamed answer in canonical form. Adapters turn their provider's stream into these;
 * the API turns them into its dialect's chunks. A well-formed stream is optionally one {@link Metadata} first, then
 * any number of deltas, then one {@link Finished}, optionally followed by {@link UsageReported}; {@link WireFrame}s
 * may come between them.
 */
public sealed interface StreamEvent {

    /** Whether this event carries content the client would see (text or a tool-call piece). */
    default boolean isContent() {
        return false;
    }

    /**
     * Who is answering, as the upstream names itself: its model (often a dated snapshot of the configured name) and,
     * from OpenAI-compatible providers, the {@code system_fingerprint} and {@code service_tier} its chunks carry.
     * Comes before the first delta; every chunk of the answer repeats it.
     */
    record Metadata(String model, Optional<String> systemFingerprint, Optional<String> serviceTier)
            implements StreamEvent {
        public Metadata {
            Objects.requireNonNull(model, "model");
            Objects.requireNonNull(systemFingerprint, "systemFingerprint");
            Objects.requireNonNull(serviceTier, "serviceTier");
        }
    }

    /**
     * A piece of the assistant's text, with OpenAI's {@code logprobs} object for its tokens when the client asked for
     * them (plain Java values, relayed as they came; not copied, so treat them as read-only).
     */
    record TextDelta(String text, Optional<Map<String, Object>> logprobs) implements StreamEvent {
        public TextDelta {
            Objects.requireNonNull(text, "text");
            Objects.requireNonNull(logprobs, "logprobs");
        }

        /** A piece of text without log probabilities. */
        public TextDelta(String text) {
            this(text, Optional.empty());
        }

        @Override
        public boolean isContent() {
            return !text.isEmpty();
        }
    }

    /**
     * A piece of the model's reasoning ("thinking"), which comes before its answer and is shown apart from it.
     * It counts as content: the client sees it, so once it is delivered the answer belongs to this attempt.
     */
    record ReasoningDelta(String text) implements StreamEvent {
        public ReasoningDelta {
            Objects.requireNonNull(text, "text");
        }

        @Override
        public boolean isContent() {
            return !text.isEmpty();
        }
    }

    /** A piece of a refusal (the model declined, and says why apart from content), with its logprobs if asked. */
    record RefusalDelta(String text, Optional<Map<String, Object>> logprobs) implements StreamEvent {
        public RefusalDelta {
            Objects.requireNonNull(text, "text");
            Objects.requireNonNull(logprobs, "logprobs");
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

    /**
     * One event of the upstream's stream exactly as it came (an SSE event's name and data), sent only when the client
     * speaks the upstream's dialect, so it can be relayed instead of re-encoded. It comes right before the canonical
     * events decoded from it: {@code covers} says how many follow (0 for frames with no canonical counterpart, such
     * as Anthropic's {@code content_block_stop}, {@code signature_delta} or {@code ping}); a reader that relays the
     * frame skips those, one that translates ignores the frame. Frames without a counterpart are held by the adapter
     * until the next frame that has one, so they never pass for progress of their own.
     *
     * @param dialect the upstream's dialect
     * @param event   the SSE event name ({@code message} when the upstream named none)
     * @param data    the SSE event's data
     * @param covers  how many of the following canonical events were decoded from this frame
     */
    record WireFrame(Dialect dialect, String event, String data, int covers) implements StreamEvent {
        public WireFrame {
            Objects.requireNonNull(dialect, "dialect");
            Objects.requireNonNull(event, "event");
            Objects.requireNonNull(data, "data");
            if (covers < 0) {
                throw new IllegalArgumentException("covers: " + covers + " (expected: >= 0)");
            }
        }
    }
}
