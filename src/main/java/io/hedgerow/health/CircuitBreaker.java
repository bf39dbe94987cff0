package io.hedgerow.health;

import io.hedgerow.config.BreakerSettings;

import io.hedgerow.model.FailureKind;
import io.hedgerow.time.Ticker;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A circuit breaker for one provider+model: stops sending calls to an upstream that keeps failing, and lets
 * a few probes through later to see whether it is back.
 *
 * <h2>Algorithm</h2>
 * <ul>
 *     <li><b>Closed</b>: calls flow. Successes and failures are counted in a sliding window of
 *     {@value #BUCKETS} buckets spanning {@link BreakerSettings#window()} (a sample leaves it after between
 *     9/10 and all of the window). When a failure is recorded and, in the window,
 *     {@code calls >= minimumCalls} and {@code failures / calls >= failureRatio}, the breaker opens.
 *     Neutral outcomes ({@link #onNeutral(Permit)}) are not calls for this arithmetic.</li>
 *     <li><b>Open</b>: {@link #acquire()} refuses at the cost of one volatile read, until {@code openFor} has
 *     passed. There is no timer: the first {@code acquire} after that moves the breaker to half-open and is its
 *     first probe.</li>
 *     <li><b>Half-open</b>: at most {@code halfOpenProbes} calls in flight. {@code successesToClose} successes
 *     close it with a fresh window; a single failure opens it again, for {@code openFor × 2^min(reopens, 1)}: 10 s,
 *     then 20 s at most with the default 10 s. A dead upstream is probed every 20 s, a real request at a time, so
 *     one that recovers is back in use within about 20 s, not after a ladder of minutes. Closing resets this. A
 *     trial whose probes all went out {@code openFor} ago with no outcome is started afresh.</li>
 * </ul>
 * An outcome counts only in the phase whose permit its call holds: an outcome from before the breaker last
 * changed state is stale and ignored.
 *
 * <p>Which failures count is {@link #counts(FailureKind)}: the upstream's own failures do; a 429 (the key's
 * business, see {@link KeyHealth}), a request the client got wrong and a cancelled hedge loser do not.
 *
 * <p>Why not Helidon Fault Tolerance's {@code CircuitBreaker}: it reads the real clock (so tests would sleep),
 * has no listener API for state changes, and has no notion of an outcome that is neither success nor failure.
 *
 * <h2>Threads</h2>
 * Thread-safe and lock-free on the request path. The state is an immutable {@link BreakerPhase} in an
 * {@link AtomicReference}, replaced by a compare-and-set loop; admitting a call while closed or refusing one
 * while open writes nothing. Changes of state (rare) are made under a small lock and their events delivered
 * before it is released, so listeners hear transitions in the order they happened. Listeners run on the
 * caller's thread; their exceptions are logged, never thrown.
 *
 * <p>Contract for callers: every {@link Permit} {@link #acquire()} hands out is followed by exactly one of
 * {@link #onSuccess}, {@link #onFailure} or {@link #onNeutral} with it; a call that was refused reports nothing.
 */
public final class CircuitBreaker {
    /** Buckets in the closed state's sliding window. */
    public static final int BUCKETS = 10;
    /**
     * Cap on how many times {@code openFor} a re-opened breaker stays open: twice, so an upstream that is down is
     * still probed every {@code 2 × openFor} (20 s by default) and is back in use within that of recovering.
     */
    public static final int MAX_OPEN_MULTIPLIER = 2;

    private final String name;
    private final BreakerSettings settings;
    private final Ticker ticker;
    private final HealthListener listener;
    private final BreakerPhase.Rules rules;
    private final AtomicReference<BreakerPhase> phase = new AtomicReference<>(BreakerPhase.Closed.fresh(0));
    // Only kind changes take it; it keeps event order equal to transition order.
    private final ReentrantLock transitions = new ReentrantLock();

    /**
     * A closed breaker.
     *
     * @param name     what events call it, e.g. {@code openai/gpt-4o}
     * @param settings its thresholds
     * @param ticker   the time source
     * @param listener told of every change of state
     */
    public CircuitBreaker(String name, BreakerSettings settings, Ticker ticker, HealthListener listener) {
        this(name, settings, ticker, listener, ProbeGate.LOCAL);
    }

    /**
     * A closed breaker whose probes, once open, are let through only when {@code gate} says so (one replica of a
     * fleet at a time).
     */
    public CircuitBreaker(String name, BreakerSettings settings, Ticker ticker, HealthListener listener,
                          ProbeGate gate) {
        this.name = Objects.requireNonNull(name, "name");
        this.settings = Objects.requireNonNull(settings, "settings");
        this.ticker = Objects.requireNonNull(ticker, "ticker");
        this.listener = Objects.requireNonNull(listener, "listener");
        this.rules = BreakerPhase.Rules.of(settings, ticker.read(), name, Objects.requireNonNull(gate, "gate"));
    }

    /**
     * Whether a failure of this kind counts against the upstream: server errors, connection failures, timeouts
     * and answers we could not understand do. Rate limiting, auth, the client's own errors (bad request,
     * context length, content filter), cancellation and the router's own bugs are neutral.
     */
    public static boolean counts(FailureKind kind) {
        Objects.requireNonNull(kind, "kind");
        return switch (kind) {
            case SERVER_ERROR, CONNECTION, TIMEOUT, BAD_RESPONSE, NOT_FOUND -> true;
            case RATE_LIMITED, AUTH, BAD_REQUEST, CONTEXT_LENGTH, CONTENT_FILTER, CANCELLED, UNAVAILABLE,
                 SHUTDOWN, INTERNAL -> false;
        };
    }

    public String name() {
        return name;
    }

    public BreakerSettings settings() {
        return settings;
    }

    /**
     * A call the breaker let through. Its outcome counts only in the phase that admitted it (see
     * {@link BreakerPhase}); report exactly one, once.
     *
     * @param serial the serial of the admitting phase
     */
    public record Permit(long serial) {
    }

    /**
     * Asks to make one call. Closed: always a permit. Open: none until {@code openFor} has passed, then one as the
     * breaker turns half-open. Half-open: one while fewer than {@code halfOpenProbes} probes are in flight (or when
     * the trial has timed out).
     */
    public Optional<Permit> acquire() {
        long now = ticker.read();
        while (true) {
            BreakerPhase current = phase.get();
            BreakerPhase.Step step = current.acquire(rules, now);
            if (!step.permitted()) {
                return Optional.empty();
            }
            if (commit(current, step)) {
                return Optional.of(new Permit(step.next().serial()));
            }
        }
    }

    /** The call admitted under {@code permit} succeeded. */
    public void onSuccess(Permit permit) {
        apply(permit, BreakerPhase::success);
    }

    /**
     * The call admitted under {@code permit} failed with {@code kind}: a failure if it {@link #counts counts},
     * else neutral.
     */
    public void onFailure(Permit permit, FailureKind kind) {
        apply(permit, counts(kind) ? BreakerPhase::failure : BreakerPhase::neutral);
    }

    /**
     * The call admitted under {@code permit} ended without saying anything about the upstream's health (429
     * pushback, a client error, a cancelled hedge loser, a bug of ours): releases its place and counts nothing.
     */
    public void onNeutral(Permit permit) {
        apply(permit, BreakerPhase::neutral);
    }

    // ---- without permits: tests that drive one phase at a time ----

    boolean tryAcquire() {
        return acquire().isPresent();
    }

    void onSuccess() {
        apply(null, BreakerPhase::success);
    }

    void onFailure() {
        apply(null, BreakerPhase::failure);
    }

    void onFailure(FailureKind kind) {
        apply(null, counts(kind) ? BreakerPhase::failure : BreakerPhase::neutral);
    }

    void onNeutral() {
        apply(null, BreakerPhase::neutral);
    }

    /** A snapshot of the state now. Does not move an open breaker to half-open; see {@link BreakerState#retryIn()}. */
    public BreakerState state() {
        return phase.get().snapshot(rules, ticker.read());
    }

    /**
     * While open, the time left before a probe is let through ({@link Duration#ZERO} once it would be);
     * empty when closed or half-open.
     */
    public Optional<Duration> retryIn() {
        if (phase.get() instanceof BreakerPhase.Open open) {
            return Optional.of(Duration.ofNanos(open.remainingNanos(ticker.read())));
        }
        return Optional.empty();
    }

    /**
     * Takes the phase another replica (or this router before a restart) put this upstream's breaker in: open until
     * {@code untilNanos} (this ticker's time) after {@code reopenCount} failed probes. Emits a
     * {@link HealthEvent.BreakerTransition} when the kind changes. An open breaker's own window is dropped.
     */
    public void adoptOpen(long untilNanos, int reopenCount, String reason) {
        adopt(serial -> new BreakerPhase.Open(untilNanos, reopenCount, serial), BreakerState.Kind.OPEN, reason);
    }

    /**
     * Takes the news that another replica's probes closed this upstream's breaker: closed with a fresh window.
     * Emits a {@link HealthEvent.BreakerTransition} when it was open or half-open here; a closed breaker keeps its
     * window.
     */
    public void adoptClosed(String reason) {
        adopt(BreakerPhase.Closed::fresh, BreakerState.Kind.CLOSED, reason);
    }

    /** While open: the ticker time the open period ends. Empty when closed or half-open. */
    public java.util.OptionalLong openUntilNanos() {
        return phase.get() instanceof BreakerPhase.Open open ? java.util.OptionalLong.of(open.untilNanos())
                : java.util.OptionalLong.empty();
    }

    // Adopted moves may skip a step the local rules take (open -> closed: the probes ran on another replica).
    private void adopt(java.util.function.LongFunction<BreakerPhase> phaseWithSerial, BreakerState.Kind kind,
                       String reason) {
        Objects.requireNonNull(reason, "reason");
        while (true) {
            BreakerPhase current = phase.get();
            if (current.kind() == kind) {
                BreakerPhase same = phaseWithSerial.apply(current.serial());
                if (current.kind() == BreakerState.Kind.CLOSED || current.equals(same)
                        || phase.compareAndSet(current, same)) {
                    return;
                }
                continue;
            }
            BreakerPhase next = phaseWithSerial.apply(current.serial() + 1);
            transitions.lock();
            try {
                if (!phase.compareAndSet(current, next)) {
                    continue;
                }
                EventDelivery.deliver(listener, new HealthEvent.BreakerTransition(name, current.kind(), next.kind(),
                                                                                 reason));
            } finally {
                transitions.unlock();
            }
            if (current.kind() == BreakerState.Kind.HALF_OPEN) {
                rules.gate().released(name);
            }
            return;
        }
    }

    @Override
    public String toString() {
        return "CircuitBreaker[" + name + ", " + phase.get().kind() + "]";
    }

    /** Applies an outcome to the phase that admitted its call; a stale one (another phase since) changes nothing. */
    private void apply(Permit permit, Signal signal) {
        long now = ticker.read();
        while (true) {
            BreakerPhase current = phase.get();
            if (permit != null && permit.serial() != current.serial()) {
                return;
            }
            if (commit(current, signal.on(current, rules, now))) {
                return;
            }
        }
    }

    /** Makes {@code step}'s move from {@code current}; false when another thread moved first (try again). */
    private boolean commit(BreakerPhase current, BreakerPhase.Step step) {
        BreakerPhase next = step.next();
        if (next == current) {
            return true;
        }
        if (next.kind() == current.kind()) {
            return phase.compareAndSet(current, next);
        }
        return transition(current, step);
    }

    private boolean transition(BreakerPhase current, BreakerPhase.Step step) {
        BreakerState.Kind from = current.kind();
        BreakerState.Kind to = step.next().kind();
        if (!from.canMoveTo(to)) {
            throw new IllegalStateException("breaker " + name + ": illegal transition " + from + " -> " + to);
        }
        transitions.lock();
        try {
            if (!phase.compareAndSet(current, step.next())) {
                return false;
            }
            EventDelivery.deliver(listener, new HealthEvent.BreakerTransition(name, from, to, step.reason()));
        } finally {
            transitions.unlock();
        }
        if (from == BreakerState.Kind.HALF_OPEN) {
            rules.gate().released(name);
        }
        return true;
    }

    @FunctionalInterface
    private interface Signal {
        BreakerPhase.Step on(BreakerPhase phase, BreakerPhase.Rules rules, long now);
    }
}
