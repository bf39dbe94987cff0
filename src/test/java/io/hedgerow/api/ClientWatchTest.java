package io.hedgerow.api;

import io.hedgerow.time.Ticker;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.is;

/** The client watch's reads of the TCP table, on a fake ticker: what they cost bounds how often they happen. */
class ClientWatchTest {
    private static final int LOCAL = 8080;
    private static final int REMOTE = 50_000;

    private final AtomicLong now = new AtomicLong(1_000_000_000L);
    private final Ticker ticker = now::get;

    /** A table whose every read takes {@code cost} of the ticker's time and finds the client still there. */
    private final class TimedTable extends TcpTable {
        final AtomicInteger reads = new AtomicInteger();
        private final Duration cost;

        TimedTable(Duration cost) {
            super(List.of());
            this.cost = cost;
        }

        @Override
        Map<Long, Integer> read(Set<Integer> localPorts) throws IOException {
            reads.incrementAndGet();
            now.addAndGet(cost.toNanos());
            return Map.of(key(LOCAL, REMOTE), ESTABLISHED);
        }
    }

    @Test
    void anExpensiveTableIsReadAtMostEveryHundredTimesItsCost() {
        // ~20 ms a read: what a machine with thousands of sockets (TIME_WAIT included) costs the kernel to format.
        TimedTable table = new TimedTable(Duration.ofMillis(20));
        ClientWatch watch = ClientWatch.create(ticker, table);
        try (ClientWatch.Guard guard = watch.open(Duration.ofMinutes(10), Duration.ofMinutes(1))) {
            guard.watchConnection(LOCAL, REMOTE);

            // A minute of scans every 100 ms, the request still running: 4 reads a second before.
            for (int i = 0; i < 600; i++) {
                now.addAndGet(Duration.ofMillis(100).toNanos());
                watch.scan();
            }

            // Every 2 s (100 x 20 ms) at most, after the first 500 ms: ~30 reads, ~1% of a core.
            assertThat("reads in a minute: " + table.reads.get(), table.reads.get() <= 31, is(true));
            assertThat("reads in a minute: " + table.reads.get(), table.reads.get() >= 25, is(true));
        }
    }

    @Test
    void aCheapTableIsReadEveryPeriod() {
        TimedTable table = new TimedTable(Duration.ofNanos(200_000));
        ClientWatch watch = ClientWatch.create(ticker, table);
        try (ClientWatch.Guard guard = watch.open(Duration.ofMinutes(10), Duration.ofMinutes(1))) {
            guard.watchConnection(LOCAL, REMOTE);
            for (int i = 0; i < 100; i++) {
                now.addAndGet(Duration.ofMillis(100).toNanos());
                watch.scan();
            }
            // 10 s of scans; reads from 500 ms on, every 250 ms period (a scan every 100 ms: every third scan).
            assertThat("reads in 10 s: " + table.reads.get(), table.reads.get() >= 30, is(true));
        }
    }

    @Test
    void quickRequestsNeverCostARead() {
        TimedTable table = new TimedTable(Duration.ofMillis(1));
        ClientWatch watch = ClientWatch.create(ticker, table);
        for (int i = 0; i < 50; i++) {
            try (ClientWatch.Guard guard = watch.open(Duration.ofMinutes(10), Duration.ofMinutes(1))) {
                guard.watchConnection(LOCAL, REMOTE);
                now.addAndGet(Duration.ofMillis(100).toNanos());
                watch.scan();
            }
        }
        assertThat(table.reads.get(), is(0));
    }
}
