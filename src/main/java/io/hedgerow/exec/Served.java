package io.hedgerow.exec;

import io.hedgerow.model.FailureKind;
import io.hedgerow.route.Candidate;

import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * A request that found its answer: the answer (a whole response or a live stream), who served it, and every
 * attempt made on the way, in launch order.
 */
public record Served<T>(T value, Candidate servedBy, List<AttemptRecord> attempts) {
    public Served {
        Objects.requireNonNull(value, "value");
        Objects.requireNonNull(servedBy, "servedBy");
        attempts = List.copyOf(attempts);
    }

    /**
     * Why earlier candidates did not serve, e.g. {@code anthropic/claude-opus-4-5: 429 rate limited}; when a hedge
     * won, e.g. {@code anthropic/claude-opus-4-5: slower than the hedge}. Empty when the first choice served.
     */
    public Optional<String> fallbackReason() {
        String reasons = attempts.stream()
                .filter(a -> a.failure().isPresent() && a.failure().get().kind() != FailureKind.CANCELLED)
                .map(a -> a.candidate().label() + ": " + a.outcome())
                .collect(Collectors.joining(", "));
        if (!reasons.isEmpty()) {
            return Optional.of(reasons);
        }
        if (winner().role() == AttemptRole.HEDGE || winner().role() == AttemptRole.PROBE) {
            return attempts.stream().filter(AttemptRecord::called).findFirst()
                    .filter(first -> first.failure().isPresent())
                    .map(first -> first.candidate().label() + ": slower than the " + winner().role().wireName());
        }
        return Optional.empty();
    }

    /** Whether a hedge (or a probe) ran beside the first attempt. */
    public boolean hedged() {
        return attempts.stream().anyMatch(a -> a.role() == AttemptRole.HEDGE || a.role() == AttemptRole.PROBE);
    }

    /**
     * The {@code x-hedgerow-winner} header: the winner's place among the candidates tried or skipped, in the order it
     * happened, and why it was started, e.g. {@code 1 primary}, {@code 2 hedge}, {@code 2 retry}. A first call made
     * after earlier candidates were skipped (breaker open, keys cooling) was started as a fallback, and says so: rung 2
     * answering for a skipped rung 1 is {@code 2 fallback}, not {@code 1 primary}.
     */
    public String winnerSummary() {
        AttemptRecord winner = winner();
        int place = 0;
        for (AttemptRecord attempt : attempts) {
            place++;
            if (attempt.failure().isEmpty()) {
                break;
            }
        }
        return place + " " + winner.role().wireName();
    }

    /** Whether the answer came from another candidate than the first one considered (a failover, not a retry). */
    public boolean failedOver() {
        return !attempts.isEmpty() && !attempts.getFirst().candidate().equals(winner().candidate());
    }

    /** The winning attempt's record. */
    public AttemptRecord winner() {
        return attempts.stream().filter(a -> a.failure().isEmpty()).findFirst().orElseThrow();
    }

    /** The {@code x-hedgerow-attempts} header value. */
    public String attemptsSummary() {
        return attempts.stream().map(AttemptRecord::summary).collect(Collectors.joining(", "));
    }
}
