package io.hedgerow.exec;

import io.hedgerow.model.Failure;
import io.hedgerow.model.FailureKind;
import io.hedgerow.time.Daemon;
import io.hedgerow.time.Ticker;

import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Enforces attempt time limits (first token, idle, total) by scanning the attempts in flight every
 * {@code period} and aborting the overdue ones with a {@code TIMEOUT}. One {@link Daemon} thread for the whole router
 * keeps the per-event cost to one volatile write ({@link Attempt#touch()}), instead of a timer per read.
 * Precision is one period. {@link #scan()} is the whole algorithm and tests call it with a fake ticker.
 */
public final class StallWatchdog implements AutoCloseable {
    private final Set<Attempt> watched = ConcurrentHashMap.newKeySet();
    private final Ticker ticker;
    private final Optional<Daemon> daemon;
    private volatile Failure stopped;

    /** A watchdog that scans on its own daemon thread every {@code period}. */
    public static StallWatchdog start(Ticker ticker, Duration period) {
        return new StallWatchdog(ticker, period, true);
    }

    /** A watchdog with no thread: tests call {@link #scan()}. */
    static StallWatchdog manual(Ticker ticker) {
        return new StallWatchdog(ticker, Duration.ZERO, false);
    }

    private StallWatchdog(Ticker ticker, Duration period, boolean threaded) {
        this.ticker = ticker;
        // A failure in one check must not stop time limits for everyone else: the daemon survives it.
        // With nothing in flight it parks until the next attempt (an idle router pays no tick).
        this.daemon = threaded ? Optional.of(Daemon.every("hedgerow-watchdog", period, Ticker.system(),
                                                          () -> !watched.isEmpty(), this::scan)) : Optional.empty();
    }

    /** The scanning thread (none for a manual watchdog); readiness reports it when it stops. */
    public Optional<Daemon> daemon() {
        return daemon;
    }

    void watch(Attempt attempt) {
        watched.add(attempt);
        daemon.ifPresent(Daemon::wake);
        Failure stop = stopped;
        if (stop != null) {
            // Started after the shutdown began: it ends at once, before it calls anyone.
            watched.remove(attempt);
            attempt.abort(stop);
        }
    }

    /**
     * The router is shutting down: every attempt in flight is aborted with {@code reason} (its upstream connection
     * closed), and every attempt started from now on is aborted before it calls. A race whose attempts end this way
     * stops, and a stream being relayed ends with an error event.
     */
    public void shutdown(Failure reason) {
        stopped = reason;
        for (Attempt attempt : watched) {
            watched.remove(attempt);
            attempt.abort(reason);
        }
    }

    void unwatch(Attempt attempt) {
        watched.remove(attempt);
    }

    int watchedCount() {
        return watched.size();
    }

    /** Aborts every overdue attempt. */
    void scan() {
        long now = ticker.read();
        for (Attempt attempt : watched) {
            attempt.overdue(now).ifPresent(why -> {
                watched.remove(attempt);
                attempt.abort(Failure.of(FailureKind.TIMEOUT, why));
            });
        }
    }

    @Override
    public void close() {
        daemon.ifPresent(Daemon::close);
    }
}
