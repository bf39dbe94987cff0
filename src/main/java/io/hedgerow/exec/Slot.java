package io.hedgerow.exec;

import io.hedgerow.config.ApiKey;
import io.hedgerow.health.CandidateHealth;
import io.hedgerow.route.Candidate;

import java.util.HashSet;
import java.util.Set;

/** One candidate's state within one request. Confined to the race's thread. */
final class Slot {
    final Candidate candidate;
    final CandidateHealth health;
    /** Keys already used for this candidate in this request (a retry prefers another one). */
    final Set<ApiKey> triedKeys = new HashSet<>();
    /** An attempt was started on it (the next candidate is what a fallback or hedge takes). */
    boolean started;
    /** It can no longer be tried for this request: skipped, or refused the request. */
    boolean closed;
    /** Attempts made on it, retries included. */
    int attempts;

    Slot(Candidate candidate, CandidateHealth health) {
        this.candidate = candidate;
        this.health = health;
    }

    /** Neither started nor closed: a fallback or a hedge may take it. */
    boolean open() {
        return !started && !closed;
    }

    @Override
    public String toString() {
        return candidate.label();
    }
}
