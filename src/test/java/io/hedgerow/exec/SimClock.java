package io.hedgerow.exec;

import io.hedgerow.time.Ticker;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;

/**
 * Simulated time for races (discrete-event): the threads taking part run freely, and time moves only when every
 * one of them waits on this clock, in a race's {@link Inbox} or in {@link #sleep} (a scripted provider's latency);
 * it then jumps straight to the earliest time one of them waits for. Participants are the threads started through
 * {@link #spawn} and every attempt thread a race starts ({@link #start}). A participant blocked on anything else
 * (a latch a test holds) keeps time still, so a test may look at a race mid-way and let it go on.
 *
 * <p>A race waiting for a hedge delay of 500 ms therefore sees exactly 500 ms pass, however loaded the machine is.
 * The clock's monitor is a leaf lock: nothing is called out while holding it.
 */
final class SimClock implements Ticker, RaceTime {
    private final List<Waiter> parked = new ArrayList<>();
    private volatile long now;
    private int participants;

    /** One parked thread: woken by a post to its inbox, or once time reaches {@code until}. */
    private static final class Waiter {
        final long until;
        boolean woken;

        Waiter(long until) {
            this.until = until;
        }
    }

    SimClock() {
        this(Duration.ofHours(1));
    }

    /** Time starts at {@code origin} (not 0, so nothing confuses "never" with "at the start"). */
    SimClock(Duration origin) {
        this.now = origin.toNanos();
    }

    @Override
    public long read() {
        return now;
    }

    @Override
    public Ticker ticker() {
        return this;
    }

    @Override
    public Inbox inbox() {
        return new SimInbox();
    }

    @Override
    public void start(String name, Runnable body) {
        synchronized (this) {
            participants++;
        }
        Thread.ofVirtual().name(name).start(() -> {
            try {
                body.run();
            } finally {
                leave();
            }
        });
    }

    /** Runs {@code task} on a new participant thread. */
    <T> CompletableFuture<T> spawn(Callable<T> task) {
        return spawn(1, task).getFirst();
    }

    /**
     * Runs {@code task} {@code n} times at once, each on a new participant thread: all take part before any starts,
     * so no time passes while they are being started.
     */
    <T> List<CompletableFuture<T>> spawn(int n, Callable<T> task) {
        synchronized (this) {
            participants += n;
        }
        List<CompletableFuture<T>> results = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            CompletableFuture<T> result = new CompletableFuture<>();
            results.add(result);
            Thread.ofVirtual().name("sim-task").start(() -> {
                try {
                    result.complete(task.call());
                } catch (Throwable e) {
                    result.completeExceptionally(e);
                } finally {
                    leave();
                }
            });
        }
        return results;
    }

    /** Waits {@code d} of simulated time; the caller must be a participant. Interruptible, as a real wait is. */
    void sleep(Duration d) throws InterruptedException {
        synchronized (this) {
            Waiter waiter = new Waiter(now + d.toNanos());
            park(waiter);
        }
    }

    /** Moves time forward by {@code d} from outside (the test's own thread, not a participant). */
    synchronized void advance(Duration d) {
        now += d.toNanos();
        wakeDue();
    }

    /** Milliseconds since {@code origin}, for readable assertions. */
    long millisSince(long originNanos) {
        return (now - originNanos) / 1_000_000;
    }

    private synchronized void leave() {
        participants--;
        maybeAdvance();
    }

    /** Parks the calling participant until its waiter is woken. Caller holds the monitor. */
    private void park(Waiter waiter) throws InterruptedException {
        parked.add(waiter);
        maybeAdvance();
        try {
            while (!waiter.woken) {
                wait();
            }
        } catch (InterruptedException e) {
            parked.remove(waiter);
            throw e;
        }
    }

    /** When every participant is parked, time jumps to the earliest wake-up. Caller holds the monitor. */
    private void maybeAdvance() {
        if (parked.isEmpty() || parked.size() < participants) {
            return;
        }
        long next = Long.MAX_VALUE;
        for (Waiter waiter : parked) {
            next = Math.min(next, waiter.until);
        }
        if (next == Long.MAX_VALUE) {
            return; // everyone waits for a signal nobody will send: the test's own timeout reports it
        }
        if (next - now > 0) {
            now = next;
        }
        wakeDue();
    }

    private void wakeDue() {
        boolean any = false;
        for (int i = parked.size() - 1; i >= 0; i--) {
            Waiter waiter = parked.get(i);
            if (waiter.until - now <= 0) {
                waiter.woken = true;
                parked.remove(i);
                any = true;
            }
        }
        if (any) {
            notifyAll();
        }
    }

    private final class SimInbox implements Inbox {
        private final ArrayDeque<AttemptSignal> queue = new ArrayDeque<>();
        private Waiter waiter;

        @Override
        public void post(AttemptSignal signal) {
            synchronized (SimClock.this) {
                queue.add(signal);
                if (waiter != null && !waiter.woken) {
                    waiter.woken = true;
                    parked.remove(waiter);
                    SimClock.this.notifyAll();
                }
            }
        }

        @Override
        public Optional<AttemptSignal> take(long untilNanos) throws InterruptedException {
            synchronized (SimClock.this) {
                if (queue.isEmpty() && untilNanos - now > 0) {
                    waiter = new Waiter(untilNanos);
                    try {
                        park(waiter);
                    } finally {
                        waiter = null;
                    }
                }
                return Optional.ofNullable(queue.poll());
            }
        }

        @Override
        public List<AttemptSignal> drain() {
            synchronized (SimClock.this) {
                List<AttemptSignal> out = new ArrayList<>(queue);
                queue.clear();
                return out;
            }
        }
    }
}
