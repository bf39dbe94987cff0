package io.hedgerow.exec;

import io.hedgerow.health.HealthRegistry;
import io.hedgerow.route.Candidate;
import io.hedgerow.route.RoutePlan;

import java.util.ArrayList;
import java.util.List;

/**
 * The order in which one request tries its route's candidates: the route's order, with demoted candidates moved
 * behind the others (keeping their relative order). Fixed when the request starts.
 */
final class Lineup {
    private final List<Slot> slots;

    Lineup(RoutePlan plan, HealthRegistry health, boolean streaming) {
        List<Slot> ahead = new ArrayList<>(plan.candidates().size());
        List<Slot> behind = new ArrayList<>(0);
        for (Candidate candidate : plan.candidates()) {
            Slot slot = new Slot(candidate, health.candidate(candidate.label()));
            (slot.health.demoted() ? behind : ahead).add(slot);
        }
        ahead.addAll(behind);
        this.slots = List.copyOf(ahead);
    }

    List<Slot> slots() {
        return slots;
    }

    Slot first() {
        return slots.getFirst();
    }

    boolean isEmpty() {
        return slots.isEmpty();
    }

    Slot slotOf(Attempt attempt) {
        for (Slot slot : slots) {
            if (slot.candidate == attempt.candidate()) {
                return slot;
            }
        }
        throw new IllegalStateException("attempt of unknown candidate " + attempt.candidate());
    }
}
