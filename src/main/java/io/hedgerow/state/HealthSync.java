package io.hedgerow.state;

import io.hedgerow.config.CooldownSettings;
import io.hedgerow.health.BreakerState;
import io.hedgerow.health.CandidateHealth;
import io.hedgerow.health.CircuitBreaker;
import io.hedgerow.health.HealthEvent;
import io.hedgerow.health.HealthListener;
import io.hedgerow.health.HealthRegistry;
import io.hedgerow.health.KeyHealth;
import io.hedgerow.health.LatencyBaseline;
import io.hedgerow.health.Measure;
import io.hedgerow.health.ProbeGate;
import io.hedgerow.model.FailureKind;
import io.hedgerow.time.Ticker;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * Keeps the router's health objects and a {@link StateStore} in step, both ways. The health objects stay the only copy
 * requests read; this class only listens and adopts.
 *
 * <ul>
 *     <li><b>Out</b>: as a {@link HealthListener} it hears every change made here (a key cooling or rested, a breaker
 *     opened or closed, a demotion or recovery) and publishes it as a {@link StateRecord} with absolute times.</li>
 *     <li><b>In</b>: records the store learned (from the snapshot file at start, from other replicas) are adopted into
 *     the health objects when newer than what is known here; the events those adoptions cause are not published
 *     again.</li>
 *     <li><b>Probes</b>: as the breakers' {@link ProbeGate} it asks the store, so a fleet probes a down upstream
 *     once.</li>
 * </ul>
 *
 * <p>What is shared: key cooldowns (rung and end, and a live check ending one early, which is a key change like any
 * other), breaker phases (open until, closed), demotion verdicts (adopted ones on a lease their origin renews:
 * {@link DemotionLeases}, kept up by {@link #tick} on the store's beat). What is not: latency baselines and the hedge budget,
 * which every replica measures from its own traffic (see the docs, "Running more than one").
 *
 * <p>Times: health runs on the ticker, records on the wall clock; each conversion reads both now. Thread-safety:
 * publishing runs on the thread that made the change; adoption on the store's single applier thread (or the starting
 * thread, for the file); the map of newest records known is concurrent.
 */
public final class HealthSync implements HealthListener, ProbeGate {
    private static final System.Logger LOG = System.getLogger(HealthSync.class.getName());
    /** How long a closed breaker's or a recovery's record is kept: long enough for every replica to hear it. */
    static final Duration NEWS = Duration.ofMinutes(10);
    /** How long a demotion verdict's record is kept (its origin renews it while it stands: {@link DemotionLeases}). */
    static final Duration VERDICT = Duration.ofMinutes(30);
    /** Two cooldown ends closer than this are the same end (ticker and wall clock are read a moment apart). */
    private static final long SAME_MILLIS = 5;

    private final StateStore store;
    private final Ticker ticker;
    private final Clock clock;
    private final String replica;
    private final Map<String, StateRecord> known = new ConcurrentHashMap<>();
    private final ThreadLocal<Boolean> adopting = ThreadLocal.withInitial(() -> false);
    private final DemotionLeases leases;
    /** Baselines restored from the file: each once. */
    private final java.util.Set<String> restored = ConcurrentHashMap.newKeySet();
    /** How long a saved baseline is worth keeping, in its half-lives. */
    static final int BASELINE_HALF_LIVES = 8;
    private volatile Supplier<HealthRegistry> health = () -> null;
    private volatile Predicate<String> candidates = label -> false;

    public HealthSync(StateStore store, Ticker ticker, Clock clock, String replica) {
        this.store = Objects.requireNonNull(store, "store");
        this.ticker = Objects.requireNonNull(ticker, "ticker");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.replica = Objects.requireNonNull(replica, "replica");
        this.leases = new DemotionLeases(ticker);
    }

    /**
     * Where health lives now (the current generation's registry), and which candidate labels are configured: records
     * about others are kept in the store but create nothing here.
     */
    public void attach(Supplier<HealthRegistry> current, Predicate<String> configured) {
        this.health = Objects.requireNonNull(current, "current");
        this.candidates = Objects.requireNonNull(configured, "configured");
        store.onBeat(this::tick);
        store.onSave(this::baselines);
    }

    // ---- out ----

    @Override
    public void onEvent(HealthEvent event) {
        if (adopting.get()) {
            return;
        }
        HealthRegistry registry = health.get();
        if (registry == null) {
            return;
        }
        switch (event) {
            case HealthEvent.CooldownStarted e -> publishKeys(registry.keys());
            case HealthEvent.CooldownEnded e -> publishKeys(registry.keys());
            case HealthEvent.BreakerTransition t -> publishBreaker(registry.candidate(t.name()), t);
            case HealthEvent.Demoted d -> {
                publishDemotion(d.name(), d.measure(), d.reason());
                leases.demotedHere(new DemotionLeases.Verdict(d.name(), d.measure()));
            }
            case HealthEvent.Recovered r -> {
                publish(new StateRecord.Demotion(r.name(), r.measure(), false, "", clock.millis(),
                                                 clock.millis() + NEWS.toMillis(), replica));
                leases.ended(new DemotionLeases.Verdict(r.name(), r.measure()));
            }
            default -> {
                // nothing shared
            }
        }
    }

    private void publishDemotion(String candidate, Measure measure, String reason) {
        publish(new StateRecord.Demotion(candidate, measure, true, reason, clock.millis(),
                                         clock.millis() + VERDICT.toMillis(), replica));
    }

    /** Publishes each key whose state differs from the newest record known of it. Keys are few; changes rare. */
    private void publishKeys(KeyHealth keys) {
        long nowMillis = clock.millis();
        long nowNanos = ticker.read();
        for (KeyHealth.Entry e : keys.entries()) {
            long until = toMillis(e.untilNanos(), nowNanos, nowMillis);
            StateRecord old = known.get("key:" + e.fingerprint());
            if (old instanceof StateRecord.Key k && k.cause() == e.cause() && k.consecutive() == e.consecutive()
                    && k.credential() == e.credential()
                    && (k.cooling() == e.cooling() && Math.abs(k.untilMillis() - until) <= SAME_MILLIS
                        // a cooldown that ran out ends on every replica by itself: no news
                        || k.cooling() && !e.cooling() && k.untilMillis() <= nowMillis + SAME_MILLIS)) {
                continue;
            }
            long keep = longestRung(keys.settings(), e.cause()).toMillis();
            publish(new StateRecord.Key(e.fingerprint(), e.label(), e.cause(), e.consecutive(), e.cooling(), until,
                                        e.credential(), toMillis(e.sinceNanos(), nowNanos, nowMillis), nowMillis,
                                        Math.max(until, nowMillis) + keep, replica));
        }
    }

    private void publishBreaker(CandidateHealth candidate, HealthEvent.BreakerTransition t) {
        CircuitBreaker breaker = candidate.breaker();
        long nowMillis = clock.millis();
        switch (t.to()) {
            case OPEN -> {
                long untilNanos = breaker.openUntilNanos().orElse(ticker.read());
                long until = toMillis(untilNanos, ticker.read(), nowMillis);
                int reopens = breaker.state().reopenCount();
                long keep = breaker.settings().openFor().toMillis() * CircuitBreaker.MAX_OPEN_MULTIPLIER;
                publish(new StateRecord.Breaker(t.name(), BreakerState.Kind.OPEN, until, reopens, t.reason(),
                                                nowMillis, until + keep, replica));
            }
            case CLOSED -> publish(new StateRecord.Breaker(t.name(), BreakerState.Kind.CLOSED, nowMillis, 0,
                                                           t.reason(), nowMillis, nowMillis + NEWS.toMillis(),
                                                           replica));
            case HALF_OPEN -> {
                // probing is this replica's business: the outcome (closed, or open again) is the news
            }
        }
    }

    private void publish(StateRecord record) {
        known.merge(record.id(), record, (old, next) -> next.newerThan(old) ? next : old);
        store.publish(record);
    }

    // ---- in ----

    /** Adopts a record the store learned, when it is newer than what is known here. Never throws. */
    public void learn(StateRecord record) {
        Objects.requireNonNull(record, "record");
        StateRecord old = known.get(record.id());
        if (old != null && !record.newerThan(old)) {
            return;
        }
        known.put(record.id(), record);
        HealthRegistry registry = health.get();
        if (registry == null) {
            return;
        }
        adopting.set(true);
        try {
            long nowNanos = ticker.read();
            long nowMillis = clock.millis();
            switch (record) {
                case StateRecord.Key k -> registry.keys().adopt(new KeyHealth.Entry(
                        k.fingerprint(), k.label(), k.cause(), k.consecutive(), k.cooling(),
                        toNanos(k.untilMillis(), nowNanos, nowMillis), k.credential(),
                        toNanos(k.sinceMillis(), nowNanos, nowMillis)));
                case StateRecord.Breaker b -> {
                    if (candidates.test(b.candidate())) {
                        CircuitBreaker breaker = registry.candidate(b.candidate()).breaker();
                        String from = b.origin().equals(replica) ? "before a restart" : "by replica " + b.origin();
                        if (b.kind() == BreakerState.Kind.OPEN) {
                            breaker.adoptOpen(toNanos(b.untilMillis(), nowNanos, nowMillis), b.reopenCount(),
                                              "opened " + from + ": " + b.reason());
                        } else {
                            breaker.adoptClosed("closed " + from + ": " + b.reason());
                        }
                    }
                }
                case StateRecord.Baseline b -> restore(registry, b);
                case StateRecord.Demotion d -> {
                    DemotionLeases.Verdict v = new DemotionLeases.Verdict(d.candidate(), d.measure());
                    if (candidates.test(d.candidate()) && !(d.demoted() && leases.ownDemotion(v))) {
                        CandidateHealth candidate = registry.candidate(d.candidate());
                        boolean streaming = d.measure() == Measure.FIRST_TOKEN;
                        candidate.demotion(streaming).adopt(d.demoted(), d.reason(), candidate.baseline(streaming)
                                .longRunMedianNanos().orElse(0));
                        if (d.demoted()) {
                            leases.adopted(v);
                        } else {
                            leases.ended(v);
                        }
                    }
                }
            }
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "state: cannot adopt " + record.id(), e);
        } finally {
            adopting.set(false);
        }
    }

    // ---- long-run baselines (this replica's file only) ----

    /**
     * Every configured candidate's long-run baselines as they stand, for the state file. Kept for
     * {@link #BASELINE_HALF_LIVES} half-lives: by then what they hold weighs under 1/256 of what it did.
     */
    private java.util.Collection<StateRecord> baselines() {
        HealthRegistry registry = health.get();
        if (registry == null) {
            return List.of();
        }
        long nowMillis = clock.millis();
        List<StateRecord> out = new java.util.ArrayList<>();
        registry.candidates().forEach((label, candidate) -> {
            if (!candidates.test(label)) {
                return;
            }
            for (Measure measure : Measure.values()) {
                LatencyBaseline baseline = candidate.baseline(measure == Measure.FIRST_TOKEN);
                if (baseline.longRunWeight() > 0) {
                    long keep = baseline.settings().halfLife().toMillis() * BASELINE_HALF_LIVES;
                    out.add(new StateRecord.Baseline(label, measure, baseline.longRunNow(), nowMillis,
                                                     nowMillis + keep, replica));
                }
            }
        });
        return out;
    }

    /** Restores a saved long run, once per baseline (from the file, at start), decayed by the time since it was saved. */
    private void restore(HealthRegistry registry, StateRecord.Baseline b) {
        if (!candidates.test(b.candidate()) || !restored.add(b.id())) {
            return;
        }
        long ageMillis = Math.max(0, clock.millis() - b.atMillis());
        registry.candidate(b.candidate()).baseline(b.measure() == Measure.FIRST_TOKEN)
                .restoreLongRun(b.weights(), ageMillis * 1_000_000L);
    }

    // ---- over time ----

    /**
     * One beat of upkeep (the store's thread): adopted demotions whose lease ran out end here (an event for observers,
     * nothing published: elsewhere the verdict may stand), and this replica's own standing demotions are published
     * again so that other replicas' leases on them go on.
     */
    void tick() {
        HealthRegistry registry = health.get();
        if (registry == null) {
            return;
        }
        for (DemotionLeases.Verdict v : leases.lapsed()) {
            if (!candidates.test(v.candidate())) {
                continue;
            }
            var demotion = registry.candidate(v.candidate()).demotion(v.measure() == Measure.FIRST_TOKEN);
            if (demotion.demoted()) {
                LOG.log(System.Logger.Level.INFO, "state: the demotion of {0} ({1}) adopted from elsewhere was not "
                        + "renewed within {2} s: judged from this replica''s own samples again", v.candidate(),
                        v.measure().description(), DemotionLeases.LEASE.toSeconds());
                adopting.set(true);
                try {
                    demotion.adopt(false, "", 0);
                } finally {
                    adopting.set(false);
                }
            }
        }
        for (DemotionLeases.Verdict v : leases.dueForRenewal()) {
            var demotion = candidates.test(v.candidate())
                    ? registry.candidate(v.candidate()).demotion(v.measure() == Measure.FIRST_TOKEN) : null;
            if (demotion != null && demotion.demoted()) {
                publishDemotion(v.candidate(), v.measure(), demotion.reason());
            } else {
                leases.ended(v);
            }
        }
    }

    // ---- probes ----

    @Override
    public boolean mayProbe(String breaker) {
        return store.tryProbe(breaker);
    }

    @Override
    public void released(String breaker) {
        store.releaseProbe(breaker);
    }

    // ---- time ----

    private static long toMillis(long tickerNanos, long nowNanos, long nowMillis) {
        return nowMillis + Math.floorDiv(tickerNanos - nowNanos, 1_000_000L);
    }

    private static long toNanos(long millis, long nowNanos, long nowMillis) {
        long delta = millis - nowMillis;
        // Far past or future (a skewed clock, a corrupt value): clamp rather than overflow.
        long bounded = Math.max(-Duration.ofDays(3650).toMillis(), Math.min(Duration.ofDays(3650).toMillis(), delta));
        return nowNanos + bounded * 1_000_000L;
    }

    private static Duration longestRung(CooldownSettings settings, FailureKind cause) {
        List<Duration> ladder = cause == FailureKind.AUTH ? settings.auth() : settings.rateLimited();
        return ladder.stream().max(Duration::compareTo).orElse(Duration.ofHours(1));
    }
}
