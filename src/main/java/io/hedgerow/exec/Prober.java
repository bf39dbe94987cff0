package io.hedgerow.exec;

import io.hedgerow.config.ApiKey;
import io.hedgerow.health.HealthRegistry;
import io.hedgerow.route.RoutePolicy;

import java.util.Optional;
import java.util.random.RandomGenerator;

/**
 * Whether a request also probes a candidate moved back for slowness, to keep measuring it: the first such candidate is
 * probed beside the request when its baseline for this measure is starved (fewer than {@value #PROBE_FLOOR} recent
 * samples: it could not be judged again, and would stay behind long after it recovered) or, beyond that, with
 * probability {@code probe-share}. Paid by the hedge budget (refunded when nothing started); never when the first
 * candidate is itself moved back (everyone is) or the route allows a single attempt in flight.
 *
 * <p>Confined to the race's thread, like the race.
 */
final class Prober {
    /** Recent samples below which a candidate moved back for slowness is probed on every request. */
    static final int PROBE_FLOOR = 10;

    /** Starts one attempt; false when it could not be started. */
    @FunctionalInterface
    interface Launch {
        boolean launch(Slot slot, Optional<ApiKey> key);
    }

    private final Lineup lineup;
    private final Picker picker;
    private final Admission admission;
    private final HealthRegistry health;
    private final HedgeCosts costs;
    private final RoutePolicy policy;
    private final RandomGenerator random;
    private final boolean streaming;

    Prober(Lineup lineup, Picker picker, Admission admission, HealthRegistry health, HedgeCosts costs,
           RoutePolicy policy, RandomGenerator random, boolean streaming) {
        this.lineup = lineup;
        this.picker = picker;
        this.admission = admission;
        this.health = health;
        this.costs = costs;
        this.policy = policy;
        this.random = random;
        this.streaming = streaming;
    }

    /** Starts a probe through {@code launch} when one is due. */
    void maybeProbe(Launch launch) {
        if (lineup.isEmpty() || lineup.movedBack(lineup.first()) || policy.hedge().maxInFlight() < 2) {
            return;
        }
        for (Slot slot : lineup.slots()) {
            if (lineup.movedBack(slot) && slot.open()) {
                boolean starved = slot.health.baseline(streaming).windowCount() < PROBE_FLOOR;
                double share = health.hedging().demotion().probeShare();
                if ((starved || random.nextDouble() < share) && picker.admissible(slot)) {
                    Admission.KeyChoice key = admission.key(slot);
                    double cost = costs.of(slot.candidate);
                    if (key.refused().isEmpty() && health.budget().tryWithdraw(cost)
                            && !launch.launch(slot, key.key())) {
                        health.budget().refund(cost);
                    }
                }
                return;
            }
        }
    }
}
