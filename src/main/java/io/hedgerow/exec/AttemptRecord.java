package io.hedgerow.exec;

import io.hedgerow.model.Failure;
import io.hedgerow.route.Candidate;

import java.util.Objects;
import java.util.Optional;

/**
 * What one attempt did, for the {@code x-hedgerow-attempts} header, error bodies and events.
 *
 * @param candidate the candidate tried
 * @param keyLabel  the label of the key used, empty when the provider takes none
 * @param failure   why it failed; empty when it served the answer
 */
public record AttemptRecord(Candidate candidate, Optional<String> keyLabel, Optional<Failure> failure) {
    public AttemptRecord {
        Objects.requireNonNull(candidate, "candidate");
        Objects.requireNonNull(keyLabel, "keyLabel");
        Objects.requireNonNull(failure, "failure");
    }

    /** e.g. {@code anthropic/claude-opus-4-5#main:429 rate limited} or {@code openai/gpt-4.1:ok}. */
    public String summary() {
        return candidate.label() + keyLabel.map(k -> "#" + k).orElse("") + ":"
                + failure.map(Failure::summary).orElse("ok");
    }
}
