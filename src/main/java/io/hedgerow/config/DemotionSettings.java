package io.hedgerow.config;

/**
 * When a candidate is demoted for being slow, before it fails.
 *
 * @param factor        demote when the recent median exceeds {@code factor} times the long-run median
 * @param slowShare     ... or when more than this share of recent samples exceed {@code factor} times it
 * @param recoverFactor recover when the recent median is back under {@code recoverFactor} times the long-run
 *                      median and the slow share under half its threshold (hysteresis: no flapping)
 * @param probeShare    share of requests that also send a probe to a demoted candidate, so it is measured and
 *                      can come back; probes are paid from the hedge budget
 */
public record DemotionSettings(double factor, double slowShare, double recoverFactor, double probeShare) {
    public static final DemotionSettings DEFAULTS = new DemotionSettings(3.0, 0.25, 1.5, 0.02);
}
