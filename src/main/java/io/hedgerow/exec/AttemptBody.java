package io.hedgerow.exec;

import io.hedgerow.model.Failure;
import io.hedgerow.model.StreamEvent;
import io.hedgerow.provider.ChatStream;
import io.hedgerow.provider.FailureClassifier;
import io.hedgerow.provider.ProviderException;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * What an attempt's own thread does: call the provider, read a stream up to its first token (or its end), and hand
 * that (or the whole answer) to the race; or report how it failed. Once the race is decided without it, the
 * attempt finishes on its own: its outcome still reaches health, never the client.
 */
final class AttemptBody implements Runnable {
    private final Attempt attempt;
    private final Job<?> job;
    private final boolean streaming;
    private final Inbox inbox;
    private final StallWatchdog watchdog;

    AttemptBody(Attempt attempt, Job<?> job, boolean streaming, Inbox inbox, StallWatchdog watchdog) {
        this.attempt = attempt;
        this.job = job;
        this.streaming = streaming;
        this.inbox = inbox;
        this.watchdog = watchdog;
    }

    @Override
    public void run() {
        ChatStream stream = null;
        try {
            if (!attempt.bindWorker(Thread.currentThread())) {
                // Aborted before it started (the race was decided, or the router is shutting down): no call.
                report(attempt.abortReason().orElseThrow());
                return;
            }
            if (!streaming) {
                Object response;
                try {
                    response = job.answer(attempt.candidate().client(), attempt.candidate().model(), attempt.key());
                } finally {
                    attempt.release();
                }
                long latency = attempt.elapsedNanos();
                if (!attempt.handOver(inbox, new AttemptSignal.Answered(attempt, response, latency))) {
                    endDetached(latency);
                }
                return;
            }
            stream = new ReleasingStream(job.stream(attempt.candidate().client(), attempt.candidate().model(),
                                                    attempt.key()), attempt);
            if (!attempt.attach(stream)) {
                stream.close();
                report(attempt.abortReason().orElseThrow());
                return;
            }
            List<StreamEvent> head = new ArrayList<>(4);
            while (true) {
                Optional<StreamEvent> event = stream.next();
                attempt.touch();
                if (event.isEmpty()) {
                    break;
                }
                head.add(event.get());
                if (event.get().isContent() || event.get() instanceof StreamEvent.Finished) {
                    break;
                }
            }
            long latency = attempt.elapsedNanos();
            if (!attempt.handOver(inbox, new AttemptSignal.Producing(attempt, stream, head, latency))) {
                stream.close();
                endDetached(latency);
            }
        } catch (ProviderException e) {
            closeQuietly(stream);
            report(attempt.failureOf(e));
        } catch (RuntimeException e) {
            // An adapter bug must still end as one clean failure, never a lost signal.
            closeQuietly(stream);
            report(attempt.abortReason().orElseGet(() -> FailureClassifier.fromException(e, false)));
        } finally {
            if (stream == null) {
                // No stream was opened (a whole answer, a failure, or an abort before the call): nothing left to close.
                attempt.release();
            }
        }
    }

    private void report(Failure failure) {
        if (!attempt.offer(inbox, new AttemptSignal.Failed(attempt, failure))) {
            watchdog.unwatch(attempt);
            attempt.failed(failure);
        }
    }

    private void endDetached(long latencyNanos) {
        watchdog.unwatch(attempt);
        attempt.succeeded(latencyNanos);
    }

    private static void closeQuietly(ChatStream stream) {
        if (stream != null) {
            stream.close();
        }
    }
}
