package io.hedgerow.bench;

import org.HdrHistogram.ConcurrentHistogram;
import org.HdrHistogram.Histogram;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingDeque;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;

/**
 * Load generation in two modes, both over {@link BenchHttp} keep-alive connections on virtual threads.
 *
 * <p><b>Open loop</b> ({@link #openLoop}): request {@code i} is due at {@code start + i / rate}, whatever happened
 * to earlier ones. A platform thread sleeps until each due time and hands the request to a new virtual thread,
 * which takes an idle connection (or opens one, up to a cap) and sends it. Latency is measured from the
 * <em>due</em> time, not from when the request was actually written: a stall in the router (or the client)
 * delays every request due during it, and they all show the stall — coordinated omission, as wrk2 corrects it.
 * The time from actual send is kept too ({@code service}). A rate is <em>reachable</em> when the answers kept
 * pace: at least 95% of the rate was achieved over the run and under 1% failed.
 *
 * <p><b>Closed loop</b> ({@link #closedLoop}): {@code connections} virtual threads each send a request, wait for
 * its answer and send the next, for a fixed time (each at least one request): the peak throughput.
 *
 * <p>Both modes are bounded: a phase ends after its duration plus a grace period, then closes every connection
 * it opened, which fails whatever is still waiting (counted as timeouts).
 */
final class LoadClient {
    private static final int SOCKET_TIMEOUT_MILLIS = 10_000;

    private LoadClient() {
    }

    /** Where requests go and what they are. */
    record Target(String name, InetSocketAddress address, byte[] request) {
        Target {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(address, "address");
            Objects.requireNonNull(request, "request");
        }
    }

    /** What one phase measured. Histograms are in nanoseconds. */
    static final class Phase {
        final String target;
        final String mode;
        final double rate;
        final int connections;
        final Histogram latency = new ConcurrentHistogram(3);
        final Histogram service = new ConcurrentHistogram(3);
        final Histogram firstChunk = new ConcurrentHistogram(3);
        final Histogram streamTail = new ConcurrentHistogram(3);
        final Histogram chunkLag = new ConcurrentHistogram(3);
        final LongAdder ok = new LongAdder();
        final LongAdder failed = new LongAdder();
        final LongAdder chunks = new LongAdder();
        final LongAdder clockAnomalies = new LongAdder();
        final AtomicLong lastDoneNanos = new AtomicLong();
        final AtomicInteger maxConnectionsOpen = new AtomicInteger();
        /** Failures by kind (exception and message), to tell who ended them. */
        final Map<String, LongAdder> errorKinds = new ConcurrentHashMap<>();
        volatile String firstError;
        long scheduled;
        long timedOut;
        long startNanos;
        long scheduleEndNanos;
        long endNanos;

        Phase(String target, String mode, double rate, int connections) {
            this.target = target;
            this.mode = mode;
            this.rate = rate;
            this.connections = connections;
        }

        /** Answers per second over the phase: until the last answer, or the schedule's end if that was later. */
        double achievedRate() {
            long until = Math.max(lastDoneNanos.get(), scheduleEndNanos);
            double seconds = (until - startNanos) / 1e9;
            return seconds <= 0 ? 0 : ok.sum() / seconds;
        }

        long attempts() {
            return ok.sum() + failed.sum() + timedOut;
        }

        double failureRatio() {
            long all = attempts();
            return all == 0 ? 0 : (failed.sum() + timedOut) / (double) all;
        }

        /** Open loop: the answers kept pace with the arrivals. */
        boolean reachable() {
            return achievedRate() >= 0.95 * rate && failureRatio() < 0.01;
        }

        void fail(Throwable e) {
            failed.increment();
            String kind = e.getClass().getSimpleName() + ": " + e.getMessage();
            errorKinds.computeIfAbsent(kind.length() > 80 ? kind.substring(0, 80) : kind, k -> new LongAdder())
                    .increment();
            if (firstError == null) {
                firstError = e.getClass().getSimpleName() + ": " + e.getMessage();
            }
        }
    }

