package io.hedgerow.exec;

import io.hedgerow.route.RoutePolicy;

import java.util.Optional;

/**
 * Which candidate of the {@link Lineup} a race may try next. A candidate that cannot be tried now (its breaker open,
 * its keys all cooling down, its context window too small) is closed and recorded as skipped on the way, with
 * {@link Admission}'s typed reason. A hedge passes over candidates on a provider already in flight (unless the route
 * allows same-provider hedges) without closing them: they remain for fallback.
 *
 * <p>Confined to the race's thread, like the race.
 */
final class Picker {
    private final Lineup lineup;
    private final Admission admission;
    private final Journal journal;
    private final Running running;
    private final RoutePolicy policy;

    Picker(Lineup lineup, Admission admission, Journal journal, Running running, RoutePolicy policy) {
        this.lineup = lineup;
        this.admission = admission;
        this.journal = journal;
        this.running = running;
        this.policy = policy;
    }

    /** The first open candidate that may be tried, for a hedge or not. */
    Optional<Slot> next(boolean hedging) {
        for (Slot slot : lineup.slots()) {
            if (!slot.open()) {
                continue;
            }
            if (hedging && !policy.hedge().sameProvider() && running.onProvider(slot.candidate)) {
                continue;
            }
            if (admissible(slot)) {
                return Optional.of(slot);
            }
        }
        return Optional.empty();
    }

    /** Whether the candidate passes admission's checks; if not, it is skipped. */
    boolean admissible(Slot slot) {
        Optional<Admission.Refused> refused = admission.precheck(slot);
        refused.ifPresent(r -> skip(slot, r));
        return refused.isEmpty();
    }

    /** Closes the candidate for this request and records why. */
    void skip(Slot slot, Admission.Refused refused) {
        slot.closed = true;
        journal.skipped(slot.candidate, refused);
    }

    /**
     * What a hedge of an attempt on {@code from} would cost: the next open candidate it could go to. A guess made
     * without admission's checks (which record skips), good enough to size the delay.
     */
    double hedgeCost(Slot from, HedgeCosts costs) {
        for (Slot slot : lineup.slots()) {
            if (slot != from && slot.open() && (policy.hedge().sameProvider()
                    || !slot.candidate.provider().name().equals(from.candidate.provider().name()))) {
                return costs.of(slot.candidate);
            }
        }
        return 0;
    }
}
