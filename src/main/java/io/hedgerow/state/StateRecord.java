package io.hedgerow.state;

import io.hedgerow.health.BreakerState;
import io.hedgerow.model.FailureKind;

import io.hedgerow.health.Measure;

import java.util.Objects;

/**
 * One fact about upstream health as it is saved and shared: the newest state of one key, one breaker or one
 * candidate's demotion (and, in this replica's file only, a long-run latency baseline). Times are wall-clock epoch milliseconds, absolute ("cooling until 12:00:30"), never "30 s
 * left", so a record means the same to every replica and after a restart.
 *
 * <p>Of two records with one {@link #id()}, the one with the later {@link #atMillis()} wins (ties: the greater
 * origin), wherever they meet: in Redis (a compare-and-set script), in a replica, in the snapshot file.
 */
public sealed interface StateRecord {

    /** What it is about, e.g. {@code key:3a7f...}, {@code breaker:openai/gpt-4o}; unique per thing. */
    String id();

    /** When the change was made (epoch ms). */
    long atMillis();

    /** When it may be forgotten (epoch ms): it says nothing any more after that. */
    long expiresAtMillis();

    /** The replica that made the change. */
    String origin();

    /** Whether this record is newer than {@code other} (same id). */
    default boolean newerThan(StateRecord other) {
        return atMillis() != other.atMillis() ? atMillis() > other.atMillis()
                : origin().compareTo(other.origin()) > 0;
    }

    /**
     * An API key's cooldown state, named by the SHA-256 of the key's value (never the value).
     *
     * @param fingerprint SHA-256 of the key's value, hex
     * @param label       the key's label, for people
     * @param cause       what cooled it last: {@link FailureKind#RATE_LIMITED} or {@link FailureKind#AUTH}
     * @param consecutive failures of that kind in a row: the ladder's rung
     * @param cooling     whether it cools (until {@code untilMillis})
     * @param untilMillis when the cooldown ends
     * @param credential  whether it was a credential refusal (401/403), which a live check may end early
     * @param sinceMillis when that failure was reported
     */
    record Key(String fingerprint, String label, FailureKind cause, int consecutive, boolean cooling,
               long untilMillis, boolean credential, long sinceMillis, long atMillis, long expiresAtMillis,
               String origin) implements StateRecord {
        public Key {
            Objects.requireNonNull(fingerprint, "fingerprint");
            Objects.requireNonNull(label, "label");
            Objects.requireNonNull(cause, "cause");
            Objects.requireNonNull(origin, "origin");
        }

        @Override
        public String id() {
            return "key:" + fingerprint;
        }
    }

    /**
     * A candidate's breaker: open until a time (after {@code reopenCount} failed probes), or closed again.
     *
     * @param candidate   {@code provider/model}
     * @param kind        {@link BreakerState.Kind#OPEN} or {@link BreakerState.Kind#CLOSED}
     * @param untilMillis open: when a probe may go
     * @param reason      why, for people
     */
    record Breaker(String candidate, BreakerState.Kind kind, long untilMillis, int reopenCount, String reason,
                   long atMillis, long expiresAtMillis, String origin) implements StateRecord {
        public Breaker {
            Objects.requireNonNull(candidate, "candidate");
            Objects.requireNonNull(kind, "kind");
            Objects.requireNonNull(reason, "reason");
            Objects.requireNonNull(origin, "origin");
        }

        @Override
        public String id() {
            return "breaker:" + candidate;
        }
    }

    /**
     * A candidate's demotion verdict on one measure: demoted for slowness against its own past (and why), or
     * recovered.
     *
     * @param candidate {@code provider/model}
     * @param measure   {@code first_token} or {@code whole_answer}
     */
    record Demotion(String candidate, Measure measure, boolean demoted, String reason, long atMillis,
                    long expiresAtMillis, String origin) implements StateRecord {
        public Demotion {
            Objects.requireNonNull(candidate, "candidate");
            Objects.requireNonNull(measure, "measure");
            Objects.requireNonNull(reason, "reason");
            Objects.requireNonNull(origin, "origin");
        }

        @Override
        public String id() {
            return "demotion:" + candidate + "#" + measure.wireName();
        }
    }

    /**
     * A candidate's long-run latency baseline on one measure, as it stood when saved: saved to this replica's state
     * file only (never shared: each replica measures its own path to the provider), restored at start with its
     * weights decayed by the time since ({@link io.hedgerow.health.LatencyBaseline#restoreLongRun}).
     *
     * @param weights each bucket's weight (a sample of age {@code a} weighing {@code 2^(-a / halfLife)})
     */
    record Baseline(String candidate, Measure measure, double[] weights, long atMillis, long expiresAtMillis,
                    String origin) implements StateRecord {
        public Baseline {
            Objects.requireNonNull(candidate, "candidate");
            Objects.requireNonNull(measure, "measure");
            weights = weights.clone();
            Objects.requireNonNull(origin, "origin");
        }

        @Override
        public double[] weights() {
            return weights.clone();
        }

        @Override
        public String id() {
            return "baseline:" + candidate + "#" + measure.wireName();
        }
    }
}
