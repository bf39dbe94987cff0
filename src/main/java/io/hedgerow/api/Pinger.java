package io.hedgerow.api;

import java.time.Duration;
import java.util.concurrent.locks.LockSupport;

/**
 * Keeps a committed stream alive while it waits: whenever nothing was written for {@code interval}, sends a keep-alive
 * through {@code ping} (Anthropic's {@code ping} event). Runs on its own virtual thread from {@link #start} to
 * {@link #close}; a failed write (the client is gone) ends it quietly, as the request's own next write will report
 * the client gone.
 */
final class Pinger implements AutoCloseable {
    private final SseWriter sse;
    private final Runnable ping;
    private final long intervalNanos;
    private final Thread thread;
    private volatile boolean closed;

    private Pinger(SseWriter sse, Runnable ping, Duration interval) {
        this.sse = sse;
        this.ping = ping;
        this.intervalNanos = interval.toNanos();
        this.thread = Thread.ofVirtual().name("hedgerow-ping").unstarted(this::run);
    }

    static Pinger start(SseWriter sse, Runnable ping, Duration interval) {
        Pinger pinger = new Pinger(sse, ping, interval);
        pinger.thread.start();
        return pinger;
    }

    private void run() {
        try {
            while (!closed) {
                long idle = sse.idleNanos();
                if (idle >= intervalNanos && !closed) {
                    ping.run();
                    idle = 0;
                }
                LockSupport.parkNanos(this, intervalNanos - idle);
            }
        } catch (RuntimeException e) {
            // The client is gone (or leaving): nothing to keep alive.
        }
    }

    /** Stops the pings and waits for a ping being written, so that nothing follows the stream's own last event. */
    @Override
    public void close() {
        closed = true;
        LockSupport.unpark(thread);
        try {
            thread.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
