package io.hedgerow.health;

import io.hedgerow.config.Checks;
import io.hedgerow.config.DemotionSettings;

import java.time.Duration;
import java.util.OptionalLong;

/**
 * Whether a candidate is demoted for being slow: routes put a demoted candidate behind healthy ones before it
 * fails outright.
 *
 * <p>Algorithm, evaluated after each sample: with {@code m} the long-run median and {@code r} the recent
 * (windowed) median, demote when the window is ready and {@code r > factor * m} or the share of recent samples
 * above {@code factor * m} exceeds {@code slow-share}. Recover when {@code r < recover-factor * m} and that share
 * is under half its threshold, judged on as few as 5 recent samples (a demoted candidate sees only probe
 * traffic). The gap between {@code factor} and {@code recover-factor} keeps it from flapping.
 *
 * <p>Thread-safety: the state is a volatile flag changed under this object's lock; events are delivered after
 * the change, outside the baseline's lock.
 */
public final class Demotion {
    private static final int MIN_RECOVERY_SAMPLES = 5;

    private final String name;
    private final DemotionSettings settings;
    private final HealthListener listener;
    private volatile boolean demoted;
    private volatile String reason = "";

    Demotion(String name, DemotionSettings settings, HealthListener listener) {
        this.name = name;
        this.settings = settings;
        this.listener = listener;
    }

    public DemotionSettings settings() {
        return settings;
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
     * samples here re-judge it as usual.
     */
    public void adopt(boolean verdict, String why) {
        java.util.Objects.requireNonNull(why, "why");
        HealthEvent event = null;
        synchronized (this) {
            if (verdict != demoted) {
                demoted = verdict;
                reason = verdict ? why : "";
                event = verdict ? new HealthEvent.Demoted(name, why) : new HealthEvent.Recovered(name);
            }
        }
        if (event != null) {
            EventDelivery.deliver(listener, event);
        }
    }

    /** Re-evaluates against a baseline that just took a sample. */
    void update(LatencyBaseline baseline) {
        OptionalLong longRun = baseline.longRunMedianNanos();
        if (longRun.isEmpty() || !baseline.longRunReady()) {
            return;
        }
        long m = longRun.getAsLong();
        HealthEvent event = null;
        synchronized (this) {
            if (!demoted) {
                if (!baseline.ready()) {
                    return;
                }
                long r = baseline.percentileNanos(50).orElse(0);
                double slow = baseline.slowShare((long) (settings.factor() * m));
                if (r > settings.factor() * m || slow > settings.slowShare()) {
                    demoted = true;
                    reason = r > settings.factor() * m
                            ? "recent median " + human(r) + " > " + settings.factor() + "x long-run " + human(m)
                            : Math.round(slow * 100) + "% of recent answers slower than " + settings.factor()
                                    + "x long-run " + human(m);
                    event = new HealthEvent.Demoted(name, reason);
                }
            } else if (baseline.windowCount() >= MIN_RECOVERY_SAMPLES) {
                long r = baseline.percentileNanos(50).orElse(Long.MAX_VALUE);
                double slow = baseline.slowShare((long) (settings.factor() * m));
                if (r < settings.recoverFactor() * m && slow < settings.slowShare() / 2) {
                    demoted = false;
                    event = new HealthEvent.Recovered(name);
                }
            }
        }
        if (event != null) {
            EventDelivery.deliver(listener, event);
        }
    }

    private static String human(long nanos) {
        return Checks.human(Duration.ofNanos(nanos));
    }
}
