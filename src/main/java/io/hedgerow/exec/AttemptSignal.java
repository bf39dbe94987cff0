package io.hedgerow.exec;

import io.hedgerow.model.Failure;
import io.hedgerow.model.StreamEvent;
import io.hedgerow.provider.ChatStream;

import java.util.List;

/** What an attempt's thread tells the race: it has an answer (or its first token), or it failed. */
sealed interface AttemptSignal {
    Attempt attempt();

    /**
     * A complete non-streamed answer ({@link Job}'s answer type: a chat answer or vectors), {@code latencyNanos} after
     * the attempt started.
     */
    record Answered(Attempt attempt, Object response, long latencyNanos) implements AttemptSignal {
    }

    /**
     * A stream that produced its first token (or ended cleanly) {@code latencyNanos} after the attempt started;
     * {@code head} holds the events read so far.
     */
    record Producing(Attempt attempt, ChatStream stream, List<StreamEvent> head, long latencyNanos)
            implements AttemptSignal {
    }

    /** The attempt failed. */
    record Failed(Attempt attempt, Failure failure) implements AttemptSignal {
    }
}
