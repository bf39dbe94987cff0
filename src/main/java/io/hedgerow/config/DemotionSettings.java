package io.hedgerow.config;

import java.time.Duration;
import java.util.Objects;

/**
 * When a candidate is demoted for being slow, before it fails.
 *
 * @param factor        demote when the recent median exceeds {@code factor} times the long-run median
 * @param slowShare     ... or when more than this share of recent samples exceed {@code factor} times it
 * @param recoverFactor recover when the recent median is back under {@code recoverFactor} times the long-run
 *                      median it had when demoted, and the slow share under half its threshold (hysteresis)
 * @param probeShare    share of requests that also send a probe to a demoted candidate, so it is measured and
 *                      can come back; probes are paid from the hedge budget
 * @param floor         latency at or under which nothing is slow, whatever the ratios say: relative noise in tiny
 *                      latencies (a sub-millisecond upstream, JIT warm-up) never demotes
 * @param compareFactor a candidate whose recent median exceeds this many times the next candidate's (beyond their
 *                      usual relation) goes behind it; 0 turns the comparison off
 */
public record DemotionSettings(double factor, double slowShare, double recoverFactor, double probeShare,
                               Duration floor, double compareFactor) {
    /** The floor and compare factor by default: 250 ms, 2. */
    public static final Duration DEFAULT_FLOOR = Duration.ofMillis(250);
    public static final double DEFAULT_COMPARE_FACTOR = 2.0;
    public static final DemotionSettings DEFAULTS = new DemotionSettings(3.0, 0.25, 1.5, 0.02);

    public DemotionSettings {
        Objects.requireNonNull(floor, "floor");
    }

    /** With the default floor and compare factor. */
    public DemotionSettings(double factor, double slowShare, double recoverFactor, double probeShare) {
        this(factor, slowShare, recoverFactor, probeShare, DEFAULT_FLOOR, DEFAULT_COMPARE_FACTOR);
    }
}
