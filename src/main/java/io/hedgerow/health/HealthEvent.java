package io.hedgerow.health;

import io.hedgerow.model.FailureKind;

import java.time.Duration;
import java.util.Objects;

/**
 * Something that changed in the router's view of upstream health. Events name providers, models and keys by
 * their labels, never by a key's value, so they can go to logs and status pages as they are.
 */
public sealed interface HealthEvent {

    /**
     * A circuit breaker changed state.
     *
     * @param name   the breaker's name, e.g. {@code openai/gpt-4o}
     * @param from   the state it left
     * @param to     the state it entered
     * @param reason why, for people, e.g. {@code failure ratio 0.60 >= 0.50 over 5 calls}
     */
    record BreakerTransition(String name, BreakerState.Kind from, BreakerState.Kind to, String reason)
            implements HealthEvent {
        public BreakerTransition {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(from, "from");
            Objects.requireNonNull(to, "to");
            Objects.requireNonNull(reason, "reason");
        }
    }

    /**
     * An API key started cooling down: it is not used until {@code duration} has passed.
     *
     * @param keyLabel            the key's label (never its value)
     * @param cause               {@link FailureKind#RATE_LIMITED} or {@link FailureKind#AUTH}
     * @param duration            how long it cools
     * @param consecutiveFailures failures of this kind in a row on this key, this one included
     */
    record CooldownStarted(String keyLabel, FailureKind cause, Duration duration, int consecutiveFailures)
            implements HealthEvent {
        public CooldownStarted {
            Objects.requireNonNull(keyLabel, "keyLabel");
            Objects.requireNonNull(cause, "cause");
            Objects.requireNonNull(duration, "duration");
        }
    }

    /** An API key's cooldown is over: it is used again. Reported lazily, by the first query after the end. */
    record CooldownEnded(String keyLabel) implements HealthEvent {
        public CooldownEnded {
            Objects.requireNonNull(keyLabel, "keyLabel");
        }
    }

    /** A candidate was moved behind the others of its routes: slow against its own past, on one measure. */
    record Demoted(String name, Measure measure, String reason) implements HealthEvent {
        public Demoted {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(measure, "measure");
            Objects.requireNonNull(reason, "reason");
        }
    }

    /** A demoted candidate is back in its configured place for this measure. */
    record Recovered(String name, Measure measure) implements HealthEvent {
        public Recovered {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(measure, "measure");
        }
    }

    /**
     * A candidate became clearly slower, on one measure, than {@code by}, the candidate after it in a route: it goes
     * behind it there.
     */
    record Outpaced(String name, String by, Measure measure, String reason) implements HealthEvent {
        public Outpaced {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(by, "by");
            Objects.requireNonNull(measure, "measure");
            Objects.requireNonNull(reason, "reason");
        }
    }

    /** An outpaced candidate is no longer clearly slower than {@code by}: it takes its place back. */
    record Regained(String name, String by, Measure measure) implements HealthEvent {
        public Regained {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(by, "by");
            Objects.requireNonNull(measure, "measure");
        }
    }
}
