package io.hedgerow.exec;

import io.hedgerow.time.Ticker;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A race's mailbox: its attempts post what they did, the race takes one signal at a time, waiting at most until a
 * point in ticker time (its next hedge, retry or deadline). Waiting is the inbox's business, so that a simulated
 * clock in tests can drive every wait of the race deterministically.
 */
interface Inbox {
    /** Posts a signal; never blocks. Called from attempt threads. */
    void post(AttemptSignal signal);

    /**
     * The next signal, waiting until one is posted or ticker time reaches {@code untilNanos}, whichever is first;
     * empty when the time came first. May return early and empty (the caller re-checks its timers).
     */
    Optional<AttemptSignal> take(long untilNanos) throws InterruptedException;

    /** Every signal posted and not yet taken, without waiting. */
    List<AttemptSignal> drain();

    /** An inbox that waits on the JVM's monotonic time, converted through {@code ticker}. */
    static Inbox blocking(Ticker ticker) {
        return new Inbox() {
            private final LinkedBlockingQueue<AttemptSignal> queue = new LinkedBlockingQueue<>();

            @Override
            public void post(AttemptSignal signal) {
                queue.add(signal);
            }

            @Override
            public Optional<AttemptSignal> take(long untilNanos) throws InterruptedException {
                long wait = untilNanos - ticker.read();
                return Optional.ofNullable(wait <= 0 ? queue.poll() : queue.poll(wait, TimeUnit.NANOSECONDS));
            }

            @Override
            public List<AttemptSignal> drain() {
                List<AttemptSignal> out = new ArrayList<>();
                queue.drainTo(out);
                return out;
            }
        };
    }
}
