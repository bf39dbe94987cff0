package io.hedgerow.exec;

import io.hedgerow.model.Failure;

import java.util.List;
import java.util.Objects;
import java.util.stream.Collectors;

/**
 * No candidate could serve the request. {@link #decisive()} is the failure that decides what the client is
 * told (the one that stopped the chain, or the most meaningful of all).
 */
public class ChainFailedException extends Exception {
    private final transient List<AttemptRecord> attempts;
    private final transient Failure decisive;

    public ChainFailedException(String alias, List<AttemptRecord> attempts, Failure decisive) {
        super(message(alias, attempts, decisive));
        this.attempts = List.copyOf(attempts);
        this.decisive = Objects.requireNonNull(decisive, "decisive");
    }

    public List<AttemptRecord> attempts() {
        return attempts;
    }

    public Failure decisive() {
        return decisive;
    }

    private static String message(String alias, List<AttemptRecord> attempts, Failure decisive) {
        if (attempts.isEmpty()) {
            return "no candidate of '" + alias + "' could be tried: " + decisive.message();
        }
        return "every candidate of '" + alias + "' failed: " + attempts.stream()
                .map(a -> a.candidate().label() + " (" + a.failure().map(f -> a.outcome()
                        + (a.called() ? ": " + f.message() : "")).orElse("ok") + ")")
                .collect(Collectors.joining("; "));
    }
}
