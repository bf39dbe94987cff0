package io.hedgerow.health;

import io.hedgerow.config.BaselineSettings;
import io.hedgerow.config.BreakerSettings;
import io.hedgerow.config.DemotionSettings;
import io.hedgerow.time.Ticker;

/**
 * Everything known about one candidate ({@code provider/model}): its circuit breaker, its latency baselines
 * (time to first token for streams, time to the whole answer otherwise) and whether it is demoted for slowness.
 * Thread-safe: each part states its own story.
 */
public final class CandidateHealth {
    private final String label;
    private final CircuitBreaker breaker;
    private final LatencyBaseline firstToken;
    private final LatencyBaseline complete;
    private final Demotion demotion;

    CandidateHealth(String label, BreakerSettings breaker, BaselineSettings baseline, DemotionSettings demotion,
                    Ticker ticker, HealthListener listener) {
        this.label = label;
        this.breaker = new CircuitBreaker(label, breaker, ticker, listener);
        this.firstToken = new LatencyBaseline(baseline, ticker);
        this.complete = new LatencyBaseline(baseline, ticker);
        this.demotion = new Demotion(label, demotion, listener);
    }

    public String label() {
        return label;
    }

    public CircuitBreaker breaker() {
        return breaker;
    }

    /** The baseline for streamed requests (time to first token) or for whole answers. */
    public LatencyBaseline baseline(boolean streaming) {
        return streaming ? firstToken : complete;
    }

    /**
     * Takes a latency sample: from a success, or from an attempt cut by a timeout or by losing a hedge (then a
     * lower bound). Fast failures are not samples: they would drag the baseline down.
     */
    public void recordLatency(boolean streaming, long nanos) {
        LatencyBaseline baseline = baseline(streaming);
        baseline.record(nanos);
        demotion.update(baseline);
    }

    public boolean demoted() {
        return demotion.demoted();
    }

    public String demotionReason() {
        return demotion.reason();
    }
}
