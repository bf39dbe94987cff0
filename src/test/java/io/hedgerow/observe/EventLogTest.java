package io.hedgerow.observe;

import com.fasterxml.jackson.databind.JsonNode;
import io.hedgerow.config.ObserveSettings;
import io.hedgerow.testing.RawClient;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.CountDownLatch;
import java.util.Optional;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.is;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

/** The event log's line format and outputs: standard output, an appended file, or none; the recent-events ring. */
class EventLogTest {
    private static final Clock CLOCK = Clock.fixed(Instant.parse("2026-11-22T07:00:00Z"), ZoneOffset.UTC);

    @TempDir
    Path dir;

    @Test
    void oneJsonObjectPerLineWithTimeTypeRequestIdThenFields() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        EventLog log = EventLog.create(ObserveSettings.DEFAULTS, CLOCK, out);
        log.emit("failover", Optional.of("req_1"), e -> e.put("route", "chat").put("from", "a/x").put("to", "b/y"));
        log.emit("cooldown_ended", Optional.empty(), e -> e.put("key", "main"));
        log.close(); // lines are written on the log's own thread: closing writes what is still queued

        List<String> lines = bytes.toString(StandardCharsets.UTF_8).lines().toList();
        assertThat(lines, is(List.of(
                "{\"time\":\"2026-11-22T07:00:00Z\",\"event\":\"failover\",\"request_id\":\"req_1\",\"route\":\"chat\","
                        + "\"from\":\"a/x\",\"to\":\"b/y\"}",
                "{\"time\":\"2026-11-22T07:00:00Z\",\"event\":\"cooldown_ended\",\"key\":\"main\"}")));
    }

    @Test
    void aRequestNeverWaitsForStandardOutput() throws Exception {
        // A terminal that does not read (a full pipe): writing blocks until it is let go.
        CountDownLatch stuck = new CountDownLatch(1);
        CountDownLatch letGo = new CountDownLatch(1);
        ByteArrayOutputStream written = new ByteArrayOutputStream();
        PrintStream blocking = new PrintStream(new java.io.OutputStream() {
            @Override
            public void write(int b) {
                stuck.countDown();
                try {
                    letGo.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                written.write(b);
            }
        }, true, StandardCharsets.UTF_8);
        EventLog log = EventLog.create(ObserveSettings.DEFAULTS, CLOCK, blocking);
        assertTimeoutPreemptively(Duration.ofSeconds(10), () -> log.emit("first", Optional.empty(), e -> e.put("n", 1)));
        assertTrue(stuck.await(10, TimeUnit.SECONDS), "the writer is stuck in the terminal");

        // Meanwhile requests emit events without waiting; past the backlog, lines are dropped and counted.
        assertTimeoutPreemptively(Duration.ofSeconds(10), () -> {
            for (int i = 0; i < EventLog.BACKLOG + 5; i++) {
                log.emit("more", Optional.empty(), e -> e.put("n", 2));
            }
        });
        assertThat(log.recent().size(), is(ObserveSettings.DEFAULTS.recentEvents()));

        letGo.countDown();
        log.close();
        List<String> lines = written.toString(StandardCharsets.UTF_8).lines().toList();
        assertThat(lines.size(), is(1 + EventLog.BACKLOG + 1));
        assertThat(lines.getLast(), is("{\"time\":\"2026-11-22T07:00:00Z\",\"event\":\"events_dropped\",\"count\":5}"));
    }

    @Test
    void aFileIsAppendedToAndOffWritesNothingButKeepsRecentEvents() throws IOException {
        Path file = dir.resolve("events.jsonl");
        Files.writeString(file, "{\"earlier\":true}\n");
        try (EventLog log = EventLog.create(new ObserveSettings(file.toString(), 2, 50, true), CLOCK, System.out)) {
            for (int i = 1; i <= 3; i++) {
                int n = i;
                log.emit("demoted", Optional.empty(), e -> e.put("candidate", "p/m" + n));
            }
            List<JsonNode> recent = log.recent();
            assertThat(recent.size(), is(2));
            assertThat(recent.get(1).path("candidate").asText(), is("p/m3"));
        }
        List<String> lines = Files.readAllLines(file);
        assertThat(lines.size(), is(4));
        assertThat(RawClient.json(lines.get(3)).path("candidate").asText(), is("p/m3"));

        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        EventLog off = EventLog.create(new ObserveSettings("off", 5, 50, true), CLOCK,
                                       new PrintStream(bytes, true, StandardCharsets.UTF_8));
        off.emit("recovered", Optional.empty(), e -> e.put("candidate", "p/m"));
        assertThat(bytes.size(), is(0));
        assertThat(off.recent().size(), is(1));
    }

    @Test
    void aBurstOfRequestEventsDoesNotPushTheChangesOut() {
        // Seen: the 25-row events table had already scrolled past the breaker opening that explained everything.
        EventLog log = EventLog.to(line -> { }, java.time.Clock.systemUTC(), 5);
        log.emit("breaker_transition", Optional.empty(), e -> e.put("candidate", "p/m").put("to", "open"));
        for (int i = 0; i < 50; i++) {
            log.emit("failover", Optional.of("req_" + i), e -> e.put("route", "r"));
        }
        assertThat(log.recent().size(), is(5));
        assertThat(log.recent().stream().noneMatch(e -> e.path("event").asText().equals("breaker_transition")),
                   is(true));
        assertThat(log.recentChanges().size(), is(1));
        assertThat(log.recentChanges().getFirst().path("to").asText(), is("open"));
    }
}
