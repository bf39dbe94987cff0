package io.hedgerow.time;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/**
 * A thread of the router's own (the client watch, the stall watchdog, the config watcher, the live-check loop) that
 * must outlive whatever goes wrong in it: its body runs again and again until {@link #close()}, and any
 * {@link Throwable} it throws (an {@link OutOfMemoryError} from a heap another request exhausted, a bug) is logged
 * once and survived. A thread that still ends or stops beating is reported by {@link #problem()}, which readiness
 * shows.
 *
 * <p>Logging once: the first failure of each kind (class and message) is logged with its stack trace, repeats are
 * counted, and the first success after failures is logged with the count. Logging itself may fail (on a full heap):
 * that is survived too.
 *
 * <p>A periodic daemon ({@link #every}) sleeps {@code period} between runs and beats each time round; it counts as
 * stuck when it has not beaten for {@code 10 x period + 5 s} of its ticker's time. A looping daemon ({@link #loop})
 * waits inside its body (for file events, a signal) and is judged only on being alive.
 *
 * <p>A periodic daemon may be given work to watch ({@link #every(String, Duration, Ticker, BooleanSupplier, Runnable)}):
 * when a run finds none, it parks until {@link #wake()} (no tick at all on an idle router), and is not judged stuck
 * while parked. Lost wake-ups are excluded by the order of two volatile accesses on each side: the daemon announces
 * it is parking, then checks for work; {@link #wake()}'s caller makes work visible, then checks for a parked daemon.
 */
public final class Daemon implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(Daemon.class.getName());
    private static final long GRACE = Duration.ofSeconds(5).toNanos();
    private static final Duration LOOP_BACKOFF = Duration.ofSeconds(1);

    /** One turn of a daemon's work; it may block, and ends the daemon by being interrupted through close. */
    @FunctionalInterface
    public interface Body {
        void run() throws InterruptedException;
    }

    private final String name;
    private final Body body;
    private final BooleanSupplier busy;
    private final long periodNanos;
    private final Ticker ticker;
    private final Thread thread;
    private volatile boolean running = true;
    private volatile long lastBeat;
    private volatile long failures;
    private volatile boolean parked;
    private volatile String ended;
    private String lastKind;
    private long streak;

    private Daemon(String name, long periodNanos, Ticker ticker, BooleanSupplier busy, Body body) {
        this.name = Objects.requireNonNull(name, "name");
        this.body = Objects.requireNonNull(body, "body");
        this.busy = Objects.requireNonNull(busy, "busy");
        this.periodNanos = periodNanos;
        this.ticker = Objects.requireNonNull(ticker, "ticker");
        this.lastBeat = ticker.read();
        this.thread = Thread.ofPlatform().daemon().name(name).unstarted(this::run);
    }

    /** Starts a daemon thread that runs {@code task} every {@code period} (real time). */
    public static Daemon every(String name, Duration period, Runnable task) {
        return every(name, period, Ticker.system(), task);
    }

    /** As {@link #every(String, Duration, Runnable)}, judging staleness on {@code ticker} (tests advance a fake one). */
    public static Daemon every(String name, Duration period, Ticker ticker, Runnable task) {
        return every(name, period, ticker, () -> true, task);
    }

    /**
     * As {@link #every(String, Duration, Ticker, Runnable)}, but after a run that leaves {@code busy} false the thread
     * parks until {@link #wake()}: whoever gives it work (a request, a connection) calls {@code wake()} after making
     * {@code busy} true.
     */
    public static Daemon every(String name, Duration period, Ticker ticker, BooleanSupplier busy, Runnable task) {
        Objects.requireNonNull(task, "task");
        if (period.isNegative() || period.isZero()) {
            throw new IllegalArgumentException("period: " + period + " (expected: positive)");
        }
        return new Daemon(name, period.toNanos(), ticker, busy, task::run).start();
    }

    /** Starts a daemon thread that runs {@code body} over and over; the body does its own waiting. */
    public static Daemon loop(String name, Body body) {
        return new Daemon(name, 0, Ticker.system(), () -> true, body).start();
    }

    /** There is work to watch: a parked daemon runs again (at its next period). Cheap when it is not parked. */
    public void wake() {
        if (parked) {
            LockSupport.unpark(thread);
        }
    }

    /** Whether the daemon is parked, with nothing to watch. */
    public boolean parked() {
        return parked;
    }

    private Daemon start() {
        thread.start();
        return this;
    }

    public String name() {
        return name;
    }

    /** Runs of the body that threw, since start. */
    public long failures() {
        return failures;
    }

    /** What is wrong with this daemon, if something is: its thread ended, or it stopped beating. */
    public Optional<String> problem() {
        if (!running) {
            return Optional.empty();
        }
        if (!thread.isAlive()) {
            return Optional.of(name + " stopped" + (ended == null ? "" : ": " + ended));
        }
        if (periodNanos > 0 && !parked) {
            long silent = ticker.read() - lastBeat;
            if (silent > 10 * periodNanos + GRACE) {
                return Optional.of(name + " has not run for " + silent / 1_000_000 + " ms");
            }
        }
        return Optional.empty();
    }

    private void run() {
        try {
            while (running) {
                try {
                    if (periodNanos > 0) {
                        Thread.sleep(Duration.ofNanos(periodNanos));
                    }
                    body.run();
                    lastBeat = ticker.read();
                    if (streak > 0) {
                        recovered();
                    }
                    parkWhileIdle();
                } catch (InterruptedException e) {
                    if (!running) {
                        return;
                    }
                } catch (Throwable t) {
                    lastBeat = ticker.read();
                    failed(t);
                    if (periodNanos == 0) {
                        backOff();
                    }
                }
            }
        } catch (Throwable t) {
            ended = t.getClass().getName();
            throw t;
        }
    }

    /** With nothing to watch, parks until {@link #wake()} (or close); its stuck-clock restarts when it wakes. */
    private void parkWhileIdle() {
        if (busy.getAsBoolean()) {
            return;
        }
        parked = true;
        try {
            while (running && !busy.getAsBoolean()) {
                LockSupport.park(this);
                if (Thread.interrupted() && !running) {
                    return;
                }
            }
        } finally {
            lastBeat = ticker.read();
            parked = false;
        }
    }

    /** A looping body that fails at once would otherwise spin: wait a second before the next turn. */
    private void backOff() {
        try {
            Thread.sleep(LOOP_BACKOFF);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void failed(Throwable t) {
        failures++;
        streak++;
        try {
            String kind = t.getClass().getName() + ": " + t.getMessage();
            if (!kind.equals(lastKind)) {
                lastKind = kind;
                LOG.log(System.Logger.Level.ERROR, name + " failed (it carries on; repeats are not logged)", t);
            }
        } catch (Throwable ignored) {
            // Logging failed too (a full heap): the next turn tries again.
        }
    }

    private void recovered() {
        long count = streak;
        streak = 0;
        lastKind = null;
        try {
            LOG.log(System.Logger.Level.WARNING, "{0} runs again after {1} failed turns", name, Long.toString(count));
        } catch (Throwable ignored) {
            // As above.
        }
    }

    /** Stops the thread (interrupting what it waits for); idempotent. */
    @Override
    public void close() {
        running = false;
        thread.interrupt();
    }
}
