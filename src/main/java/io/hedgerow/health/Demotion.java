package io.hedgerow.health;

import io.hedgerow.config.Checks;
import io.hedgerow.config.DemotionSettings;

import java.time.Duration;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.function.Supplier;

/**
 * Whether a candidate is demoted for being slow against its own past, on one {@link Measure}: routes put a demoted
 * candidate behind healthy ones before it fails outright. Each measure has its own verdict, fed only by its own
 * baseline, so streamed and whole requests alternating never flip it.
 *
 * <h2>Algorithm</h2>
 * Evaluated after each sample, with {@code m} the long-run median, {@code r} the recent (windowed) median and the
 * slow threshold {@code T = max(factor * m, floor)}:
 * <ul>
 *     <li>Demote when the window holds {@code min-samples} and {@code r > T}, or more than {@code slow-share} of the
 *     recent samples are above {@code T}. The long-run median at that moment is kept as the reference {@code m0}.</li>
 *     <li>Recover when the window holds at least 5 samples (a demoted candidate sees only probe traffic),
 *     {@code r < max(recover-factor * m0, floor)} and the share above {@code max(factor * m0, floor)} is under half
 *     its threshold. Recovery is judged against {@code m0}, not the drifting long run: while a candidate is slow its
 *     own slow samples pull its long-run median up, and judged against that it would be declared "recovered"
 *     while still slow.</li>
 * </ul>
 * The absolute {@code floor} keeps relative noise in tiny latencies (a sub-millisecond upstream, JIT warm-up) from
 * demoting anyone: nothing at or under it is slow. The gap between {@code factor} and {@code recover-factor} keeps
 * it from flapping.
 *
 * <p>Thread-safety: the state is volatile, changed under this object's lock; events are delivered after the
 * change, outside the lock.
 */
public final class Demotion {
    static final int MIN_RECOVERY_SAMPLES = 5;

    private final String name;
    private final Measure measure;
    private final DemotionSettings settings;
    private final HealthListener listener;
    private volatile boolean demoted;
    private volatile String reason = "";
    /** The long-run median when it was demoted: what "recovered" is judged against. */
    private long referenceNanos;
    /** What the baseline's latencies stand for, for the reason: empty, or e.g. " (scaled to a 1k-token prompt)". */
    private final Supplier<String> scale;

    Demotion(String name, Measure measure, DemotionSettings settings, HealthListener listener) {
        this(name, measure, settings, listener, () -> "");
    }

    Demotion(String name, Measure measure, DemotionSettings settings, HealthListener listener,
             Supplier<String> scale) {
        this.name = name;
        this.measure = measure;
        this.settings = settings;
        this.listener = listener;
        this.scale = scale;
    }

    public DemotionSettings settings() {
        return settings;
    }

    public Measure measure() {
        return measure;
    }

    public boolean demoted() {
        return demoted;
    }

    /** Why it is demoted; empty when it is not. */
    public String reason() {
        return demoted ? reason : "";
    }

    /**
     * Takes a verdict another replica reached (demoted, with its reason, or recovered). Emits
     * {@link HealthEvent.Demoted} or {@link HealthEvent.Recovered} when it changes this candidate's standing. Later
     * samples here re-judge it as usual; an adopted demotion is judged for recovery against {@code referenceNanos}
     * (this replica's long-run median, or 0 when it has none: then only the floor lets it recover).
     */
    public void adopt(boolean verdict, String why, long referenceNanos) {
        Objects.requireNonNull(why, "why");
        HealthEvent event = null;
        synchronized (this) {
            if (verdict != demoted) {
                demoted = verdict;
                reason = verdict ? why : "";
                this.referenceNanos = referenceNanos;
                event = verdict ? new HealthEvent.Demoted(name, measure, why) : new HealthEvent.Recovered(name, measure);
            }
        }
        if (event != null) {
            EventDelivery.deliver(listener, event);
        }
    }

    /** Takes over {@code before}'s verdict (the same samples under new thresholds, after a reload). */
    synchronized void carry(Demotion before) {
        synchronized (before) {
            demoted = before.demoted;
            reason = before.reason;
            referenceNanos = before.referenceNanos;
        }
    }

    /** Re-evaluates against its measure's baseline, which just took a sample. */
    void update(LatencyBaseline baseline) {
        long floor = settings.floor().toNanos();
        HealthEvent event = null;
        synchronized (this) {
            if (!demoted) {
                OptionalLong longRun = baseline.longRunMedianNanos();
                if (longRun.isEmpty() || !baseline.longRunReady() || !baseline.ready()) {
                    return;
                }
                long m = longRun.getAsLong();
                long threshold = threshold(m, floor);
                long r = baseline.percentileNanos(50).orElse(0);
                double slow = baseline.slowShare(threshold);
                if (r > threshold || slow > settings.slowShare()) {
                    demoted = true;
                    referenceNanos = m;
                    reason = measure.description() + ": " + (r > threshold
                            ? "recent median " + human(r) + " > " + limit(m, floor)
                            : Math.round(slow * 100) + "% of recent answers slower than " + limit(m, floor))
                            + scale.get();
                    event = new HealthEvent.Demoted(name, measure, reason);
                }
            } else if (baseline.windowCount() >= MIN_RECOVERY_SAMPLES) {
                long r = baseline.percentileNanos(50).orElse(Long.MAX_VALUE);
                double slow = baseline.slowShare(threshold(referenceNanos, floor));
                long recoverBelow = Math.max((long) (settings.recoverFactor() * referenceNanos), floor);
                if (r < recoverBelow && slow < settings.slowShare() / 2) {
                    demoted = false;
                    event = new HealthEvent.Recovered(name, measure);
                }
            }
        }
        if (event != null) {
            EventDelivery.deliver(listener, event);
        }
    }

    private long threshold(long m, long floor) {
        return Math.max((long) (settings.factor() * m), floor);
    }

    private String limit(long m, long floor) {
        long t = (long) (settings.factor() * m);
        return t >= floor ? settings.factor() + "x long-run " + human(m) : "the floor " + human(floor);
    }

    private static String human(long nanos) {
        return Checks.human(Duration.ofNanos(nanos));
    }
}
