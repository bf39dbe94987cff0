package io.hedgerow.health;

import io.hedgerow.config.Checks;
import io.hedgerow.config.DemotionSettings;
import io.hedgerow.time.Ticker;

import java.time.Duration;
import java.util.OptionalLong;
import java.util.function.Supplier;

/**
 * Whether one candidate has become clearly slower, on one {@link Measure}, than the candidate after it in a route:
 * then it gives up its place to it. Judging a candidate only against its own past misses a provider that degrades
 * gradually, since its long-run baseline drifts along with it; compared with its neighbour on the same measure over
 * the same recent window, it does not escape.
 *
 * <h2>Algorithm</h2>
 * With {@code x} and {@code y} the recent medians of this candidate and its neighbour (samples are successes and
 * cut-off attempts that bound something, never censored losers, so they are comparable), {@code k} the
 * {@code compare-factor} and the reference ratio {@code q}, the lowest {@code max(1, X / Y)} of their long-run
 * medians seen since both long runs held {@value #RELATION_SAMPLES} samples of weight:
 * <ul>
 *     <li>it falls behind when {@code x > floor} and {@code x > k * q * y}, its window holding {@code min-samples}.
 *     A neighbour that only serves hedges may have too few recent samples: its long-run median then stands for
 *     {@code y}, once the long run holds {@value #MEDIAN_SAMPLES} samples of weight (or {@code min-samples}, if
 *     fewer: a median needs fewer samples than the tail percentile a hedge delay reads);</li>
 *     <li>it is back in front when {@code x <= floor} or {@code x < (1 + k) / 2 * q * y}, judged on as few as 5
 *     recent samples of its own (while behind it sees only probe traffic).</li>
 * </ul>
 * {@code q} keeps a route's order where a candidate is slower by nature (a large model before a small one): it
 * must become {@code k} times slower than its usual relation to its neighbour, not merely be slower. It only ever
 * comes down: a young long-run median follows a gradual degradation (after 20 s of history, a ramp from 300 ms to
 * 1.5 s against a steady 450 ms dragged it to 1.2x the neighbour's), and a bar raised by the very drift it should
 * catch was never crossed. For the same reason it is recorded from the first few samples on: a neighbour that only
 * serves hedges is sampled only when it wins one, rarely while the candidate is healthy and more often as it slows,
 * so by the time its long run held {@code min-samples} the candidate's own had drifted (to 1.3x, measured) and that
 * drift was taken for their usual relation. Those first samples are wins, the neighbour's faster answers, so an
 * early {@code q} errs high (a higher bar), and later samples bring it down. While the windows lack samples the
 * verdict stands. Re-judged at most every 250 ms, since it is read on every request.
 *
 * <p>Thread-safety: the verdict is volatile; judging takes this object's lock; events are delivered outside it.
 */
final class Rivalry {
    private static final long REJUDGE_NANOS = 250_000_000L;
    /** Long-run weight each side needs before their ratio is taken as (a bound on) their usual relation. */
    static final int RELATION_SAMPLES = 5;
    /** Long-run weight the neighbour needs before its long-run median stands for its recent one. */
    static final int MEDIAN_SAMPLES = 10;

    private final String name;
    private final String rival;
    private final Measure measure;
    private final DemotionSettings settings;
    private final Ticker ticker;
    private final HealthListener listener;
    private volatile boolean behind;
    private volatile String reason = "";
    private long judgedAt;
    private boolean judged;
    private double reference = Double.POSITIVE_INFINITY;

    /** What the baselines' latencies stand for, for the reason: empty, or e.g. " (scaled to a 1k-token prompt)". */
    private final Supplier<String> scale;

    Rivalry(String name, String rival, Measure measure, DemotionSettings settings, Ticker ticker,
            HealthListener listener) {
        this(name, rival, measure, settings, ticker, listener, () -> "");
    }

    Rivalry(String name, String rival, Measure measure, DemotionSettings settings, Ticker ticker,
            HealthListener listener, Supplier<String> scale) {
        this.scale = scale;
        this.name = name;
        this.rival = rival;
        this.measure = measure;
        this.settings = settings;
        this.ticker = ticker;
        this.listener = listener;
    }

    boolean behind() {
        return behind;
    }

    String reason() {
        return behind ? reason : "";
    }

    /** Re-judges (at most every 250 ms) and says whether this candidate now goes behind its rival. */
    boolean judge(LatencyBaseline mine, LatencyBaseline theirs) {
        double k = settings.compareFactor();
        if (k <= 0) {
            return false;
        }
        long now = ticker.read();
        HealthEvent event = null;
        synchronized (this) {
            if (judged && now - judgedAt < REJUDGE_NANOS) {
                return behind;
            }
            judged = true;
            judgedAt = now;
            long floor = settings.floor().toNanos();
            boolean enough = behind ? mine.windowCount() >= Demotion.MIN_RECOVERY_SAMPLES : mine.ready();
            double medianWeight = Math.min(MEDIAN_SAMPLES, theirs.settings().minSamples());
            OptionalLong theirMedian = theirs.ready() ? theirs.percentileNanos(50)
                    : theirs.longRunWeight() >= medianWeight ? theirs.longRunMedianNanos() : OptionalLong.empty();
            double q = referenceRatio(mine, theirs);
            if (!enough || theirMedian.isEmpty()) {
                return behind;
            }
            long x = mine.percentileNanos(50).orElse(0);
            long y = theirMedian.getAsLong();
            if (!behind && x > floor && x > k * q * y) {
                behind = true;
                reason = measure.description() + ": recent median " + human(x) + " > " + k + "x " + rival + "'s "
                        + human(y) + (q > 1 ? String.format(java.util.Locale.ROOT, " (usually %.1fx)", q) : "")
                        + scale.get();
                event = new HealthEvent.Outpaced(name, rival, measure, reason);
            } else if (behind && (x <= floor || x < (1 + k) / 2 * q * y)) {
                behind = false;
                event = new HealthEvent.Regained(name, rival, measure);
            }
        }
        if (event != null) {
            EventDelivery.deliver(listener, event);
        }
        return behind;
    }

    /**
     * The reference ratio {@code q}, recorded on every judging (also while the windows cannot be judged yet, so the
     * relation is known before a verdict needs it): see the class comment. Until both long runs hold a few samples,
     * the current ratio, or 1 while either has no median. Under the lock.
     */
    private double referenceRatio(LatencyBaseline mine, LatencyBaseline theirs) {
        OptionalLong x = mine.longRunMedianNanos();
        OptionalLong y = theirs.longRunMedianNanos();
        if (x.isEmpty() || y.isEmpty() || y.getAsLong() <= 0) {
            return Double.isFinite(reference) ? reference : 1;
        }
        double now = Math.max(1, (double) x.getAsLong() / y.getAsLong());
        if (mine.longRunWeight() >= RELATION_SAMPLES && theirs.longRunWeight() >= RELATION_SAMPLES) {
            reference = Math.min(reference, now);
        }
        return Double.isFinite(reference) ? reference : now;
    }

    private static String human(long nanos) {
        return Checks.human(Duration.ofNanos(nanos));
    }
}
