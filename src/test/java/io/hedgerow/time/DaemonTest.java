package io.hedgerow.time;

import io.hedgerow.testing.LogCapture;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static io.hedgerow.testing.Eventually.eventually;
import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.is;

class DaemonTest {

    @Test
    void outlivesAnyThrowableAndLogsItOnce() {
        AtomicInteger turns = new AtomicInteger();
        try (LogCapture logs = LogCapture.start();
             Daemon daemon = Daemon.every("test-daemon", Duration.ofMillis(1), () -> {
                 int turn = turns.incrementAndGet();
                 if (turn <= 20) {
                     throw new OutOfMemoryError("Java heap space");
                 }
                 if (turn <= 30) {
                     throw new IllegalStateException("a bug");
                 }
             })) {
            eventually(() -> turns.get() > 35);

            assertThat(daemon.problem().isPresent(), is(false));
            assertThat(daemon.failures(), is(30L));
            assertThat(logs.containing("test-daemon failed"), hasSize(2));
            assertThat(logs.containing("OutOfMemoryError"), hasSize(1));
            assertThat(logs.containing("IllegalStateException"), hasSize(1));
            assertThat(logs.containing("test-daemon runs again after 30 failed turns"), hasSize(1));
        }
    }

    @Test
    void aDaemonThatStopsBeatingIsAProblem() throws Exception {
        AtomicLong now = new AtomicLong();
        CountDownLatch stuck = new CountDownLatch(1);
        CountDownLatch entered = new CountDownLatch(1);
        try (Daemon daemon = Daemon.every("stuck-daemon", Duration.ofMillis(10), now::get, () -> {
            entered.countDown();
            try {
                stuck.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        })) {
            assertThat(entered.await(5, TimeUnit.SECONDS), is(true));
            now.addAndGet(Duration.ofSeconds(5).toNanos());
            assertThat(daemon.problem().isPresent(), is(false));

            now.addAndGet(Duration.ofSeconds(1).toNanos());

            assertThat(daemon.problem().orElse(""), containsString("stuck-daemon has not run for 6000 ms"));
            stuck.countDown();
        }
    }

    @Test
    void withNothingToWatchItParksUntilWokenAndIsNoProblemMeanwhile() {
        AtomicLong now = new AtomicLong();
        AtomicBoolean busy = new AtomicBoolean();
        AtomicInteger runs = new AtomicInteger();
        try (Daemon daemon = Daemon.every("idle-daemon", Duration.ofMillis(1), now::get, busy::get,
                                          runs::incrementAndGet)) {
            eventually(daemon::parked);
            int parkedAfter = runs.get();
            // Parked for an hour of its ticker's time: not stuck, it has nothing to do.
            now.addAndGet(Duration.ofHours(1).toNanos());
            assertThat(daemon.problem().isPresent(), is(false));
            assertThat(runs.get(), is(parkedAfter));

            busy.set(true);
            daemon.wake();
            eventually(() -> runs.get() >= parkedAfter + 3);
            assertThat(daemon.parked(), is(false));

            busy.set(false);
            eventually(daemon::parked);
            now.addAndGet(Duration.ofHours(1).toNanos());
            assertThat(daemon.problem().isPresent(), is(false));
        }
    }

    @Test
    void aParkedDaemonEndsOnClose() throws Exception {
        Daemon daemon = Daemon.every("idle-daemon", Duration.ofMillis(1), Ticker.system(), () -> false, () -> { });
        eventually(daemon::parked);
        daemon.close();
        eventually(() -> !daemon.parked());
        assertThat(daemon.problem().isPresent(), is(false));
    }

    @Test
    void aClosedDaemonEndsAndIsNoProblem() throws Exception {
        CountDownLatch waiting = new CountDownLatch(1);
        Daemon daemon = Daemon.loop("loop-daemon", () -> {
            waiting.countDown();
            new CountDownLatch(1).await();
        });
        assertThat(waiting.await(5, TimeUnit.SECONDS), is(true));

        daemon.close();

        assertThat(daemon.problem().isPresent(), is(false));
    }
}
