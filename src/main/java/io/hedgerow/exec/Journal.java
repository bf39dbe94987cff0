package io.hedgerow.exec;

import io.hedgerow.model.Failure;
import io.hedgerow.model.FailureKind;
import io.hedgerow.route.Candidate;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * What one race did, in the order it happened: each attempt started and each candidate skipped, with how each
 * attempt ended. It answers the request's questions afterwards (the attempts header, the failure that speaks for
 * a failed chain) and tells observers each entry as it is made ({@link ExecutionEvent}s; a listener's exception is
 * logged, never thrown). Confined to the race's thread.
 */
final class Journal {
    private static final System.Logger LOG = System.getLogger(Journal.class.getName());

    /** One line of the journal. */
    private sealed interface Entry {
    }

    private record Tried(Attempt attempt) implements Entry {
    }

    private record Skipped(AttemptRecord record) implements Entry {
    }

    private final String route;
    private final ExecutionListener listener;
    private final List<Entry> entries = new ArrayList<>(4);
    private final Map<Attempt, Failure> failures = new HashMap<>(4);
    /** Failures of attempts that were not probes, in the order they were reported: candidates for the decisive one. */
    private final List<Failure> failureOrder = new ArrayList<>(4);

    Journal(String route, ExecutionListener listener) {
        this.route = route;
        this.listener = listener;
    }

    void started(Attempt attempt) {
        entries.add(new Tried(attempt));
        emit(new ExecutionEvent.AttemptStarted(route, attempt.number(), attempt.record(Optional.empty())));
    }

    void skipped(Candidate candidate, Admission.Refused refused) {
        AttemptRecord record = AttemptRecord.skipped(candidate, refused.detail());
        entries.add(new Skipped(record));
        emit(new ExecutionEvent.CandidateSkipped(route, record, refused.reason()));
    }

    /** The attempt reported a failure while the race was on. */
    void failed(Attempt attempt, Failure failure) {
        failures.put(attempt, failure);
        if (attempt.role() != AttemptRole.PROBE) {
            failureOrder.add(failure);
        }
        emit(new ExecutionEvent.AttemptEnded(route, attempt.number(), attempt.record(Optional.of(failure)),
                                             attempt.elapsedNanos()));
    }

    /** The attempt's failure arrived after the race was decided: kept for the header, not announced. */
    void failedLate(Attempt attempt, Failure failure) {
        failures.put(attempt, failure);
    }

    /** The race ended without this attempt, which was stopped for {@code reason}. */
    void cancelled(Attempt attempt, Failure reason) {
        emit(new ExecutionEvent.AttemptEnded(route, attempt.number(), attempt.record(Optional.of(reason)),
                                             attempt.elapsedNanos()));
    }

    /** The attempt won. */
    void won(Attempt attempt) {
        emit(new ExecutionEvent.AttemptEnded(route, attempt.number(), attempt.record(Optional.empty()),
                                             attempt.elapsedNanos()));
    }

    void hedgeRefused() {
        emit(new ExecutionEvent.HedgeRefused(route));
    }

    /** Every attempt started, in launch order. */
    List<Attempt> attempts() {
        List<Attempt> out = new ArrayList<>(entries.size());
        for (Entry entry : entries) {
            if (entry instanceof Tried tried) {
                out.add(tried.attempt());
            }
        }
        return out;
    }

    /**
     * Whether a candidate has been tried or skipped for this request already (probes aside): a first call made after
     * that is a fallback, not the primary.
     */
    boolean anyConsidered() {
        for (Entry entry : entries) {
            if (entry instanceof Skipped || entry instanceof Tried tried && tried.attempt().role() != AttemptRole.PROBE) {
                return true;
            }
        }
        return false;
    }

    /** Whether any attempt (not a probe) has failed so far. */
    boolean anyFailure() {
        return !failureOrder.isEmpty();
    }

    /** One record per candidate tried or skipped, in the order it happened; the winner's without failure. */
    List<AttemptRecord> records(Attempt winner) {
        List<AttemptRecord> records = new ArrayList<>(entries.size());
        for (Entry entry : entries) {
            switch (entry) {
            case Skipped skipped -> records.add(skipped.record());
            case Tried tried -> {
                Attempt attempt = tried.attempt();
                Failure failure = attempt == winner ? null : failures.get(attempt);
                if (attempt != winner && failure == null) {
                    failure = attempt.abortReason().orElse(Failure.of(FailureKind.CANCELLED, "still measuring"));
                }
                records.add(attempt.record(Optional.ofNullable(failure)));
            }
            }
        }
        return records;
    }

    /**
     * The failure that speaks for a failed chain: when attempts failed, their shared class if all agree (with the
     * shortest Retry-After), else the last; when none did (every candidate was skipped), {@code whenNoneFailed}.
     */
    Failure decisive(Supplier<Failure> whenNoneFailed) {
        if (failureOrder.isEmpty()) {
            return whenNoneFailed.get();
        }
        FailureKind first = failureOrder.getFirst().kind();
        if (failureOrder.stream().allMatch(f -> f.kind() == first)) {
            return failureOrder.stream()
                    .filter(f -> f.retryAfter().isPresent())
                    .min(Comparator.comparing((Failure f) -> f.retryAfter().orElse(Duration.ZERO)))
                    .orElse(failureOrder.getLast());
        }
        return failureOrder.getLast();
    }

    private void emit(ExecutionEvent event) {
        deliver(listener, event);
    }

    /** Delivers {@code event}, logging (never throwing) what the listener throws. */
    static void deliver(ExecutionListener listener, ExecutionEvent event) {
        try {
            listener.onEvent(event);
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "execution listener failed on " + event, e);
        }
    }
}
