package io.hedgerow.exec;

import io.hedgerow.model.ChatResponse;
import io.hedgerow.model.EmbeddingResponse;
import io.hedgerow.model.Failure;
import io.hedgerow.model.FailureKind;
import io.hedgerow.model.StreamEvent;
import io.hedgerow.model.Usage;
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
    private static final System.Logger LOG = System.getLogger(AttemptBody.class.getName());

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
                reportUsage(response);
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
            // Whatever escaped the adapter must still end as one clean failure, never a lost signal.
            closeQuietly(stream);
            report(attempt.abortReason().orElseGet(() -> escaped(e)));
        } finally {
            if (stream == null) {
                // No stream was opened (a whole answer, a failure, or an abort before the call): nothing left to close.
                attempt.release();
            }
        }
    }

    /**
     * What an exception that escaped the adapter means: the transport failing (an {@link java.io.IOException} in its
     * causes, or Helidon's "body cut short"), classified as usual; anything else is a bug of ours, an
     * {@code INTERNAL} failure, logged here once with its stack trace and neutral for the upstream's breaker.
     */
    private Failure escaped(RuntimeException e) {
        for (Throwable cause = e; cause != null; cause = cause.getCause()) {
            if (cause instanceof java.io.IOException || cause.getClass().getSimpleName().contains("InsufficientData")) {
                return FailureClassifier.fromException(e, false);
            }
        }
        String where = attempt.candidate().provider().type().name().toLowerCase(java.util.Locale.ROOT);
        LOG.log(System.Logger.Level.ERROR, "a bug in the " + where + " adapter, calling "
                + attempt.candidate().label() + " (reported as a router error; the upstream is not blamed)", e);
        return Failure.of(FailureKind.INTERNAL, e.getClass().getSimpleName() + " in the router's " + where
                + " adapter");
    }

    /** A whole answer's reported prompt tokens calibrate its candidate's size estimates. */
    private void reportUsage(Object response) {
        Optional<Usage> usage = switch (response) {
            case ChatResponse chat -> chat.usage();
            case EmbeddingResponse embedding -> embedding.usage();
            default -> Optional.empty();
        };
        usage.ifPresent(u -> attempt.reportedPromptTokens(u.promptTokens()));
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
