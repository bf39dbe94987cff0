package io.hedgerow.exec;

import io.hedgerow.model.Failure;
import io.hedgerow.model.StreamEvent;
import io.hedgerow.provider.ChatStream;
import io.hedgerow.provider.ProviderException;
import io.hedgerow.route.Candidate;

import java.util.ArrayDeque;
import java.util.List;
import java.util.Optional;

/**
 * One attempt's stream after it won, handed to the client's thread: first the events read while the race was on,
 * then the rest as the upstream produces them. Time limits still apply (the watchdog aborts a stall), and a
 * failure after this point is reported as the attempt's abort reason when there is one.
 */
final class AttemptStream implements LiveStream {
    private final Attempt attempt;
    private final ChatStream stream;
    private final ArrayDeque<StreamEvent> head;
    private final StallWatchdog watchdog;
    private boolean closed;

    /** Who produced this stream. */
    Candidate candidate() {
        return attempt.candidate();
    }

    AttemptStream(Attempt attempt, ChatStream stream, List<StreamEvent> head, StallWatchdog watchdog) {
        this.attempt = attempt;
        this.stream = stream;
        this.head = new ArrayDeque<>(head);
        this.watchdog = watchdog;
    }

    @Override
    public Optional<StreamEvent> next() throws StreamFailedException {
        if (!head.isEmpty()) {
            return noted(Optional.of(head.poll()));
        }
        try {
            Optional<StreamEvent> event = stream.next();
            attempt.touch();
            return noted(event);
        } catch (ProviderException e) {
            Failure failure = attempt.failureOf(e);
            attempt.brokeAfterWinning(failure);
            throw new StreamFailedException(failure, e);
        }
    }

    /** The stream's reported prompt tokens calibrate its candidate's size estimates. */
    private Optional<StreamEvent> noted(Optional<StreamEvent> event) {
        if (event.isPresent() && event.get() instanceof StreamEvent.UsageReported reported) {
            attempt.reportedPromptTokens(reported.usage().promptTokens());
        }
        return event;
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            watchdog.unwatch(attempt);
            stream.close();
        }
    }
}
