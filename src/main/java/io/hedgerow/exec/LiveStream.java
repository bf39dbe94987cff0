package io.hedgerow.exec;

import io.hedgerow.model.StreamEvent;
import io.hedgerow.provider.ChatStream;
import io.hedgerow.provider.ProviderException;

import java.util.ArrayDeque;
import java.util.List;
import java.util.Optional;

/**
 * The winning attempt's stream, handed to the client's thread: first the events read while the race was on,
 * then the rest as the upstream produces them. Time limits still apply (the watchdog aborts a stall), and a
 * failure after this point is reported as the attempt's abort reason when there is one.
 */
public final class LiveStream implements AutoCloseable {
    private final Attempt attempt;
    private final ChatStream stream;
    private final ArrayDeque<StreamEvent> head;
    private final StallWatchdog watchdog;
    private boolean closed;

    LiveStream(Attempt attempt, ChatStream stream, List<StreamEvent> head, StallWatchdog watchdog) {
        this.attempt = attempt;
        this.stream = stream;
        this.head = new ArrayDeque<>(head);
        this.watchdog = watchdog;
    }

    /** The next event, or empty when the answer is complete. */
    public Optional<StreamEvent> next() throws ProviderException {
        if (!head.isEmpty()) {
            return Optional.of(head.poll());
        }
        try {
            Optional<StreamEvent> event = stream.next();
            attempt.touch();
            return event;
        } catch (ProviderException e) {
            throw new ProviderException(attempt.failureOf(e), e);
        }
    }

    /** Ends the exchange (aborting the upstream if it is still sending). Idempotent. */
    @Override
    public void close() {
        if (!closed) {
            closed = true;
            watchdog.unwatch(attempt);
            stream.close();
        }
    }
}
