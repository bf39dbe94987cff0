package io.hedgerow.bench;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.LongStream;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.closeTo;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.greaterThanOrEqualTo;
import static org.hamcrest.Matchers.is;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The benchmark's own parts, quickly: the fake upstream's answers, the HTTP client's parsing, both load modes. */
class BenchHarnessTest {
    private static final String BODY = "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]%s}";

    private FakeUpstream fake;

    @AfterEach
    void stop() {
        if (fake != null) {
            fake.close();
        }
    }

    @Test
    void jsonAnswerOverKeepAlive() throws Exception {
        fake = FakeUpstream.start(FakeUpstream.Settings.IMMEDIATE, 0);
        InetSocketAddress address = new InetSocketAddress("127.0.0.1", fake.port());
        byte[] request = BenchHttp.post(address, "/v1/chat/completions", BODY.formatted(""));
        try (BenchHttp.Connection connection = BenchHttp.Connection.open(address, 5_000)) {
            BenchHttp.Result result = new BenchHttp.Result();
            for (int i = 0; i < 3; i++) {
                connection.exchange(request, result, null, true);
                assertThat(result.status, is(200));
                assertThat(result.keepAlive, is(true));
                assertThat(result.body.toString().contains("Hello from the bench upstream."), is(true));
                assertThat(result.contentChunks, is(0));
            }
        }
        assertThat(fake.requests(), is(3L));
    }

    @Test
    void streamChunksAreCountedAndTimed() throws Exception {
        fake = FakeUpstream.start(new FakeUpstream.Settings(Delay.NONE, Delay.parse("200us"), 7, 1), 0);
        InetSocketAddress address = new InetSocketAddress("127.0.0.1", fake.port());
        byte[] request = BenchHttp.post(address, "/v1/chat/completions",
                                        BODY.formatted(",\"stream\": true,\"stream_options\":{\"include_usage\":true}"));
        List<Long> lags = new java.util.concurrent.CopyOnWriteArrayList<>();
        try (BenchHttp.Connection connection = BenchHttp.Connection.open(address, 5_000)) {
            BenchHttp.Result result = new BenchHttp.Result();
            connection.exchange(request, result, lags::add, true);
            assertThat(result.status, is(200));
            assertThat(result.contentChunks, is(7));
            assertThat(result.done, is(true));
            assertThat(result.clockAnomalies, is(0));
            // Timed: both ends stamped. On a loaded machine all seven chunks may arrive in one read (same stamp).
            assertThat(result.firstContentNanos, greaterThan(0L));
            assertThat(result.lastContentNanos - result.firstContentNanos, greaterThanOrEqualTo(0L));
            assertThat(result.body.toString().contains("\"completion_tokens\":7"), is(true));
        }
        // One lag per content chunk, each from the time stamped in it (this JVM's clock) to its read.
        assertThat(lags.size(), is(7));
        assertThat(lags.stream().allMatch(lag -> lag >= 0), is(true));
    }

    @Test
    void openLoopSendsOnScheduleAndClosedLoopRuns() throws Exception {
        fake = FakeUpstream.start(FakeUpstream.Settings.IMMEDIATE, 0);
        InetSocketAddress address = new InetSocketAddress("127.0.0.1", fake.port());
        LoadClient.Target target = new LoadClient.Target("fake", address,
                                                         BenchHttp.post(address, "/v1/chat/completions",
                                                                        BODY.formatted("")));
        // The grace is a liveness bound: every request is answered at once by a fake on loopback.
        LoadClient.Phase open = LoadClient.openLoop(target, 200, Duration.ofMillis(500), Duration.ofSeconds(30), 50);
        assertThat(open.scheduled, is(100L));
        assertThat(open.ok.sum(), is(100L));
        assertThat(open.latency.getTotalCount(), is(100L));
        assertThat(open.failureRatio(), is(0.0));
        assertThat(fake.requests(), is(100L));

        // Whether the rate was kept is a speed claim: its arithmetic is tested below, not this machine's pace.
        LoadClient.Phase closed = LoadClient.closedLoop(target, 4, Duration.ofMillis(300));
        assertThat(closed.ok.sum(), greaterThanOrEqualTo(4L));
        assertThat(closed.failureRatio(), is(0.0));
        assertThat(fake.requests(), is(100L + closed.ok.sum()));
    }

    @Test
    void aRateIsReachableWhenTheAnswersKeptPaceAndAlmostNoneFailed() {
        LoadClient.Phase kept = phase(200, 2, 380, 2, 0);
        assertThat(kept.achievedRate(), closeTo(190, 1e-9));
        assertThat(kept.reachable(), is(true));
        // Answers until 2.5 s for a 2 s schedule: 380 / 2.5 = 152 a second, under 95% of 200.
        LoadClient.Phase late = phase(200, 2.5, 380, 2, 0);
        assertThat(late.reachable(), is(false));
        // 1% failed: not reachable, however fast the rest came.
        LoadClient.Phase failing = phase(200, 2, 396, 2, 4);
        assertThat(failing.failureRatio(), closeTo(0.01, 1e-9));
        assertThat(failing.reachable(), is(false));
    }

    private static LoadClient.Phase phase(double rate, double lastAnswerSeconds, long ok, double scheduleSeconds,
                                          long failed) {
        LoadClient.Phase phase = new LoadClient.Phase("fake", "open", rate, 1);
        phase.startNanos = 1_000_000_000L;
        phase.scheduleEndNanos = phase.startNanos + (long) (scheduleSeconds * 1e9);
        phase.lastDoneNanos.set(phase.startNanos + (long) (lastAnswerSeconds * 1e9));
        phase.ok.add(ok);
        phase.failed.add(failed);
        return phase;
    }

    @Test
    void delaysParseAndSample() {
        assertEquals(Delay.fixed(Duration.ofMillis(250)), Delay.parse("250ms"));
        assertEquals(Delay.fixed(Duration.ofNanos(500_000)), Delay.parse("500us"));
        assertEquals(Delay.NONE, Delay.parse("0"));
        Delay lognormal = Delay.parse("lognormal:200ms:0.5");
        assertEquals(Delay.lognormal(Duration.ofMillis(200), 0.5), lognormal);
        SplittableRandom random = new SplittableRandom(7);
        long[] samples = LongStream.range(0, 20_001).map(i -> lognormal.sampleNanos(random)).sorted().toArray();
        assertThat(samples[samples.length / 2] / 1e6, closeTo(200, 10));
        assertThrows(IllegalArgumentException.class, () -> Delay.parse("lognormal:200ms"));
        assertThrows(IllegalArgumentException.class, () -> Delay.parse("soon"));
    }

    @Test
    void flagsAreFoundWithoutParsing() {
        assertThat(FakeUpstream.Json.flag("{\"stream\" : true}".getBytes(), "stream"), is(true));
        assertThat(FakeUpstream.Json.flag("{\"stream\":false}".getBytes(), "stream"), is(false));
        assertThat(FakeUpstream.Json.flag("{\"x\":\"stream\"}".getBytes(), "stream"), is(false));
    }

    @Test
    void mediansAcrossRuns() {
        assertThat(Report.median(List.of(3.0, 1.0, 2.0)), is(2.0));
        assertThat(Report.median(List.of(4.0, 1.0, 2.0, 3.0)), is(2.5));
    }
}
