package io.hedgerow.exec;

import io.hedgerow.model.Failure;

/**
 * How a race ends, once decided (a winner, or a failure for the client): every other attempt is detached so it will
 * not report again; signals already posted are settled; the still-running attempts are aborted and recorded as lost,
 * except probes, which finish measuring on their own threads; waiting retries and the hedge timer are dropped. The
 * winner's outcome is recorded last, and a non-streamed winner leaves the watchdog (a streamed one is still relayed).
 *
 * <p>Confined to the race's thread, like the race.
 */
final class Settlement {
    private final Journal journal;
    private final Inbox inbox;
    private final Running running;
    private final StallWatchdog watchdog;
    private final RetryScheduler retries;
    private final HedgeTimer hedgeTimer;
    private final boolean streaming;

    Settlement(Journal journal, Inbox inbox, Running running, StallWatchdog watchdog, RetryScheduler retries,
               HedgeTimer hedgeTimer, boolean streaming) {
        this.journal = journal;
        this.inbox = inbox;
        this.running = running;
        this.watchdog = watchdog;
        this.retries = retries;
        this.hedgeTimer = hedgeTimer;
        this.streaming = streaming;
    }

    /**
     * Ends the race.
     *
     * @param won    the winning signal, or null when the race failed
     * @param reason why the others are aborted
     */
    void settle(AttemptSignal won, Failure reason) {
        Attempt winner = won == null ? null : won.attempt();
        for (Attempt attempt : journal.attempts()) {
            if (attempt != winner) {
                attempt.detach();
            }
        }
        for (AttemptSignal signal : inbox.drain()) {
            Attempt attempt = signal.attempt();
            running.remove(attempt);
            watchdog.unwatch(attempt);
            switch (signal) {
            case AttemptSignal.Producing producing -> {
                producing.stream().close();
                attempt.succeeded(producing.latencyNanos());
            }
            case AttemptSignal.Answered answered -> attempt.succeeded(answered.latencyNanos());
            case AttemptSignal.Failed failed -> {
                journal.failedLate(attempt, failed.failure());
                attempt.failed(failed.failure());
            }
            }
        }
        for (Attempt attempt : running) {
            if (attempt != winner && attempt.role() != AttemptRole.PROBE) {
                watchdog.unwatch(attempt);
                attempt.abort(reason);
                attempt.lost();
                journal.cancelled(attempt, reason);
            }
        }
        retries.clear();
        hedgeTimer.disarm();
        if (won != null) {
            running.remove(winner);
            winner.succeeded(latencyOf(won));
            journal.won(winner);
            if (!streaming) {
                watchdog.unwatch(winner);
            }
        }
    }

    private static long latencyOf(AttemptSignal won) {
        return switch (won) {
            case AttemptSignal.Producing p -> p.latencyNanos();
            case AttemptSignal.Answered a -> a.latencyNanos();
            case AttemptSignal.Failed f -> throw new IllegalArgumentException("a failure never wins");
        };
    }
}
