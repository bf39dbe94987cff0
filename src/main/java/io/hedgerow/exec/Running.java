package io.hedgerow.exec;

import io.hedgerow.config.HedgeSettings;
import io.hedgerow.route.Candidate;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * A race's attempts in flight and its cap on them: at most {@code max-in-flight} at once (1 when the route does not
 * hedge), probes not counted (they measure a demoted candidate beside the request, paid by the hedge budget).
 * Confined to the race's thread.
 */
final class Running implements Iterable<Attempt> {
    private final List<Attempt> attempts = new ArrayList<>(2);
    private final int cap;

    Running(HedgeSettings hedge) {
        this.cap = hedge.enabled() ? Math.max(1, hedge.maxInFlight()) : 1;
    }

    void add(Attempt attempt) {
        attempts.add(attempt);
    }

    void remove(Attempt attempt) {
        attempts.remove(attempt);
    }

    boolean contains(Attempt attempt) {
        return attempts.contains(attempt);
    }

    boolean isEmpty() {
        return attempts.isEmpty();
    }

    /** Whether another attempt (not a probe) may start now. */
    boolean room() {
        int n = 0;
        for (Attempt attempt : attempts) {
            if (attempt.role() != AttemptRole.PROBE) {
                n++;
            }
        }
        return n < cap;
    }

    /** Whether an attempt on {@code candidate}'s provider is in flight. */
    boolean onProvider(Candidate candidate) {
        for (Attempt attempt : attempts) {
            if (attempt.candidate().provider().name().equals(candidate.provider().name())) {
                return true;
            }
        }
        return false;
    }

    @Override
    public Iterator<Attempt> iterator() {
        return attempts.iterator();
    }
}
