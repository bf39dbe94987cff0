package io.hedgerow.exec;

import java.util.Optional;
import java.util.OptionalLong;

/**
 * The one hedge a race may have pending: armed when an attempt starts, for that attempt, at the time its candidate's
 * hedge delay runs out. It belongs to the attempt it was armed for: when that attempt ends first, the timer is
 * dropped, so a hedge never starts for an attempt that is no longer running. Confined to the race's thread.
 */
final class HedgeTimer {
    private Attempt armedFor;
    private long dueNanos;

    /** Arms the timer for {@code attempt}, due at ticker time {@code dueNanos}; replaces any earlier one. */
    void arm(Attempt attempt, long dueNanos) {
        this.armedFor = attempt;
        this.dueNanos = dueNanos;
    }

    void disarm() {
        armedFor = null;
    }

    /** When it is due; empty when not armed. */
    OptionalLong due() {
        return armedFor == null ? OptionalLong.empty() : OptionalLong.of(dueNanos);
    }

    /** The attempt it was armed for, if it is due at {@code now}; the timer is then spent. */
    Optional<Attempt> fire(long now) {
        if (armedFor == null || now - dueNanos < 0) {
            return Optional.empty();
        }
        Attempt attempt = armedFor;
        armedFor = null;
        return Optional.of(attempt);
    }

    /** {@code attempt} ended: a timer armed for it is dropped. */
    void ended(Attempt attempt) {
        if (armedFor == attempt) {
            armedFor = null;
        }
    }
}
