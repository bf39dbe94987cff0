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
        this(label, breaker, baseline, demotion, ticker, listener, ProbeGate.LOCAL);
    }

    CandidateHealth(String label, BreakerSettings breaker, BaselineSettings baseline, DemotionSettings demotion,
                    Ticker ticker, HealthListener listener, ProbeGate gate) {
        this(label, new CircuitBreaker(label, breaker, ticker, listener, gate), new LatencyBaseline(baseline, ticker),
             new LatencyBaseline(baseline, ticker), new Demotion(label, demotion, listener));
    }

    private CandidateHealth(String label, CircuitBreaker breaker, LatencyBaseline firstToken, LatencyBaseline complete,
                            Demotion demotion) {
        this.label = label;
        this.breaker = breaker;
        this.firstToken = firstToken;
        this.complete = complete;
        this.demotion = demotion;
    }

    /**
     * This candidate under new router-wide settings: itself when nothing changed, else a new one sharing each part
     * whose settings are unchanged (a new breaker starts closed; new baselines start empty, and so does demotion).
     */
    CandidateHealth reconfigured(BreakerSettings breakerSettings, BaselineSettings baselineSettings,
                                 DemotionSettings demotionSettings, Ticker ticker, HealthListener listener,
                                 ProbeGate gate) {
        boolean sameBreaker = breakerSettings.equals(breaker.settings());
        boolean sameBaseline = baselineSettings.equals(firstToken.settings());
        boolean sameDemotion = demotionSettings.equals(demotion.settings());
        if (sameBreaker && sameBaseline && sameDemotion) {
            return this;
        }
        return new CandidateHealth(label,
                                   sameBreaker ? breaker : new CircuitBreaker(label, breakerSettings, ticker, listener,
                                                                                gate),
                                   sameBaseline ? firstToken : new LatencyBaseline(baselineSettings, ticker),
                                   sameBaseline ? complete : new LatencyBaseline(baselineSettings, ticker),
                                   sameBaseline && sameDemotion ? demotion
                                           : new Demotion(label, demotionSettings, listener));
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

    /** Whether it is demoted for slowness, and why: the verdict another replica may {@link Demotion#adopt}. */
    public Demotion demotion() {
        return demotion;
    }
}
