package io.hedgerow.api;

import io.hedgerow.config.ServerLimits;
import io.hedgerow.time.Ticker;

import java.time.Duration;
import java.util.Comparator;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * Which client connections the router keeps: none may sit silent, none may take longer than the read timeout to send
 * a request's head, and a full house makes room for a newcomer by closing an idle connection, never a busy one.
 *
 * <p>Each connection is, at any moment, <em>idle</em> (waiting for the first byte of its next request),
 * <em>sending a head</em> (bytes of a request line or headers arrived, the head is not complete) or <em>busy</em>
 * (its head is complete, its request is being served). Deadlines, checked by {@link #scan()}:
 * <ul>
 *     <li>a new connection must complete its first head within {@code read-timeout} of being accepted, whether it
 *     sends nothing or drips bytes;</li>
 *     <li>a kept-alive connection may stay idle for {@code idle-timeout}; from the first byte of its next request, it
 *     has {@code read-timeout} to complete the head;</li>
 *     <li>a busy connection is the request's business ({@link ClientWatch} bounds its body, its writes and its whole
 *     life);</li>
 *     <li>a connection that ends while its client may still be sending ({@link Conn#linger}) is read and dropped
 *     until the client has been quiet for {@link #LINGER_QUIET} (or stops, or {@code read-timeout} passes), so that
 *     the close is a FIN after the answer: closed with bytes unread, a socket sends a reset, which can destroy the
 *     answer before the client reads it.</li>
 * </ul>
 * Admission ({@link #admit}): with {@code max-connections} open, a newcomer is let in by closing the connection that
 * has been idle longest (a silent one first: every connection that never sent a byte has been idle since it was
 * accepted); when none is idle, the newcomer is closed at once.
 *
 * <p>Thread-safe: admission is serialized; each connection's state is written by its own thread and read by the scan.
 * Time is real time (socket deadlines), read from the ticker given.
 */
final class ConnectionGate {
    private static final System.Logger LOG = System.getLogger(ConnectionGate.class.getName());
    /** How long a lingering connection may be quiet before it is closed. */
    static final Duration LINGER_QUIET = Duration.ofMillis(500);
    /** How often a full house is reported, at most. */
    private static final long REPORT_EVERY_NANOS = Duration.ofSeconds(10).toNanos();

    private final Supplier<ServerLimits> limits;
    private final Ticker ticker;
    private final Set<Conn> open = ConcurrentHashMap.newKeySet();
    private final AtomicLong shed = new AtomicLong();
    private final AtomicLong timedOut = new AtomicLong();
    private final AtomicLong refused = new AtomicLong();
    private long reportedShed;
    private long reportedRefused;
    private long reportedAt;

    ConnectionGate(Supplier<ServerLimits> limits, Ticker ticker) {
        this.limits = Objects.requireNonNull(limits, "limits");
        this.ticker = Objects.requireNonNull(ticker, "ticker");
    }

    /** How one connection is closed from outside its thread. */
    interface Handle {
        /** Closes the connection now, whatever its thread is doing. */
        void close();
    }

    /**
     * A new connection asks to be kept: empty when it must be closed at once (the house is full of busy ones).
     * Otherwise it is registered, idle since now, and the longest-idle connection may have been closed for it.
     */
    synchronized Optional<Conn> admit(Handle handle, String remote) {
        Conn conn = new Conn(handle, remote, ticker.read());
        int max = limits.get().maxConnections();
        if (open.size() >= max) {
            Optional<Conn> victim = open.stream().filter(Conn::waiting)
                    .min(Comparator.comparingLong((Conn c) -> c.idleSince));
            if (victim.isEmpty()) {
                refused.incrementAndGet();
                report(max, conn.idleSince);
                return Optional.empty();
            }
            shed.incrementAndGet();
            close(victim.get());
            report(max, conn.idleSince);
        }
        open.add(conn);
        return Optional.of(conn);
    }

    /**
     * Says (at most every 10 s) how many connections a full house cost since the last report: a router that closes
     * its clients' connections must say so, or a burst's lost connections look like the clients' own failure.
     */
    private synchronized void report(int max, long now) {
        long s = shed.get();
        long r = refused.get();
        if ((s == reportedShed && r == reportedRefused) || (reportedAt != 0 && now - reportedAt < REPORT_EVERY_NANOS)) {
            return;
        }
        LOG.log(System.Logger.Level.WARNING, "max-connections ({0}) reached: {1} newcomer(s) closed at once (every "
                        + "connection busy), {2} idle connection(s) closed to make room; raise server.max-connections "
                        + "if these are real clients", max, r - reportedRefused, s - reportedShed);
        reportedShed = s;
        reportedRefused = r;
        reportedAt = Math.max(1, now);
    }

    /** Connections kept now. */
    int open() {
        return open.size();
    }

    /** Counters since start: idle connections closed to make room, connections cut for a late head, newcomers refused. */
    long shedCount() {
        return shed.get();
    }

    long timedOutCount() {
        return timedOut.get();
    }

    long refusedCount() {
        return refused.get();
    }

    /** Closes every connection whose head is overdue. */
    void scan() {
        ServerLimits l = limits.get();
        long read = l.readTimeout().toNanos();
        long idle = l.idleTimeout().toNanos();
        long now = ticker.read();
        report(l.maxConnections(), now);
        for (Conn conn : open) {
            if (conn.lingerSince != 0) {
                if (conn.lingerOver(now, read)) {
                    close(conn);
                }
            } else if (conn.overdue(now, read, idle)) {
                timedOut.incrementAndGet();
                LOG.log(System.Logger.Level.DEBUG, "closing a connection from {0}: no complete request in time",
                        conn.remote);
                close(conn);
            }
        }
    }

    private void close(Conn conn) {
        open.remove(conn);
        conn.closed = true;
        conn.handle.close();
    }

    /** One connection's state. Its own thread moves it along; the scan reads it. */
    final class Conn {
        private final Handle handle;
        private final String remote;
        private volatile long idleSince;
        private volatile long headSince;
        private volatile boolean busy;
        private volatile boolean first = true;
        private volatile boolean closed;
        private volatile long lingerSince;
        private volatile long lastBytes;

        private Conn(Handle handle, String remote, long now) {
            this.handle = handle;
            this.remote = remote;
            this.idleSince = now;
        }

        /** Bytes of a request head arrived (the first ones start its read timeout). */
        void headBytes() {
            if (headSince == 0 && !busy) {
                headSince = Math.max(1, ticker.read());
            }
        }

        /** The request's head is complete: its request is being served. */
        void busy() {
            busy = true;
        }

        /** The request was answered: the connection waits for its next request. */
        void answered() {
            first = false;
            headSince = 0;
            idleSince = ticker.read();
            busy = false;
        }

        /**
         * The connection is ending, its answer sent, and what the client still sends is read and dropped: from now
         * on the gate closes it once the client has been quiet for {@link #LINGER_QUIET}, or after
         * {@code read-timeout}.
         */
        void linger() {
            long now = Math.max(1, ticker.read());
            lastBytes = now;
            busy = false;
            headSince = 0;
            lingerSince = now;
        }

        /** Bytes arrived while lingering. */
        void lingered() {
            lastBytes = ticker.read();
        }

        /** The connection ended (its thread is leaving). */
        void gone() {
            open.remove(this);
        }

        boolean closedByGate() {
            return closed;
        }

        /** Idle: waiting for the first byte of a request. */
        boolean waiting() {
            return !busy && headSince == 0;
        }

        private boolean lingerOver(long now, long read) {
            long since = lingerSince;
            return since != 0 && (now - lastBytes >= LINGER_QUIET.toNanos() || now - since >= read);
        }

        private boolean overdue(long now, long read, long idle) {
            if (busy) {
                return false;
            }
            if (first) {
                return now - idleSince >= read;
            }
            long since = headSince;
            return since != 0 ? now - since >= read : now - idleSince >= idle;
        }
    }
}
