package io.hedgerow.health;

import io.hedgerow.model.FailureKind;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * One key's health, for status pages. Names the key by label only, never by value.
 *
 * @param label               the key's label (when several labels share one key value: the one last reported)
 * @param coolingFor          time left in its cooldown; {@link Duration#ZERO} when available
 * @param cause               what caused the current or most recent cooldown, if any
 * @param consecutiveFailures cooling failures of that kind in a row, reset by a success
 */
public record KeyStatus(String label, Duration coolingFor, Optional<FailureKind> cause, int consecutiveFailures) {
    public KeyStatus {
        Objects.requireNonNull(label, "label");
        Objects.requireNonNull(coolingFor, "coolingFor");
        Objects.requireNonNull(cause, "cause");
    }

    /** Whether the key is resting now. */
    public boolean cooling() {
        return coolingFor.isPositive();
    }
}
