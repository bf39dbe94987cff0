package io.hedgerow.exec;

import io.hedgerow.model.FailureKind;
import io.hedgerow.model.FinishReason;
import io.hedgerow.model.StreamEvent;
import io.hedgerow.model.StreamEvent.Finished;
import io.hedgerow.model.StreamEvent.ReasoningDelta;
import io.hedgerow.model.StreamEvent.RefusalDelta;
import io.hedgerow.model.StreamEvent.TextDelta;
import io.hedgerow.model.StreamEvent.ToolCallDelta;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.is;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * The splice rule, fed literal events: a regenerated answer passes on only what lies beyond what the client has,
 * once all of that (reasoning, text, refusal, tool calls) was reproduced, and logprobs go only with whole pieces.
 */
class SpliceFilterTest {
    private static final Optional<Map<String, Object>> LOGPROBS = Optional.of(Map.of("content", List.of()));

    @Test
    void reasoningDeliveredAloneIsReproducedThenContinued() throws StreamFailedException {
        List<StreamEvent> relayed = relay(filter("Let me", "", "", Map.of()),
                                          new ReasoningDelta("Let"), new ReasoningDelta(" me think"),
                                          new TextDelta("4", LOGPROBS), new Finished(FinishReason.STOP));

        assertThat(relayed, is(List.of(new ReasoningDelta(" think"), new TextDelta("4", LOGPROBS),
                                       new Finished(FinishReason.STOP))));
    }

    @Test
    void aPieceCutAtTheSeamLosesItsLogprobsWholeOnesKeepThem() throws StreamFailedException {
        List<StreamEvent> relayed = relay(filter("", "Hel", "", Map.of()),
                                          new TextDelta("He", LOGPROBS), new TextDelta("llo", LOGPROBS),
                                          new TextDelta(" you", LOGPROBS), new Finished(FinishReason.STOP));

        assertThat(relayed, is(List.of(new TextDelta("lo"), new TextDelta(" you", LOGPROBS),
                                       new Finished(FinishReason.STOP))));
    }

    @Test
    void aRefusalIsReproducedLikeText() throws StreamFailedException {
        List<StreamEvent> relayed = relay(filter("", "", "I can", Map.of()),
                                          new RefusalDelta("I can", Optional.empty()),
                                          new RefusalDelta("'t.", Optional.empty()), new Finished(FinishReason.STOP));

        assertThat(relayed, is(List.of(new RefusalDelta("'t.", Optional.empty()), new Finished(FinishReason.STOP))));
        assertThat(diverged(filter("", "", "I can", Map.of()), new RefusalDelta("I won", Optional.empty())),
                   containsString("in its refusal"));
        assertThat(diverged(filter("", "", "I can", Map.of()), new TextDelta("Sure")),
                   containsString("refusal (the answer went on before it was reproduced)"));
    }

    @Test
    void nothingNewPassesBeforeEveryDeliveredPartIsReproduced() {
        RecoveringStream.DeliveredCall call = new RecoveringStream.DeliveredCall();
        call.name = "get_weather";
        call.arguments.append("{\"city\":");

        // Delivered: thinking, then text; a regeneration that starts answering before it has thought it through.
        assertThat(diverged(filter("Hmm, ok", "Hi", "", Map.of()), new ReasoningDelta("Hmm"), new TextDelta("Hi")),
                   containsString("reasoning (the answer began before the delivered reasoning was reproduced)"));
        // Delivered: text and the start of a call; more text before the call is reproduced would land before it.
        assertThat(diverged(filter("", "Hi", "", Map.of(0, call)), new TextDelta("Hi there")),
                   containsString("tool call 0 (the answer went on before it was reproduced)"));
        // Delivered: reasoning and text; a regeneration that thinks on past where the delivered one stopped.
        assertThat(diverged(filter("Hmm", "Hi", "", Map.of()), new ReasoningDelta("Hmm, more")),
                   containsString("reasoning (it went on where the delivered answer had stopped reasoning)"));
        assertThat(diverged(filter("Hmm", "", "", Map.of()), new ReasoningDelta("Hm"), new Finished(FinishReason.STOP)),
                   containsString("length (it ended before reproducing the delivered reasoning)"));
    }

    @Test
    void aRegenerationsThinkingIsDroppedWhenTheClientsAnswerHadNone() throws StreamFailedException {
        List<StreamEvent> relayed = relay(filter("", "The", "", Map.of()),
                                          new ReasoningDelta("Quietly"), new TextDelta("The end"),
                                          new ToolCallDelta(0, Optional.of("c"), Optional.of("f"), "{}"),
                                          new Finished(FinishReason.TOOL_CALLS));

        assertThat(relayed, is(List.of(new TextDelta(" end"),
                                       new ToolCallDelta(0, Optional.of("c"), Optional.of("f"), "{}"),
                                       new Finished(FinishReason.TOOL_CALLS))));
    }

    private static Delivered filter(String reasoning, String text, String refusal,
                                    Map<Integer, RecoveringStream.DeliveredCall> calls) {
        return new Delivered(reasoning, text, refusal, calls);
    }

    private static List<StreamEvent> relay(Delivered delivered, StreamEvent... regenerated) throws StreamFailedException {
        RecoveringStream.SpliceFilter filter = delivered.regenerating(regenerated);
        List<StreamEvent> out = new ArrayList<>();
        for (Optional<StreamEvent> event = filter.next(); event.isPresent(); event = filter.next()) {
            out.add(event.get());
        }
        return out;
    }

    /** The message of the divergence the regenerated events cause. */
    private static String diverged(Delivered delivered, StreamEvent... regenerated) {
        StreamFailedException e = assertThrows(StreamFailedException.class, () -> relay(delivered, regenerated));
        assertThat(e.failure().kind(), is(FailureKind.BAD_RESPONSE));
        return e.failure().message();
    }

    /** What the client has of the broken answer. */
    private record Delivered(String reasoning, String text, String refusal,
                             Map<Integer, RecoveringStream.DeliveredCall> calls) {
        RecoveringStream.SpliceFilter regenerating(StreamEvent... events) {
            return new RecoveringStream.SpliceFilter(new Scripted(List.of(events)), reasoning, text, refusal, calls);
        }
    }

    /** A regenerated answer, event by event. */
    private static final class Scripted implements LiveStream {
        private final Iterator<StreamEvent> events;

        Scripted(List<StreamEvent> events) {
            this.events = events.iterator();
        }

        @Override
        public Optional<StreamEvent> next() {
            return events.hasNext() ? Optional.of(events.next()) : Optional.empty();
        }

        @Override
        public void close() {
        }
    }
}