    /**
     * Sends {@code rate} requests per second for {@code duration}, open loop.
     *
     * @param grace          how long to wait for late answers after the last request was due
     * @param maxConnections connections the client may open; a request due when all are busy waits for one
     */
    static Phase openLoop(Target target, double rate, Duration duration, Duration grace, int maxConnections)
            throws InterruptedException {
        Phase phase = new Phase(target.name(), "open", rate, maxConnections);
        long count = Math.max(1, Math.round(rate * duration.toNanos() / 1e9));
        phase.scheduled = count;
        double period = 1e9 / rate;
        AtomicLong finished = new AtomicLong();
        try (Pool pool = new Pool(target.address(), maxConnections, phase)) {
            long start = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(5);
            phase.startNanos = start;
            phase.scheduleEndNanos = start + (long) (count * period);
            for (long i = 0; i < count; i++) {
                long due = start + (long) (i * period);
                long wait;
                while ((wait = due - System.nanoTime()) > 0) {
                    LockSupport.parkNanos(wait);
                }
                Thread.ofVirtual().start(() -> {
                    try {
                        send(target, pool, phase, due);
                    } finally {
                        finished.incrementAndGet();
                    }
                });
            }
            long deadline = phase.scheduleEndNanos + grace.toNanos();
            while (finished.get() < count && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            phase.endNanos = System.nanoTime();
            phase.timedOut = count - finished.get();
        }
        return phase;
    }

    private static void send(Target target, Pool pool, Phase phase, long due) {
        BenchHttp.Connection connection = null;
        try {
            connection = pool.acquire();
            long sent = System.nanoTime();
            BenchHttp.Result result = new BenchHttp.Result();
            connection.exchange(target.request(), result, phase.chunkLag::recordValue, false);
            long done = System.nanoTime();
            pool.release(connection, result.keepAlive);
            connection = null;
            record(phase, result, due, sent, done);
        } catch (IOException | RuntimeException | InterruptedException e) {
            if (connection != null) {
                pool.release(connection, false);
            }
            if (!pool.closed) {
                phase.fail(e);
            }
        }
    }

    private static void record(Phase phase, BenchHttp.Result result, long due, long sent, long done) {
        if (result.status != 200 || (result.contentChunks > 0 && !result.done)) {
            phase.fail(new IOException("status " + result.status + (result.done ? "" : ", stream not done")));
            return;
        }
        phase.ok.increment();
        phase.latency.recordValue(done - due);
        phase.service.recordValue(done - sent);
        if (result.contentChunks > 0) {
            phase.firstChunk.recordValue(result.firstContentNanos - due);
            phase.streamTail.recordValue(result.lastContentNanos - result.firstContentNanos);
            phase.chunks.add(result.contentChunks);
            phase.clockAnomalies.add(result.clockAnomalies);
        }
        phase.lastDoneNanos.accumulateAndGet(done, Math::max);
    }

    /** {@code connections} clients each sending back to back for {@code duration}: the peak throughput. */
    static Phase closedLoop(Target target, int connections, Duration duration) throws InterruptedException {
        Phase phase = new Phase(target.name(), "closed", 0, connections);
        try (Pool pool = new Pool(target.address(), connections, phase)) {
            long start = System.nanoTime();
            long end = start + duration.toNanos();
            phase.startNanos = start;
            phase.scheduleEndNanos = end;
            Thread[] workers = new Thread[connections];
            for (int c = 0; c < connections; c++) {
                // Each connection sends at least once, however late its thread starts: a phase never measures nothing.
                workers[c] = Thread.ofVirtual().start(() -> {
                    do {
                        send(target, pool, phase, System.nanoTime());
                    } while (System.nanoTime() < end && !pool.closed);
                });
            }
            long deadline = end + TimeUnit.SECONDS.toNanos(SOCKET_TIMEOUT_MILLIS / 1000 + 1);
            for (Thread worker : workers) {
                long left = deadline - System.nanoTime();
                if (left > 0) {
                    worker.join(Duration.ofNanos(left));
                }
            }
            phase.endNanos = System.nanoTime();
            for (Thread worker : workers) {
                if (worker.isAlive()) {
                    phase.timedOut++;
                }
            }
        }
        return phase;
    }

    /** Idle keep-alive connections, most recently used first, and every connection opened (to close them). */
    private static final class Pool implements AutoCloseable {
        private final InetSocketAddress address;
        private final int max;
        private final Phase phase;
        private final LinkedBlockingDeque<BenchHttp.Connection> idle = new LinkedBlockingDeque<>();
        private final Set<BenchHttp.Connection> all = ConcurrentHashMap.newKeySet();
        private final AtomicInteger open = new AtomicInteger();
        private volatile boolean closed;

        Pool(InetSocketAddress address, int max, Phase phase) {
            this.address = address;
            this.max = max;
            this.phase = phase;
        }

        BenchHttp.Connection acquire() throws IOException, InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(SOCKET_TIMEOUT_MILLIS);
            while (!closed) {
                BenchHttp.Connection c = idle.pollFirst();
                if (c != null) {
                    return c;
                }
                int n = open.incrementAndGet();
                if (n <= max) {
                    try {
                        c = BenchHttp.Connection.open(address, SOCKET_TIMEOUT_MILLIS);
                    } catch (IOException e) {
                        open.decrementAndGet();
                        throw e;
                    }
                    phase.maxConnectionsOpen.accumulateAndGet(n, Math::max);
                    all.add(c);
                    if (closed) {
                        c.close();
                    }
                    return c;
                }
                open.decrementAndGet();
                // All busy: wait briefly for one to come back (or for a slot, should one be closed meanwhile).
                c = idle.pollFirst(1, TimeUnit.MILLISECONDS);
                if (c != null) {
                    return c;
                }
                if (System.nanoTime() - deadline > 0) {
                    throw new IOException("no connection free within " + SOCKET_TIMEOUT_MILLIS + " ms");
                }
            }
            throw new IOException("phase over");
        }

        void release(BenchHttp.Connection c, boolean reuse) {
            if (reuse && !closed) {
                idle.offerFirst(c);
            } else {
                c.close();
                if (all.remove(c)) {
                    open.decrementAndGet();
                }
            }
        }

        @Override
        public void close() {
            closed = true;
            all.forEach(BenchHttp.Connection::close);
            all.clear();
            idle.clear();
        }
    }
}
