package io.hedgerow.exec;

import io.hedgerow.config.ApiKey;
import io.hedgerow.config.Timeouts;
import io.hedgerow.health.CandidateHealth;
import io.hedgerow.health.CircuitBreaker;
import io.hedgerow.health.KeyHealth;
import io.hedgerow.model.Failure;
import io.hedgerow.model.FailureKind;
import io.hedgerow.provider.ChatStream;
import io.hedgerow.provider.ProviderException;
import io.hedgerow.route.Candidate;
import io.hedgerow.time.Deadline;
import io.hedgerow.time.Ticker;

import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One call to one candidate, run on its own virtual thread until it produces its first token (or its whole
 * answer). While the race is on, the attempt reports to the coordinator; once the race is decided, the losers are
 * detached: an aborted one ends quietly, a probe finishes measuring on its own. Either way exactly one outcome
 * reaches health ({@link #succeeded}, {@link #failed} or {@link #lost}), whoever observes the end first.
 *
 * <p>It can be aborted from any thread: the stream is closed (the upstream sees the disconnect) and, while the
 * attempt's own thread is still working, that thread is interrupted. The first abort reason wins and is what the
 * attempt reports as its failure.
 *
 * <p>Thread-safety: abort, attach, hand-over and detach are synchronized so that an abort never interrupts a
 * thread that has handed its stream over and a detached attempt never hands over; activity timestamps are
 * volatile; the outcome is recorded once through an atomic flag.
 */
final class Attempt {
    private final int number;
    private final AttemptRole role;
    private final Candidate candidate;
    private final CandidateHealth health;
    private final KeyHealth keys;
    private final Optional<ApiKey> key;
    private final boolean streaming;
    private final Ticker ticker;
    private final long startedNanos;
    private final long firstTokenNanos;
    private final long idleNanos;
    private final Deadline deadline;
    private final long boundNanos;
    private final CircuitBreaker.Permit permit;
    private final AtomicBoolean recorded = new AtomicBoolean();
    private final Bulkheads.Place place;
    private final Size size;

    private Thread worker;
    private ChatStream stream;
    private Failure abortReason;
    private boolean detached;
    private volatile boolean producing;
    private volatile long lastActivityNanos;

    /**
     * The prompt's size for one attempt.
     *
     * @param estimated the router's estimate (a token per 4 characters), what the calibration compares with reports
     * @param tokens    the same in the candidate's own tokens ({@link io.hedgerow.health.PromptCalibration}): the size
     *                  its latency is learned and judged at
     */
    record Size(long estimated, long tokens) {
    }

    /**
     * @param boundNanos how long it must have run before being cut off says something about its candidate's latency:
     *                   its own hedge delay ({@code Long.MAX_VALUE} when there is none). A loser cancelled sooner is
     *                   a censored sample and is not recorded
     * @param size       the prompt's size, for the candidate's size-conditioned baseline
     */
    Attempt(int number, AttemptRole role, Candidate candidate, CandidateHealth health, KeyHealth keys,
            Optional<ApiKey> key, boolean streaming, Ticker ticker, Deadline requestDeadline, long boundNanos,
            CircuitBreaker.Permit permit, Bulkheads.Place place, Size size) {
        this.number = number;
        this.role = role;
        this.candidate = candidate;
        this.health = health;
        this.keys = keys;
        this.key = key;
        this.streaming = streaming;
        this.ticker = ticker;
        Timeouts timeouts = candidate.provider().timeouts();
        this.startedNanos = ticker.read();
        this.lastActivityNanos = startedNanos;
        this.firstTokenNanos = timeouts.firstToken().toNanos();
        this.idleNanos = timeouts.idle().toNanos();
        this.deadline = requestDeadline.cappedAt(timeouts.total());
        this.boundNanos = boundNanos;
        this.permit = permit;
        this.place = place;
        this.size = size;
    }

    int number() {
        return number;
    }

    AttemptRole role() {
        return role;
    }

    Candidate candidate() {
        return candidate;
    }

    Optional<ApiKey> key() {
        return key;
    }

    long elapsedNanos() {
        return ticker.read() - startedNanos;
    }

    AttemptRecord record(Optional<Failure> failure) {
        return new AttemptRecord(candidate, key.map(ApiKey::label), role, failure);
    }

    // ---- the attempt's own thread ----

    /**
     * Called on the attempt's own thread before it starts calling the provider; false when it was aborted before
     * it could start (it must then report its abort reason without calling).
     */
    synchronized boolean bindWorker(Thread thread) {
        if (abortReason != null) {
            return false;
        }
        worker = thread;
        return true;
    }

    /**
     * The upstream exchange is over: its bulkhead permit goes back. Idempotent; called when the stream is closed,
     * or when a whole answer (or a failure) has come back.
     */
    void release() {
        place.release();
    }

    /** Attaches the open stream; false (and the stream must be closed) when the attempt was already aborted. */
    synchronized boolean attach(ChatStream openStream) {
        if (abortReason != null) {
            return false;
        }
        stream = openStream;
        return true;
    }

    /**
     * The attempt has its first token or whole answer: from now on an abort only closes the stream, and the
     * signal goes to the race. Returns false when the race was already decided without it; the caller must then
     * finish on its own.
     */
    synchronized boolean handOver(Inbox inbox, AttemptSignal signal) {
        worker = null;
        producing = true;
        place.answered();
        lastActivityNanos = ticker.read();
        return offer(inbox, signal);
    }

    /** Posts a signal to the race unless the attempt is detached; detaching and posting exclude each other. */
    synchronized boolean offer(Inbox inbox, AttemptSignal signal) {
        if (detached) {
            return false;
        }
        inbox.post(signal);
        return true;
    }

    /** The race is over without this attempt: it will post nothing more. */
    synchronized void detach() {
        detached = true;
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

    // ---- outcomes, recorded once ----

    /** It produced its first token (or whole answer) after {@code latencyNanos}. */
    void succeeded(long latencyNanos) {
        if (recorded.compareAndSet(false, true)) {
            health.breaker().onSuccess(permit);
            place.outcome(Bulkheads.Outcome.SUCCESS);
            key.ifPresent(keys::onSuccess);
            health.recordLatency(streaming, size.tokens(), latencyNanos);
        }
    }

    /** It failed. A timeout is also a latency sample: the candidate took at least this long. */
    void failed(Failure failure) {
        if (failure.kind() == FailureKind.CANCELLED || failure.kind() == FailureKind.SHUTDOWN) {
            lost();
            return;
        }
        if (recorded.compareAndSet(false, true)) {
            health.breaker().onFailure(permit, failure.kind());
            place.outcome(failure.kind() == FailureKind.TIMEOUT || failure.kind() == FailureKind.CONNECTION
                                  ? Bulkheads.Outcome.OVERLOAD : Bulkheads.Outcome.NEUTRAL);
            key.ifPresent(k -> keys.onFailure(k, failure));
            if (failure.kind() == FailureKind.TIMEOUT) {
                health.recordLatency(streaming, size.tokens(), elapsedNanos());
            }
        }
    }

    /**
     * Another attempt won (or the client left): neutral for the breaker. Its latency is not known, only that it is
     * more than it ran: that lower bound is recorded only when it ran at least its own hedge delay, where it says
     * the candidate was slow. A loser cut off sooner (a hedge cancelled 20 ms after it started) is censored, not a
     * sample: recorded, it would drag the baseline down and make the candidate's real answers look slow.
     */
    void lost() {
        if (recorded.compareAndSet(false, true)) {
            health.breaker().onNeutral(permit);
            place.outcome(Bulkheads.Outcome.NEUTRAL);
            long elapsed = elapsedNanos();
            if (elapsed >= boundNanos) {
                health.recordLatency(streaming, size.tokens(), elapsed);
            }
        }
    }

    /**
     * The provider reported how many prompt tokens it counted: the candidate's calibration learns from it, so later
     * estimates speak its tokens.
     */
    void reportedPromptTokens(long reported) {
        health.calibration().observe(size.estimated(), reported);
    }

    /**
     * The stream broke after this attempt had won: its success is already recorded, but a provider that cuts
     * streams is failing all the same, so the breaker hears of it.
     */
    void brokeAfterWinning(Failure failure) {
        if (failure.kind() != FailureKind.CANCELLED && failure.kind() != FailureKind.SHUTDOWN) {
            health.breaker().onFailure(permit, failure.kind());
        }
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
