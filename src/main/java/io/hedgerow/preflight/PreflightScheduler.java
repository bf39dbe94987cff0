package io.hedgerow.preflight;

import io.hedgerow.config.ApiKey;
import io.hedgerow.config.HedgerowConfig;
import io.hedgerow.config.PreflightSettings;
import io.hedgerow.health.KeyHealth;
import io.hedgerow.provider.ProviderClient;
import io.hedgerow.time.Daemon;
import io.hedgerow.time.Ticker;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

/**
 * The running router's live checks ({@code observe.preflight}): every provider+key a route uses is checked at
 * start-up, in the background (the router serves at once), and again once per {@code interval}.
 *
 * <h2>A round</h2>
 * {@link #runDue} takes the current {@link Fleet} (config, provider clients, key health), lists the
 * {@link Target}s its routes use, and checks those that are due, all at once ({@link Preflight}):
 * <ul>
 *     <li>A target is due when it was never checked, or when its last check started at least {@code interval}
 *     ago by the injected ticker. So a provider+key is asked at most once per interval, however many routes and
 *     models use it, and however often rounds run. A reload that changes a provider's type, URL, headers or keys
 *     makes new targets, due at once; the others wait for their interval.</li>
 *     <li>Results feed key health as real calls would: a key refused ({@link Verdict#AUTH_FAILED}) enters the
 *     {@code AUTH} cooldown ladder, as after a 401 on a chat call, so traffic skips it; a key found accepted ends a
 *     credential cooldown reported before the round started ({@link KeyHealth#verified}). Other verdicts change
 *     nothing: a 404 or a 5xx from a list of models is not the key's fault, and unreachable providers are the
 *     breakers' business, judged on real traffic.</li>
 *     <li>The listener hears each result, then the round: the checks it ran, and the latest result of every
 *     target judged against the routes ({@link PreflightReport}). A rung that cannot serve is also logged.</li>
 * </ul>
 * Rounds never overlap.
 *
 * <h2>Threads and time</h2>
 * One {@link Daemon} thread runs the start-up round, then waits until the next target is due (or a reload, see
 * {@link #reloaded}), runs a round, and waits again. When it is due is ticker time; the waiting is real time (with the
 * system ticker they agree; tests with a fake ticker call {@link #runDue} themselves). Checks run on virtual threads
 * of their own, bounded by {@code timeout}.
 */
