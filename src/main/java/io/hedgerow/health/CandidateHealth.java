package io.hedgerow.health;

import io.hedgerow.config.BaselineSettings;
import io.hedgerow.config.BreakerSettings;
import io.hedgerow.config.DemotionSettings;
import io.hedgerow.time.Ticker;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Everything known about one candidate ({@code provider/model}): its circuit breaker, and per {@link Measure} (time
 * to first token for streams, time to the whole answer otherwise) its latency baseline, its verdict against its own
 * past ({@link Demotion}) and its verdicts against the candidates that follow it in routes ({@link Rivalry}, one per
 * neighbour: configured candidates only, so bounded by the config). Thread-safe: each part states its own story.
 */
public final class CandidateHealth {
    private final String label;
    private final CircuitBreaker breaker;
    private final LatencyBaseline firstToken;
    private final LatencyBaseline complete;
    private final Demotion firstTokenDemotion;
    private final Demotion completeDemotion;
    private final DemotionSettings demotionSettings;
    private final Ticker ticker;
    private final HealthListener listener;
    private final Map<String, Rivalry> rivalries = new ConcurrentHashMap<>();

    CandidateHealth(String label, BreakerSettings breaker, BaselineSettings baseline, DemotionSettings demotion,
                    Ticker ticker, HealthListener listener) {
        this(label, breaker, baseline, demotion, ticker, listener, ProbeGate.LOCAL);
    }

    CandidateHealth(String label, BreakerSettings breaker, BaselineSettings baseline, DemotionSettings demotion,
                    Ticker ticker, HealthListener listener, ProbeGate gate) {
        this(label, new CircuitBreaker(label, breaker, ticker, listener, gate), new LatencyBaseline(baseline, ticker),
             new LatencyBaseline(baseline, ticker), demotion, ticker, listener);
    }

    private CandidateHealth(String label, CircuitBreaker breaker, LatencyBaseline firstToken, LatencyBaseline complete,
                            DemotionSettings demotion, Ticker ticker, HealthListener listener) {
        this.label = label;
        this.breaker = breaker;
        this.firstToken = firstToken;
        this.complete = complete;
        this.demotionSettings = demotion;
        this.ticker = ticker;
        this.listener = listener;
        this.firstTokenDemotion = new Demotion(label, Measure.FIRST_TOKEN, demotion, listener);
        this.completeDemotion = new Demotion(label, Measure.WHOLE_ANSWER, demotion, listener);
    }

    /**
     * This candidate under new router-wide settings: itself when nothing changed, else a new one sharing each part
     * whose settings are unchanged (a new breaker starts closed; new baselines start empty; verdicts carry over only
     * when baselines and demotion settings are both unchanged).
     */
    CandidateHealth reconfigured(BreakerSettings breakerSettings, BaselineSettings baselineSettings,
                                 DemotionSettings newDemotion, Ticker ticker, HealthListener listener,
                                 ProbeGate gate) {
        boolean sameBreaker = breakerSettings.equals(breaker.settings());
        boolean sameBaseline = baselineSettings.equals(firstToken.settings());
        boolean sameDemotion = newDemotion.equals(demotionSettings);
        if (sameBreaker && sameBaseline && sameDemotion) {
            return this;
        }
        CandidateHealth next = new CandidateHealth(
                label, sameBreaker ? breaker : new CircuitBreaker(label, breakerSettings, ticker, listener, gate),
                sameBaseline ? firstToken : new LatencyBaseline(baselineSettings, ticker),
                sameBaseline ? complete : new LatencyBaseline(baselineSettings, ticker), newDemotion, ticker,
                listener);
        if (sameBaseline && sameDemotion) {
            next.firstTokenDemotion.carry(firstTokenDemotion);
            next.completeDemotion.carry(completeDemotion);
        }
        return next;
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
     * Takes a latency sample of one measure: from a success, or from an attempt cut off where that bounds something
     * (a timeout; a loser that had run at least its own hedge delay). Fast failures and censored losers are not
     * samples: they would drag the baseline down.
     */
    public void recordLatency(boolean streaming, long nanos) {
        LatencyBaseline baseline = baseline(streaming);
        baseline.record(nanos);
        demotion(streaming).update(baseline);
    }

    /** The verdict against its own past, on one measure. */
    public Demotion demotion(boolean streaming) {
        return streaming ? firstTokenDemotion : completeDemotion;
    }

    /** Whether it is demoted for slowness against its own past on the measure of a streamed or whole request. */
    public boolean demoted(boolean streaming) {
        return demotion(streaming).demoted();
    }

    /**
     * Whether, on the measure of a streamed or whole request, it has become clearly slower than {@code next}, the
     * candidate after it in a route, and so gives up its place to it. See {@link Rivalry}.
     */
    public boolean outpacedBy(CandidateHealth next, boolean streaming) {
        Measure measure = Measure.of(streaming);
        Rivalry rivalry = rivalries.computeIfAbsent(next.label + "\n" + measure.name(), k -> new Rivalry(
                label, next.label, measure, demotionSettings, ticker, listener));
        return rivalry.judge(baseline(streaming), next.baseline(streaming));
    }

    /** Whether any verdict puts it behind others now: slow against its own past or against a neighbour. */
    public boolean demoted() {
        if (firstTokenDemotion.demoted() || completeDemotion.demoted()) {
            return true;
        }
        for (Rivalry rivalry : rivalries.values()) {
            if (rivalry.behind()) {
                return true;
            }
        }
        return false;
    }

    /** Why it is {@link #demoted()}, every verdict that says so; empty when it is not. */
    public String demotionReason() {
        List<String> reasons = new ArrayList<>(2);
        for (Demotion d : List.of(firstTokenDemotion, completeDemotion)) {
            if (d.demoted()) {
                reasons.add(d.reason());
            }
        }
        for (Rivalry rivalry : rivalries.values()) {
            if (rivalry.behind()) {
                reasons.add(rivalry.reason());
            }
        }
        return String.join("; ", reasons);
    }
}
