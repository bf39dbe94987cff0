package io.hedgerow.api;

import io.hedgerow.config.ServerLimits;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.is;

/** The gate's policy on a fake clock: head deadlines from the first moment, and room made by closing idle ones. */
class ConnectionGateTest {
    private static final ServerLimits LIMITS = new ServerLimits(8, 3, 8192, Duration.ofSeconds(10),
                                                                Duration.ofSeconds(10), Duration.ofSeconds(60),
                                                                Duration.ofSeconds(1));
    private final AtomicLong now = new AtomicLong(1_000);
    private final ConnectionGate gate = new ConnectionGate(() -> LIMITS, now::get);
    private final List<String> closed = new ArrayList<>();

    private ConnectionGate.Conn open(String name) {
        return gate.admit(() -> closed.add(name), "127.0.0.1").orElseThrow();
    }

    private void advance(Duration d) {
        now.addAndGet(d.toNanos());
        gate.scan();
    }

    @Test
    void aNewConnectionThatSendsNothingIsClosedAfterTheReadTimeout() {
        open("silent");

        advance(Duration.ofMillis(9_999));
        assertThat(closed, is(List.of()));
        advance(Duration.ofMillis(1));

        assertThat(closed, is(List.of("silent")));
        assertThat(gate.open(), is(0));
        assertThat(gate.timedOutCount(), is(1L));
    }

    @Test
    void aNewConnectionDrippingItsRequestLineIsClosedAfterTheReadTimeoutFromItsAccept() {
        ConnectionGate.Conn drip = open("drip");
        for (int i = 0; i < 9; i++) {
            advance(Duration.ofSeconds(1));
            drip.headBytes();
        }
        assertThat(closed, is(List.of()));

        advance(Duration.ofSeconds(1));

        assertThat(closed, is(List.of("drip")));
    }

    @Test
    void aKeptAliveConnectionMayIdleButMustSendItsNextHeadWithinTheReadTimeout() {
        ConnectionGate.Conn conn = open("kept");
        conn.headBytes();
        conn.busy();
        advance(Duration.ofMinutes(5)); // a long request: the gate leaves busy connections alone
        conn.answered();

        advance(Duration.ofSeconds(50));
        conn.headBytes();
        advance(Duration.ofSeconds(9));
        assertThat(closed, is(List.of()));
        advance(Duration.ofSeconds(1));

        assertThat(closed, is(List.of("kept")));
    }

    @Test
    void aLingeringConnectionIsClosedOnceItsClientIsQuietOrAfterTheReadTimeout() {
        ConnectionGate.Conn quiet = open("quiet");
        quiet.busy();
        quiet.linger();
        advance(Duration.ofMillis(400));
        quiet.lingered();
        advance(Duration.ofMillis(499));
        assertThat(closed, is(List.of()));
        advance(Duration.ofMillis(1));
        assertThat(closed, is(List.of("quiet")));

        // A client that never stops sending is cut after the read timeout all the same.
        ConnectionGate.Conn talker = open("talker");
        talker.linger();
        for (int i = 0; i < 99; i++) {
            advance(Duration.ofMillis(100));
            talker.lingered();
        }
        assertThat(closed, is(List.of("quiet")));
        advance(Duration.ofMillis(100));
        assertThat(closed, is(List.of("quiet", "talker")));
        // Closing a lingering connection is not a timed-out head.
        assertThat(gate.timedOutCount(), is(0L));
    }

    @Test
    void aKeptAliveConnectionIdleBeyondTheIdleTimeoutIsClosed() {
        ConnectionGate.Conn conn = open("kept");
        conn.busy();
        conn.answered();

        advance(Duration.ofSeconds(59));
        assertThat(closed, is(List.of()));
        advance(Duration.ofSeconds(1));

        assertThat(closed, is(List.of("kept")));
    }

    @Test
    void aFullHouseClosesTheLongestIdleConnectionForANewcomer() {
        ConnectionGate.Conn busy = open("busy");
        busy.headBytes();
        busy.busy();
        advance(Duration.ofMillis(1));
        open("silent-old");
        advance(Duration.ofMillis(1));
        ConnectionGate.Conn sending = open("sending");
        sending.headBytes();

        ConnectionGate.Conn newcomer = open("newcomer");

        assertThat(closed, is(List.of("silent-old")));
        assertThat(gate.open(), is(3));
        assertThat(gate.shedCount(), is(1L));
        assertThat(newcomer.waiting(), is(true));
    }

    @Test
    void aFullHouseOfBusyConnectionsRefusesTheNewcomer() {
        for (String name : List.of("a", "b", "c")) {
            ConnectionGate.Conn conn = open(name);
            conn.headBytes();
            conn.busy();
        }

        assertThat(gate.admit(() -> closed.add("newcomer"), "127.0.0.1").isPresent(), is(false));

        assertThat(closed, is(List.of()));
        assertThat(gate.open(), is(3));
        assertThat(gate.refusedCount(), is(1L));
    }

    @Test
    void aConnectionThatEndsLeavesTheGate() {
        ConnectionGate.Conn conn = open("short");

        conn.gone();

        assertThat(gate.open(), is(0));
        advance(Duration.ofMinutes(1));
        assertThat(closed, is(List.of()));
    }
}