public final class PreflightScheduler implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(PreflightScheduler.class.getName());
    /** The shortest wait between rounds, so that a clock that does not move cannot make the loop spin. */
    private static final Duration MIN_WAIT = Duration.ofSeconds(1);
    /** While checks are off, how often the loop looks again (a reload that turns them on wakes it at once). */
    private static final Duration IDLE_WAIT = Duration.ofHours(1);

    /**
     * What the checks run against: the current generation's config, provider clients and key health.
     */
    public record Fleet(HedgerowConfig config, Map<String, ProviderClient> clients, KeyHealth keys) {
        public Fleet {
            Objects.requireNonNull(config, "config");
            clients = Map.copyOf(clients);
            Objects.requireNonNull(keys, "keys");
        }
    }

    private final Supplier<Fleet> fleet;
    private final Ticker ticker;
    private final Ticker realTime;
    private final Clock clock;
    private final PreflightListener listener;
    private final ReentrantLock rounds = new ReentrantLock();
    // Guarded by rounds:
    private final Map<Target, Long> lastStarted = new HashMap<>();
    private final Map<Target, CheckResult> latest = new LinkedHashMap<>();
    // Guarded by signal:
    private final Object signal = new Object();
    private boolean wake;
    private int roundsEnded;
    private volatile Optional<Round> lastRound = Optional.empty();
    private volatile boolean closed;
    private volatile Daemon loop;
    private String trigger = "startup";

    /**
     * @param fleet    the current fleet, read at the start of each round
     * @param ticker   policy time: when targets are due
     * @param realTime real time: how long a round waits for its checks, and the loop between rounds
     * @param clock    wall-clock time, for when checks were made
     * @param listener hears results and rounds
     */
    public PreflightScheduler(Supplier<Fleet> fleet, Ticker ticker, Ticker realTime, Clock clock,
                              PreflightListener listener) {
        this.fleet = Objects.requireNonNull(fleet, "fleet");
        this.ticker = Objects.requireNonNull(ticker, "ticker");
        this.realTime = Objects.requireNonNull(realTime, "realTime");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.listener = Objects.requireNonNull(listener, "listener");
    }

    /** Starts the background loop: the start-up round at once, then a round whenever a target is due. */
    public void start() {
        loop = Daemon.loop("hedgerow-preflight", this::turn);
    }

    /** Wakes the loop after a reload: targets the new config changed or added are checked at once. */
    public void reloaded() {
        synchronized (signal) {
            wake = true;
            signal.notifyAll();
        }
    }

    /** The last round that ran checks; empty before the first. */
    public Optional<Round> lastRound() {
        return lastRound;
    }

    /** Waits until {@code count} rounds that ran checks have ended since start; false when the timeout passed first. */
    public boolean awaitRounds(int count, Duration timeout) throws InterruptedException {
        long deadline = realTime.read() + timeout.toNanos();
        synchronized (signal) {
            while (roundsEnded < count) {
                long left = deadline - realTime.read();
                if (left <= 0) {
                    return false;
                }
                signal.wait(Math.max(1, left / 1_000_000));
            }
            return true;
        }
    }

    /**
     * Runs one round now: checks the targets that are due, feeds key health, tells the listener.
     *
     * @param trigger what started it, for events: {@code startup}, {@code interval}, {@code reload}
     * @return the round; empty when checks are off or nothing was due
     */
    public Optional<Round> runDue(String trigger) {
        Objects.requireNonNull(trigger, "trigger");
        rounds.lock();
        try {
            Fleet f = fleet.get();
            PreflightSettings settings = f.config().observe().preflight();
            Map<Target, List<String>> targets = Target.usedBy(f.config());
            // Forget what no route uses any more (and targets a reload changed).
            lastStarted.keySet().retainAll(targets.keySet());
            latest.keySet().retainAll(targets.keySet());
            if (!settings.enabled() || closed) {
                return Optional.empty();
            }
            long now = ticker.read();
            List<Target> due = targets.keySet().stream().filter(t -> due(t, now, settings)).toList();
            if (due.isEmpty()) {
                return Optional.empty();
            }
            due.forEach(t -> lastStarted.put(t, now));
            Instant at = clock.instant();
            long began = realTime.read();
            List<CheckResult> results = Preflight.run(due, f.clients(), settings.timeout(), realTime, clock);
            if (closed) {
                return Optional.empty(); // stopped mid-round: what was abandoned says nothing about the keys
            }
            for (CheckResult result : results) {
                latest.put(result.target(), result);
                tell(() -> listener.checked(result, targets.get(result.target()), trigger));
                feed(f.keys(), result, now);
            }
            Round round = new Round(trigger, at, Duration.ofNanos(realTime.read() - began), results, latest,
                                    PreflightReport.judge(f.config(), latest));
            lastRound = Optional.of(round);
            tell(() -> listener.roundEnded(round));
            for (PreflightReport.RungCheck rung : round.report().deadRungs()) {
                LOG.log(System.Logger.Level.WARNING, "live check: route {0}, rung {1} ({2}): {3}: it cannot serve",
                        rung.route(), Integer.toString(rung.position()), rung.candidate(), rung.whyDead());
            }
            synchronized (signal) {
                roundsEnded++;
                signal.notifyAll();
            }
            return Optional.of(round);
        } finally {
            rounds.unlock();
        }
    }

    /** Stops the loop; a round in progress is abandoned and reports nothing. */
    @Override
    public void close() {
        closed = true;
        Daemon daemon = loop;
        if (daemon != null) {
            daemon.close();
        }
    }

    private boolean due(Target target, long now, PreflightSettings settings) {
        Long last = lastStarted.get(target);
        return last == null || now - last >= settings.interval().toNanos();
    }

    private static void feed(KeyHealth keys, CheckResult result, long roundStarted) {
        Optional<ApiKey> key = result.target().key();
        if (key.isEmpty()) {
            return;
        }
        switch (result.verdict()) {
        case AUTH_FAILED -> keys.onFailure(key.get(), result.failure().orElseThrow());
        case OK -> keys.verified(key.get(), roundStarted);
        default -> {
            // Neither proven nor refused.
        }
        }
    }

    private static void tell(Runnable call) {
        try {
            call.run();
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "a live check listener failed", e);
        }
    }

    /** One turn of the loop: a round of what is due, then the wait for the next (only the loop's thread calls it). */
    private void turn() throws InterruptedException {
        if (closed) {
            throw new InterruptedException("closed");
        }
        try {
            runDue(trigger);
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "a live check round failed", e);
        }
        trigger = awaitNext();
    }

    /** The loop's thread, once started; readiness reports it when it stops. */
    public Optional<Daemon> daemon() {
        return Optional.ofNullable(loop);
    }

    /** Waits until the next target is due, or a reload; returns the trigger of the next round. */
    private String awaitNext() throws InterruptedException {
        long wait = Math.max(MIN_WAIT.toNanos(), nextDueIn());
        long deadline = realTime.read() + wait;
        synchronized (signal) {
            while (!wake && !closed) {
                long left = deadline - realTime.read();
                if (left <= 0) {
                    break;
                }
                signal.wait(Math.max(1, left / 1_000_000));
            }
            boolean reload = wake;
            wake = false;
            return reload ? "reload" : "interval";
        }
    }

    /** Ticker nanoseconds until the next target is due (0: now); {@link #IDLE_WAIT} while checks are off. */
    private long nextDueIn() {
        rounds.lock();
        try {
            Fleet f = fleet.get();
            PreflightSettings settings = f.config().observe().preflight();
            if (!settings.enabled()) {
                return IDLE_WAIT.toNanos();
            }
            long now = ticker.read();
            long next = settings.interval().toNanos();
            for (Target target : Target.usedBy(f.config()).keySet()) {
                Long last = lastStarted.get(target);
                next = Math.min(next, last == null ? 0 : Math.max(0, last + settings.interval().toNanos() - now));
            }
            return next;
        } finally {
            rounds.unlock();
        }
    }
}
