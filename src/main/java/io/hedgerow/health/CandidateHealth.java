package io.hedgerow.health;

import io.hedgerow.config.BaselineSettings;
import io.hedgerow.config.BreakerSettings;
import io.hedgerow.config.DemotionSettings;
import io.hedgerow.time.Ticker;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Everything known about one candidate ({@code provider/model}): its circuit breaker, and per {@link Measure} (time
 * to first token for streams, time to the whole answer otherwise) its latency baseline, its verdict against its own
 * past ({@link Demotion}) and its verdicts against the candidates that follow it in routes ({@link Rivalry}, one per
 * neighbour: configured candidates only, so bounded by the config). Thread-safe: each part states its own story.
 *
 * <h2>Request-aware</h2>
 * Latency depends on the request: a prompt of 50k tokens takes seconds to prefill where one of 500 takes
 * milliseconds. Each measure therefore has a {@link SizedBaseline}, which learns what is usual <em>for each prompt
 * size</em> (the hedge delay reads it), and every sample reaches the verdicts' {@link LatencyBaseline} scaled to a
 * {@value #REFERENCE_TOKENS}-token prompt by that model ({@link SizedBaseline#atReference}; a sample of a size whose
 * usual is not known yet teaches the model and is not judged): a long prompt is not a
 * slow provider, a prompt twice as slow as usual for its size is, whatever its size, and two candidates are compared
 * on the same scale whatever mix of sizes each has served. The candidate's {@link PromptCalibration} turns the
 * router's size estimates into its provider's tokens.
 */
public final class CandidateHealth {
    /** The prompt size the verdicts' latencies are scaled to. */
    public static final long REFERENCE_TOKENS = 1000;
    private static final String SCALE = " (latencies scaled to a 1k-token prompt)";

    private final String label;
    private final CircuitBreaker breaker;
    private final LatencyBaseline firstToken;
    private final LatencyBaseline complete;
    private final SizedBaseline sizedFirstToken;
    private final SizedBaseline sizedComplete;
    private final PromptCalibration calibration;
    private volatile Sample lastFirstToken;
    private volatile Sample lastComplete;
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
             new LatencyBaseline(baseline, ticker), new SizedBaseline(baseline, ticker),
             new SizedBaseline(baseline, ticker), new PromptCalibration(), demotion, ticker, listener);
    }

    private CandidateHealth(String label, CircuitBreaker breaker, LatencyBaseline firstToken, LatencyBaseline complete,
                            SizedBaseline sizedFirstToken, SizedBaseline sizedComplete, PromptCalibration calibration,
                            DemotionSettings demotion, Ticker ticker, HealthListener listener) {
        this.label = label;
        this.breaker = breaker;
        this.firstToken = firstToken;
        this.complete = complete;
        this.sizedFirstToken = sizedFirstToken;
        this.sizedComplete = sizedComplete;
        this.calibration = calibration;
        this.demotionSettings = demotion;
        this.ticker = ticker;
        this.listener = listener;
        this.firstTokenDemotion = new Demotion(label, Measure.FIRST_TOKEN, demotion, listener, () -> scale(true));
        this.completeDemotion = new Demotion(label, Measure.WHOLE_ANSWER, demotion, listener, () -> scale(false));
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
                sameBaseline ? complete : new LatencyBaseline(baselineSettings, ticker),
                sameBaseline ? sizedFirstToken : new SizedBaseline(baselineSettings, ticker),
                sameBaseline ? sizedComplete : new SizedBaseline(baselineSettings, ticker), calibration, newDemotion,
                ticker, listener);
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

    /** What is usual for streamed requests (time to first token) or whole answers, by prompt size. */
    public SizedBaseline sized(boolean streaming) {
        return streaming ? sizedFirstToken : sizedComplete;
    }

    /** Its provider's prompt tokens per token the router estimates. */
    public PromptCalibration calibration() {
        return calibration;
    }

    /**
     * The last sample of a measure: its prompt's size, its latency, and how many times what is usual for that size
     * it was (empty while nothing was usual yet).
     */
    public record Sample(long tokens, long nanos, OptionalDouble slowdown) {
    }

    /** The last sample taken for streamed requests or whole answers; empty before the first. */
    public Optional<Sample> last(boolean streaming) {
        return Optional.ofNullable(streaming ? lastFirstToken : lastComplete);
    }

    /** The note for a verdict's reason when its latencies were scaled: only when sizes varied. */
    private String scale(boolean streaming) {
        return sized(streaming).sizeClassesSeen() > 1 ? SCALE : "";
    }

    /** A sample whose prompt size is not known: taken as one of {@value #REFERENCE_TOKENS} tokens. */
    public void recordLatency(boolean streaming, long nanos) {
        recordLatency(streaming, REFERENCE_TOKENS, nanos);
    }

    /**
     * Takes a latency sample of one measure for a prompt of {@code tokens} (in the provider's tokens): from a
     * success, or from an attempt cut off where that bounds something (a timeout; a loser that had run at least its
     * own hedge delay). Fast failures and censored losers are not samples: they would drag the baseline down. The
     * size model learns it as it is; the verdicts take it scaled to a {@value #REFERENCE_TOKENS}-token prompt, once
     * what is usual for its size is known ({@link SizedBaseline#atReference}).
     */
    public void recordLatency(boolean streaming, long tokens, long nanos) {
        SizedBaseline sized = sized(streaming);
        sized.record(tokens, nanos);
        LatencyBaseline baseline = baseline(streaming);
        // A sample of a size whose usual latency is not known yet teaches the size model only.
        sized.atReference(tokens, nanos, REFERENCE_TOKENS).ifPresent(baseline::record);
        demotion(streaming).update(baseline);
        Sample sample = new Sample(tokens, nanos, sized.slowdown(tokens, nanos));
        if (streaming) {
            lastFirstToken = sample;
        } else {
            lastComplete = sample;
        }
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
                label, next.label, measure, demotionSettings, ticker, listener, () -> scale(streaming)));
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
