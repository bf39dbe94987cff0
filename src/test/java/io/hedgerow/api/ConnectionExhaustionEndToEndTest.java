package io.hedgerow.api;

import io.hedgerow.HedgerowServer;
import io.hedgerow.config.ServerLimits;
import io.hedgerow.fakes.FakeOpenAi;
import io.hedgerow.fakes.FakeOpenAi.Reply;
import io.hedgerow.testing.RawClient;
import io.hedgerow.testing.RawSocket;
import io.hedgerow.testing.TestConfig;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static io.hedgerow.testing.Eventually.eventually;
import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.is;

/**
 * Connections that say nothing, or drip their request line, against a router's connection slots: each is timed
 * from the moment it is accepted, and a full house makes room for a newcomer by closing an idle connection, so a
 * legitimate client is served within a second while {@code max-connections} silent ones are open.
 */
class ConnectionExhaustionEndToEndTest {
    private static final String CHAT = "{\"model\":\"chat\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}";
    private static final int MAX_CONNECTIONS = 64;
    /**
     * "At once", for a machine whose load may stall a thread for seconds: far below the 30 s read timeout, so a client
     * served within it was not waiting for a silent connection to time out.
     */
    private static final long AT_ONCE_MILLIS = 10_000;

    private static FakeOpenAi upstream;
    private HedgerowServer router;
    private final List<RawSocket> sockets = new ArrayList<>();

    @BeforeAll
    static void startUpstream() {
        upstream = FakeOpenAi.start();
    }

    @AfterAll
    static void stopUpstream() {
        upstream.close();
    }

    private void start(Duration readTimeout, Duration idleTimeout) {
        upstream.reset();
        upstream.otherwise(Reply.text("served"));
        ServerLimits limits = new ServerLimits(8, MAX_CONNECTIONS, 8192, readTimeout, Duration.ofSeconds(2),
                                               idleTimeout, Duration.ofSeconds(2));
        router = HedgerowServer.start(TestConfig.builder()
                                              .limits(limits)
                                              .openAi("up", upstream.baseUrl(),
                                                      p -> p.total(Duration.ofSeconds(2)).idle(Duration.ofSeconds(1)))
                                              .route("chat", "up/m1")
                                              .build());
    }

    @AfterEach
    void stop() {
        sockets.forEach(RawSocket::close);
        if (router != null) {
            router.close();
        }
    }

    private RawSocket silent() {
        RawSocket socket = RawSocket.connect(router.port());
        sockets.add(socket);
        return socket;
    }

    @Test
    void aLegitimateClientIsServedWithinASecondWhileMaxConnectionsSilentOnesAreOpen() throws Exception {
        start(Duration.ofSeconds(30), Duration.ofSeconds(60));
        for (int i = 0; i < MAX_CONNECTIONS; i++) {
            silent();
        }
        eventually(() -> router.connectionsOpen() == MAX_CONNECTIONS);

        try (RawClient raw = new RawClient(router.port())) {
            long started = System.nanoTime();
            HttpResponse<String> response = raw.chat(CHAT);
            long millis = (System.nanoTime() - started) / 1_000_000;

            assertThat(response.body(), response.statusCode(), is(200));
            // Served at once, not when some timeout freed a place: the read timeout is 30 s, the idle timeout 60 s.
            // (How soon "at once" is on a quiet machine is a bench figure: well under a second.)
            assertThat("served after " + millis + " ms", millis < AT_ONCE_MILLIS, is(true));
        }
        // The oldest silent connection made room.
        assertThat(sockets.getFirst().closedWithin(Duration.ofSeconds(10)), is(true));
    }

    @Test
    void aFloodOfSilentConnectionsBeyondTheCapStillLeavesRoom() throws Exception {
        start(Duration.ofSeconds(30), Duration.ofSeconds(60));
        for (int i = 0; i < 3 * MAX_CONNECTIONS; i++) {
            silent();
        }
        eventually(() -> router.connectionsOpen() <= MAX_CONNECTIONS);

        try (RawClient raw = new RawClient(router.port())) {
            long started = System.nanoTime();
            HttpResponse<String> response = raw.chat(CHAT);
            long millis = (System.nanoTime() - started) / 1_000_000;

            assertThat(response.body(), response.statusCode(), is(200));
            assertThat("served after " + millis + " ms", millis < AT_ONCE_MILLIS, is(true));
        }
    }

    @Test
    void silentConnectionsAreClosedAfterTheReadTimeoutNotTheIdleTimeout() {
        start(Duration.ofMillis(500), Duration.ofSeconds(60));
        List<RawSocket> quiet = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            quiet.add(silent());
        }
        long started = System.nanoTime();
        for (RawSocket socket : quiet) {
            assertThat(socket.closedWithin(Duration.ofSeconds(30)), is(true));
        }
        long millis = (System.nanoTime() - started) / 1_000_000;
        // Not before the read timeout (500 ms), and long before the idle timeout (60 s).
        assertThat("closed after " + millis + " ms", millis >= 400 && millis < 30_000, is(true));
        eventually(() -> router.connectionsOpen() == 0);
    }

    @Test
    void aRequestLineDrippedByteByByteIsCutAfterTheReadTimeout() throws Exception {
        // A byte every 100 ms never leaves a read waiting long: only a deadline from the head's first byte cuts it.
        // The drip goes on (a request line, then a header that never ends) until the router cuts it or 20 s pass.
        start(Duration.ofMillis(800), Duration.ofSeconds(60));
        RawSocket socket = silent();
        byte[] line = ("POST /v1/chat/completions HTTP/1.1\r\nX-Drip: " + "x".repeat(400))
                .getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        long started = System.nanoTime();
        boolean closed = false;
        for (int i = 0; i < line.length && !closed; i++) {
            try {
                socket.send(new byte[] {line[i]});
            } catch (java.io.UncheckedIOException e) {
                closed = true; // reset by the router
                break;
            }
            closed = socket.closedWithin(Duration.ofMillis(100));
            if ((System.nanoTime() - started) / 1_000_000 > 20_000) {
                break;
            }
        }
        long millis = (System.nanoTime() - started) / 1_000_000;

        assertThat("closed after " + millis + " ms", closed, is(true));
        assertThat("cut after " + millis + " ms", millis >= 700 && millis < 20_000, is(true));
        assertThat(upstream.requestCount(), is(0));
    }

    @Test
    void aKeptAliveConnectionMayIdleLongerThanTheReadTimeout() {
        start(Duration.ofMillis(500), Duration.ofSeconds(30));
        try (RawSocket socket = RawSocket.connect(router.port())) {
            socket.send(RawSocket.post(router.port(), RawClient.CHAT, CHAT));
            assertThat(socket.read().status(), is(200));

            // Three read timeouts of quiet: an idle kept-alive connection, not a slow request.
            assertThat(socket.closedWithin(Duration.ofMillis(1_500)), is(false));

            socket.send(RawSocket.post(router.port(), RawClient.CHAT, CHAT));
            assertThat(socket.read().status(), is(200));
        }
    }

    @Test
    void afterwardsTheRouterStillServesAndPolicesItsClients() throws Exception {
        start(Duration.ofMillis(800), Duration.ofSeconds(3));
        for (int i = 0; i < 2 * MAX_CONNECTIONS; i++) {
            silent();
        }
        eventually(() -> router.connectionsOpen() <= MAX_CONNECTIONS);

        new RouterCheckup(router, upstream, Map.of(), router.generation().config().server().limits()).run();
        eventually(() -> router.connectionsOpen() <= 1);
    }
}
