package io.hedgerow.exec;

import io.hedgerow.model.Failure;
import io.hedgerow.model.FailureKind;
import io.hedgerow.route.Candidate;

import java.util.Objects;
import java.util.Optional;

/**
 * What one attempt did, for the {@code x-hedgerow-attempts} header, error bodies and events.
 *
 * @param candidate the candidate tried
 * @param keyLabel  the label of the key used, empty when the provider takes none
 * @param role      why it was started
 * @param failure   why it failed (or was skipped); empty when it served the answer
 */
public record AttemptRecord(Candidate candidate, Optional<String> keyLabel, AttemptRole role,
                            Optional<Failure> failure) {
    public AttemptRecord {
        Objects.requireNonNull(candidate, "candidate");
        Objects.requireNonNull(keyLabel, "keyLabel");
        Objects.requireNonNull(role, "role");
        Objects.requireNonNull(failure, "failure");
    }

    /** A candidate passed over without a call: breaker open, keys cooling down, prompt too large. */
    static AttemptRecord skipped(Candidate candidate, String why) {
        return new AttemptRecord(candidate, Optional.empty(), AttemptRole.FALLBACK,
                                 Optional.of(Failure.of(FailureKind.UNAVAILABLE, why)));
    }

    /** Whether a call was made (skipped candidates have a record but no call). */
    public boolean called() {
        return failure.map(f -> f.kind() != FailureKind.UNAVAILABLE).orElse(true);
    }

    /**
     * e.g. {@code anthropic/claude-opus-4-5#main:429 rate limited}, {@code openai/gpt-4.1:ok (hedge)},
     * {@code openai/gpt-4.1:skipped (breaker open)}.
     */
    public String summary() {
        String tag = role == AttemptRole.HEDGE || role == AttemptRole.PROBE ? " (" + role.wireName() + ")" : "";
        return candidate.label() + keyLabel.map(k -> "#" + k).orElse("") + ":" + outcome() + tag;
    }

    /** {@code ok}, {@code 429 rate limited}, {@code skipped (breaker open)}. */
    public String outcome() {
        return failure.map(f -> f.kind() == FailureKind.UNAVAILABLE ? "skipped (" + f.message() + ")" : f.summary())
                .orElse("ok");
    }
}
