package io.hedgerow.exec;

import io.hedgerow.health.HealthRegistry;
import io.hedgerow.route.Candidate;
import io.hedgerow.route.RoutePlan;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The order in which one request tries its route's candidates, on the measure the request is judged by (time to
 * first token for a stream, to the whole answer otherwise). Fixed when the request starts:
 * <ol>
 *     <li>the route's order, with candidates demoted against their own past moved behind the others (keeping their
 *     relative order);</li>
 *     <li>then one pass from the front: a candidate that has become clearly slower than the one after it
 *     ({@link io.hedgerow.health.CandidateHealth#outpacedBy}) changes places with it, and is compared with the next
 *     one in turn.</li>
 * </ol>
 */
final class Lineup {
    private final List<Slot> slots;
    /** Candidates this request goes around for slowness: the ones a probe may measure. */
    private final Set<Slot> movedBack = new HashSet<>(2);

    Lineup(RoutePlan plan, HealthRegistry health, boolean streaming) {
        List<Slot> ahead = new ArrayList<>(plan.candidates().size());
        List<Slot> behind = new ArrayList<>(0);
        for (Candidate candidate : plan.candidates()) {
            Slot slot = new Slot(candidate, health.candidate(candidate.label()));
            (slot.health.demoted(streaming) ? behind : ahead).add(slot);
        }
        movedBack.addAll(behind);
        for (int i = 0; i + 1 < ahead.size(); i++) {
            if (ahead.get(i).health.outpacedBy(ahead.get(i + 1).health, streaming)) {
                movedBack.add(ahead.get(i));
                Collections.swap(ahead, i, i + 1);
            }
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

    /** Whether the request goes around {@code slot} for slowness (a probe may measure it). */
    boolean movedBack(Slot slot) {
        return movedBack.contains(slot);
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
