package io.hedgerow.exec;

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

    /** Why earlier candidates did not serve, e.g. {@code anthropic/claude-opus-4-5: 429 rate limited}. */
    public Optional<String> fallbackReason() {
        String reasons = attempts.stream()
                .filter(a -> a.failure().isPresent())
                .map(a -> a.candidate().label() + ": " + a.outcome())
                .collect(Collectors.joining(", "));
        return reasons.isEmpty() ? Optional.empty() : Optional.of(reasons);
    }

    /** The {@code x-hedgerow-attempts} header value. */
    public String attemptsSummary() {
        return attempts.stream().map(AttemptRecord::summary).collect(Collectors.joining(", "));
    }
}
