package io.hedgerow.exec;

import io.hedgerow.config.BudgetSettings;
import io.hedgerow.config.DemotionSettings;
import io.hedgerow.config.FailoverSettings;
import io.hedgerow.config.HedgingSettings;
import io.hedgerow.health.HealthListener;
import io.hedgerow.health.HealthRegistry;
import io.hedgerow.time.Ticker;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.PriorityQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Simulated time for races (discrete-event): the threads taking part run freely, and time moves only when every
 * one of them waits on this clock, in a race's {@link Inbox} or in {@link #sleep} (a scripted provider's latency);
 * it then jumps straight to the earliest time one of them waits for. Participants are the threads started through
 * {@link #spawn} and every attempt thread a race starts ({@link #start}). A participant blocked on anything else
 * (a latch a test holds) keeps time still, so a test may look at a race mid-way and let it go on.
 *
 * <p>A race waiting for a hedge delay of 500 ms therefore sees exactly 500 ms pass, however loaded the machine is.
 * The clock's lock is a leaf lock: nothing is called out while holding it. Each parked thread has a condition of its
 * own, so a step of time wakes only the threads it is due for.
 */
final class SimClock implements Ticker, RaceTime {
    private final ReentrantLock lock = new ReentrantLock();
    /** Parked waiters, earliest first; woken ones leave lazily ({@link #parkedCount} counts the others). */
    private final PriorityQueue<Waiter> parked = new PriorityQueue<>(Comparator.comparingLong(w -> w.until));
    private volatile long now;
    private int participants;
    private int parkedCount;

    /** One parked thread: woken by a post to its inbox, or once time reaches {@code until}. */
    private final class Waiter {
        final long until;
        final Thread thread = Thread.currentThread();
        final Condition condition = lock.newCondition();
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
        join(1);
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
        join(n);
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
        lock.lock();
        try {
            park(new Waiter(now + d.toNanos()));
        } finally {
            lock.unlock();
        }
    }

    /** Moves time forward by {@code d} from outside (the test's own thread, not a participant). */
    void advance(Duration d) {
        lock.lock();
        try {
            now += d.toNanos();
            wakeDue();
        } finally {
            lock.unlock();
        }
    }

    /** Milliseconds since {@code originNanos}, for readable assertions. */
    long millisSince(long originNanos) {
        return (now - originNanos) / 1_000_000;
    }

    private void join(int n) {
        lock.lock();
        try {
            participants += n;
        } finally {
            lock.unlock();
        }
    }

    private void leave() {
        lock.lock();
        try {
            participants--;
            maybeAdvance();
        } finally {
            lock.unlock();
        }
    }

    /** Parks the calling participant until its waiter is woken. Caller holds the lock. */
    private void park(Waiter waiter) throws InterruptedException {
        parked.add(waiter);
        parkedCount++;
        maybeAdvance();
        try {
            while (!waiter.woken) {
                waiter.condition.await();
            }
        } catch (InterruptedException e) {
            wake(waiter);
            throw e;
        }
    }

    /** Marks a parked waiter woken (it leaves the queue lazily) and signals it. Caller holds the lock. */
    private void wake(Waiter waiter) {
        if (!waiter.woken) {
            waiter.woken = true;
            parkedCount--;
            waiter.condition.signal();
        }
    }

    /** When every participant is parked, time jumps to the earliest wake-up. Caller holds the lock. */
    private void maybeAdvance() {
        if (parkedCount == 0 || parkedCount < participants) {
            return;
        }
        while (!parked.isEmpty() && parked.peek().woken) {
            parked.poll();
        }
        for (Waiter waiter : parked) {
            if (!waiter.woken && waiter.thread.isInterrupted()) {
                return; // about to wake up and run (an aborted attempt): not waiting on the clock any more
            }
        }
        if (parked.isEmpty() || parked.peek().until == Long.MAX_VALUE) {
            return; // everyone waits for a signal nobody will send: the test's own timeout reports it
        }
        long next = parked.peek().until;
        if (next - now > 0) {
            now = next;
        }
        wakeDue();
    }

    private void wakeDue() {
        while (!parked.isEmpty() && (parked.peek().woken || parked.peek().until - now <= 0)) {
            wake(parked.poll());
        }
    }

    private final class SimInbox implements Inbox {
        private final ArrayDeque<AttemptSignal> queue = new ArrayDeque<>();
        private Waiter waiter;

        @Override
        public void post(AttemptSignal signal) {
            lock.lock();
            try {
                queue.add(signal);
                if (waiter != null) {
                    wake(waiter);
                }
            } finally {
                lock.unlock();
            }
        }

        @Override
        public Optional<AttemptSignal> take(long untilNanos) throws InterruptedException {
            lock.lock();
            try {
                if (queue.isEmpty() && untilNanos - now > 0) {
                    waiter = new Waiter(untilNanos);
                    try {
                        park(waiter);
                    } finally {
                        waiter = null;
                    }
                }
                return Optional.ofNullable(queue.poll());
            } finally {
                lock.unlock();
            }
        }

        @Override
        public List<AttemptSignal> drain() {
            lock.lock();
            try {
                List<AttemptSignal> out = new ArrayList<>(queue);
                queue.clear();
                return out;
            } finally {
                lock.unlock();
            }
        }
    }

    /** A health registry on this clock: default settings but for the hedge budget. */
    HealthRegistry health(BudgetSettings budget) {
        return new HealthRegistry(FailoverSettings.DEFAULTS,
                                  new HedgingSettings(budget, HedgingSettings.DEFAULTS.baseline(),
                                                      DemotionSettings.DEFAULTS, HedgingSettings.DEFAULTS.defaults()),
                                  this, HealthListener.NONE);
    }
}
