package io.hedgerow.exec;

import io.hedgerow.time.Ticker;

/**
 * Where a race's time and threads come from: the ticker it reads, the inbox it waits on, and how its attempts'
 * threads start. Production reads the JVM's monotonic clock and starts virtual threads; tests pass a simulated
 * clock that advances only when every thread taking part waits on it, so hedge delays, retries, budgets and
 * demotion play out deterministically with no wall-clock wait.
 */
interface RaceTime {
    Ticker ticker();

    /** A fresh inbox for one race. */
    Inbox inbox();

    /** Runs {@code body} on a new thread of its own, named {@code name}. */
    void start(String name, Runnable body);

    /** Virtual threads, and inboxes that wait on real time read through {@code ticker}. */
    static RaceTime of(Ticker ticker) {
        return new RaceTime() {
            @Override
            public Ticker ticker() {
                return ticker;
            }

            @Override
            public Inbox inbox() {
                return Inbox.blocking(ticker);
            }

            @Override
            public void start(String name, Runnable body) {
                Thread.ofVirtual().name(name).start(body);
            }
        };
    }
}
