package io.hedgerow.exec;

import io.hedgerow.route.Candidate;

import java.util.Objects;

/**
 * What the executor did, as typed values for observers (metrics, events, traces). Delivered on the request's
 * thread, in the order it happened; {@code route} is the plan's alias (a route name, or {@code provider/model}).
 * Attempts are numbered from 1 within one race, so an observer can pair an attempt's start with its end.
 */
public sealed interface ExecutionEvent {
    String route();

    /** A call to a candidate started: {@code attempt.failure()} is empty. */
    record AttemptStarted(String route, int number, AttemptRecord attempt) implements ExecutionEvent {
        public AttemptStarted {
            Objects.requireNonNull(route, "route");
            Objects.requireNonNull(attempt, "attempt");
        }
    }

    /**
     * A call ended, {@code elapsedNanos} after it started: it served (no failure), failed, or was cancelled because
     * another attempt won or the request ended ({@code CANCELLED}).
     */
    record AttemptEnded(String route, int number, AttemptRecord attempt, long elapsedNanos) implements ExecutionEvent {
        public AttemptEnded {
            Objects.requireNonNull(route, "route");
            Objects.requireNonNull(attempt, "attempt");
        }
    }

    /** A candidate was passed over without a call; {@code record} is what the attempts header shows of it. */
    record CandidateSkipped(String route, AttemptRecord record, SkipReason reason) implements ExecutionEvent {
        public CandidateSkipped {
            Objects.requireNonNull(route, "route");
            Objects.requireNonNull(record, "record");
            Objects.requireNonNull(reason, "reason");
        }
    }

    /** A hedge (or a probe) was due but the hedge budget had no allowance left. */
    record HedgeRefused(String route) implements ExecutionEvent {
        public HedgeRefused {
            Objects.requireNonNull(route, "route");
        }
    }

    /**
     * A stream that broke after {@code deliveredTokens} content events was resumed on another candidate.
     *
     * @param how {@code prefill} or {@code splice}
     */
    record StreamResumed(String route, Candidate from, Candidate to, int deliveredTokens, String how)
            implements ExecutionEvent {
        public StreamResumed {
            Objects.requireNonNull(route, "route");
            Objects.requireNonNull(from, "from");
            Objects.requireNonNull(to, "to");
            Objects.requireNonNull(how, "how");
        }
    }
}
