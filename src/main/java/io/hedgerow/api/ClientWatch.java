package io.hedgerow.api;

import io.hedgerow.time.Ticker;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Keeps slow or departed clients from pinning the router: a request's thread is interrupted when its client takes
 * too long to send its body, does not take an answer's bytes, or has gone away. On the virtual threads
 * Helidon serves with, interrupting a thread blocked on a socket closes that socket, so the stuck read or write
 * fails at once, and a thread waiting for an upstream (a race) stops waiting. The connection is then closed: a
 * clean close for the client, and the request's upstream attempts are aborted.
 *
 * <p>Each watched thread has a {@link Guard}: a phase deadline armed around one read or write (the body, one write of
 * an answer), a backstop deadline for the whole request, and optionally its connection, whose state is looked up in
 * the kernel's TCP table ({@link TcpTable}) while the request runs: a client that closed ({@code CLOSE_WAIT}) or reset
 * (gone from the table) has left. The front door's daemon calls {@link #scan()} every 100 ms; it reads the TCP table
 * only when some request has been running longer than {@code presenceAfter} (quick requests never cost a read), and
 * at most every {@code presencePeriod} or every {@value #READ_COST_RATIO} times what the last read took, whichever is
 * longer. The kernel formats the whole table for each read, every socket of the machine included ({@code TIME_WAIT}
 * too): on a busy host that is ~20 ms of CPU a read, and reading it 4 times a second while any long request is in
 * flight was the router's main cost at low request rates (issue 12). Bounded by its own cost, the watch spends at
 * most ~1% of a core on the table, and a departure is noticed within a period (250 ms) on a small table, within
 * ~2 s on a table of thousands of sockets. A request's head is not watched here: the {@link ConnectionGate} times it.
 *
 * <p>Firing and disarming exclude each other (both under the guard's lock), and disarming clears an interrupt that
 * arrived after the guarded operation completed, so a late deadline never leaks into the rest of the request.
 *
 * <p>Time is real time: socket deadlines have nothing to do with the policy ticker tests may fake.
 */
final class ClientWatch {
    private static final System.Logger LOG = System.getLogger(ClientWatch.class.getName());
    private static final long NONE = Long.MAX_VALUE;
    private static final ThreadLocal<Guard> CURRENT = new ThreadLocal<>();
    /** The next read of the TCP table waits at least this many times what the last one took. */
    static final int READ_COST_RATIO = 100;
    private static final Duration PRESENCE_AFTER = Duration.ofMillis(500);
    private static final Duration PRESENCE_PERIOD = Duration.ofMillis(250);

    private final Ticker ticker;
    private final Optional<TcpTable> tcp;
    private final long presenceAfterNanos;
    private final long presencePeriodNanos;
    private final Set<Guard> guards = ConcurrentHashMap.newKeySet();
    private long nextTableRead = Long.MIN_VALUE;

    private ClientWatch(Ticker ticker, Optional<TcpTable> tcp, Duration presenceAfter, Duration presencePeriod) {
        this.ticker = ticker;
        this.tcp = tcp;
        this.presenceAfterNanos = presenceAfter.toNanos();
        this.presencePeriodNanos = presencePeriod.toNanos();
    }

    /** A watch with the system's TCP table when there is one, read for requests running 500 ms or more. */
    static ClientWatch create(Ticker ticker) {
        Optional<TcpTable> tcp = TcpTable.system();
        if (tcp.isEmpty()) {
            LOG.log(System.Logger.Level.INFO, "no readable /proc/net/tcp: a client that leaves before its answer "
                    + "starts is noticed only when the answer is written");
        }
        return new ClientWatch(ticker, tcp, PRESENCE_AFTER, PRESENCE_PERIOD);
    }

    /** A watch with the router's settings over {@code table} (tests time its reads). */
    static ClientWatch create(Ticker ticker, TcpTable table) {
        return new ClientWatch(ticker, Optional.of(table), PRESENCE_AFTER, PRESENCE_PERIOD);
    }

    /** A watch that checks presence at every scan: tests call {@link #scan()}. */
    static ClientWatch manual(Ticker ticker, Optional<TcpTable> tcp) {
        return new ClientWatch(ticker, tcp, Duration.ZERO, Duration.ZERO);
    }

    /** The guard of the request running on this thread, if it is watched. */
    static Optional<Guard> current() {
        return Optional.ofNullable(CURRENT.get());
    }

    /**
     * Starts watching the calling thread for one request: it is interrupted when {@code backstop} has passed
     * (whatever it is doing) or when a phase deadline armed on the guard passes. Close the guard when done.
     */
    Guard open(Duration backstop, Duration writeTimeout) {
        Guard guard = new Guard(Thread.currentThread(), ticker.read(), backstop.toNanos(), writeTimeout.toNanos());
        guards.add(guard);
        CURRENT.set(guard);
        return guard;
    }

    /** Guards registered now (for tests and the soak's leak checks). */
    int watching() {
        return guards.size();
    }

    /** One pass: fires every guard whose deadline passed or whose client has gone. */
    void scan() {
        long now = ticker.read();
        List<Guard> presence = new ArrayList<>();
        for (Guard guard : guards) {
            if (guard.thread.getState() == Thread.State.TERMINATED) {
                // Defensive: every guard is closed by its thread, but a thread that died is never waited for.
                guards.remove(guard);
                continue;
            }
            Optional<String> overdue = guard.overdue(now);
            if (overdue.isPresent()) {
                guard.fire(overdue.get());
            } else if (guard.localPort > 0 && now - guard.startedNanos >= presenceAfterNanos) {
                presence.add(guard);
            }
        }
        if (!presence.isEmpty() && tcp.isPresent() && now >= nextTableRead) {
            checkPresence(presence);
            long done = ticker.read();
            long cost = Math.max(0, done - now);
            nextTableRead = done + Math.max(presencePeriodNanos, Math.min(cost, Long.MAX_VALUE / (2 * READ_COST_RATIO))
                    * READ_COST_RATIO);
        }
    }

    private void checkPresence(List<Guard> watched) {
        Set<Integer> ports = new HashSet<>();
        watched.forEach(g -> ports.add(g.localPort));
        Map<Long, Integer> states;
        try {
            states = tcp.get().read(ports);
        } catch (IOException | RuntimeException e) {
            LOG.log(System.Logger.Level.DEBUG, "cannot read the TCP table", e);
            return;
        }
        for (Guard guard : watched) {
            Integer state = states.get(TcpTable.key(guard.localPort, guard.remotePort));
            if (state == null || state == TcpTable.CLOSE_WAIT) {
                guard.fire("the client disconnected");
            }
        }
    }

    /** How a streamed answer ended, as written to the client. */
    enum Ending {
        /** Not a stream, or not ended yet. */
        NONE,
        /** {@code data: [DONE]} was written. */
        DONE,
        /** An SSE error event was written. */
        ERROR,
        /** A write failed: the client is gone. */
        BROKEN
    }

    /**
     * One watched request (or one read of a body): its thread, deadlines and connection. The phase deadline and the
     * connection are set by the request's own thread; the watch reads them.
     */
    final class Guard implements AutoCloseable {
        private final Thread thread;
        private final long startedNanos;
        private final long backstopNanos;
        private final long writeNanos;
        private volatile long phaseDeadline = NONE;
        private volatile int localPort;
        private volatile int remotePort;
        private volatile Ending ending = Ending.NONE;
        private boolean fired;
        private boolean closed;
        private String reason;

        private Guard(Thread thread, long startedNanos, long backstopNanos, long writeNanos) {
            this.thread = thread;
            this.startedNanos = startedNanos;
            this.backstopNanos = backstopNanos;
            this.writeNanos = writeNanos;
        }

        /** Arms a deadline {@code nanos} from now for the operation about to block. */
        void arm(long nanos) {
            phaseDeadline = ticker.read() + nanos;
        }

        /** Arms the write timeout for one write of the answer. */
        void armWrite() {
            if (writeNanos != NONE) {
                arm(writeNanos);
            }
        }

        /**
         * The guarded operation is over. An interrupt that fired after it completed is cleared, so it cannot break
         * what the request does next; returns whether the guard fired.
         */
        synchronized boolean disarm() {
            phaseDeadline = NONE;
            if (fired) {
                Thread.interrupted();
                return true;
            }
            return false;
        }

        /** Watches the client's connection for this request: it ends when the client leaves. */
        void watchConnection(int local, int remote) {
            this.remotePort = remote;
            this.localPort = local;
        }

        /** Notes how the streamed answer ended (written by the SSE writer). */
        void ended(Ending how) {
            this.ending = how;
        }

        Ending ending() {
            return ending;
        }

        /** Why the guard fired, if it did. */
        synchronized Optional<String> firedBecause() {
            return fired ? Optional.of(reason) : Optional.empty();
        }

        private Optional<String> overdue(long now) {
            long phase = phaseDeadline;
            if (phase != NONE && now - phase >= 0) {
                return Optional.of("the client was too slow (no progress within the read or write timeout)");
            }
            if (backstopNanos != NONE && now - startedNanos >= backstopNanos) {
                return Optional.of("the request outlived every deadline");
            }
            return Optional.empty();
        }

        private synchronized void fire(String why) {
            guards.remove(this);
            if (fired || closed) {
                return;
            }
            fired = true;
            reason = why;
            thread.interrupt();
        }

        /** Stops watching; clears an interrupt the guard caused. Called on the guarded thread. */
        @Override
        public synchronized void close() {
            if (closed) {
                return;
            }
            closed = true;
            guards.remove(this);
            if (CURRENT.get() == this) {
                CURRENT.remove();
            }
            if (fired) {
                Thread.interrupted();
            }
        }
    }
}
