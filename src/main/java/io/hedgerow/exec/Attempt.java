package io.hedgerow.exec;

import io.hedgerow.config.ApiKey;
import io.hedgerow.config.Timeouts;
import io.hedgerow.model.Failure;
import io.hedgerow.provider.ChatStream;
import io.hedgerow.provider.ProviderException;
import io.hedgerow.route.Candidate;
import io.hedgerow.time.Deadline;
import io.hedgerow.time.Ticker;

import java.util.Optional;

/**
 * One call to one candidate, run on its own virtual thread until it produces its first token (or its whole
 * answer), and then read by the client's thread. It can be aborted from any thread: the stream is closed (the
 * upstream sees the disconnect) and, while the attempt's own thread is still working, that thread is
 * interrupted. The first abort reason wins and is what the attempt reports as its failure.
 *
 * <p>Thread-safety: abort, attach and release are synchronized so that an abort never interrupts a thread
 * that has already handed the stream over; activity timestamps are volatile.
 */
final class Attempt {
    private final Candidate candidate;
    private final Optional<ApiKey> key;
    private final boolean streaming;
    private final Ticker ticker;
    private final long startedNanos;
    private final long firstTokenNanos;
    private final long idleNanos;
    private final Deadline deadline;

    private Thread worker;
    private ChatStream stream;
    private Failure abortReason;
    private volatile boolean producing;
    private volatile long lastActivityNanos;

    Attempt(Candidate candidate, Optional<ApiKey> key, boolean streaming, Ticker ticker, Deadline requestDeadline) {
        this.candidate = candidate;
        this.key = key;
        this.streaming = streaming;
        this.ticker = ticker;
        Timeouts timeouts = candidate.provider().timeouts();
        this.startedNanos = ticker.read();
        this.lastActivityNanos = startedNanos;
        this.firstTokenNanos = timeouts.firstToken().toNanos();
        this.idleNanos = timeouts.idle().toNanos();
        this.deadline = requestDeadline.cappedAt(timeouts.total());
    }

    Candidate candidate() {
        return candidate;
    }

    Optional<ApiKey> key() {
        return key;
    }

    long startedNanos() {
        return startedNanos;
    }

    AttemptRecord record(Optional<Failure> failure) {
        return new AttemptRecord(candidate, key.map(ApiKey::label), failure);
    }

    /** Called on the attempt's own thread before it starts calling the provider. */
    synchronized void bindWorker(Thread thread) {
        worker = thread;
    }

    /** Attaches the open stream; false (and the stream must be closed) when the attempt was already aborted. */
    synchronized boolean attach(ChatStream openStream) {
        if (abortReason != null) {
            return false;
        }
        stream = openStream;
        return true;
    }

    /** The attempt's thread is done; from now on an abort only closes the stream. */
    synchronized void releaseWorker() {
        worker = null;
        producing = true;
        lastActivityNanos = ticker.read();
    }

    /** Records activity (an event read), for the idle timeout. */
    void touch() {
        lastActivityNanos = ticker.read();
    }

    /** Aborts the attempt for this reason, unless it was already aborted. */
    void abort(Failure reason) {
        ChatStream toClose;
        synchronized (this) {
            if (abortReason != null) {
                return;
            }
            abortReason = reason;
            toClose = stream;
            if (worker != null) {
                worker.interrupt();
            }
        }
        if (toClose != null) {
            toClose.close();
        }
    }

    /** The failure to report for an exception: the abort reason when we aborted, else the provider's own. */
    synchronized Failure failureOf(ProviderException e) {
        return abortReason != null ? abortReason : e.failure();
    }

    synchronized Optional<Failure> abortReason() {
        return Optional.ofNullable(abortReason);
    }

    /**
     * Why the attempt is overdue at {@code now}, if it is: no first token within the first-token timeout
     * (streams only; a whole answer is bounded by the total), no event within the idle timeout once producing,
     * or past its deadline (the provider's total limit or the request's, whichever is first).
     */
    Optional<String> overdue(long now) {
        if (now - deadline.atNanos() >= 0) {
            return Optional.of("no complete answer within the time limit");
        }
        if (streaming && !producing && now - startedNanos > firstTokenNanos) {
            return Optional.of("no first token within " + millis(firstTokenNanos));
        }
        if (producing && now - lastActivityNanos > idleNanos) {
            return Optional.of("stream idle for " + millis(idleNanos));
        }
        return Optional.empty();
    }

    private static String millis(long nanos) {
        return nanos % 1_000_000_000L == 0 ? nanos / 1_000_000_000L + "s" : nanos / 1_000_000L + "ms";
    }
}
