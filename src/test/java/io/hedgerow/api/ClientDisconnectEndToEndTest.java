package io.hedgerow.api;

import io.hedgerow.HedgerowServer;
import io.hedgerow.fakes.FakeOpenAi;
import io.hedgerow.fakes.FakeOpenAi.Reply;
import io.hedgerow.testing.Inbound;
import io.hedgerow.testing.RawClient;
import io.hedgerow.testing.RawSocket;
import io.hedgerow.testing.TestConfig;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;

import static io.hedgerow.testing.Eventually.eventually;
import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.startsWith;

/**
 * A client that hangs up takes its upstream attempts with it, at every stage: while the request is still waiting
 * for a first token (noticed from the kernel's TCP table, since nothing is written yet), mid-stream (the next write
 * fails), and mid-request (its body never completes). The upstream sees its connection close; the router serves the
 * next request, and nothing is left in flight. Through both inbound APIs, Chat Completions and Messages.
 */
class ClientDisconnectEndToEndTest {
    private static final String CHAT = "{\"model\":\"chat\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}";
    /**
     * How long the upstream may wait to see the client leave: a bound on liveness, well under the route's 30 s
     * first-token timeout (so a pass proves the watch noticed, not a timeout), with room for a loaded machine.
     */
    private static final Duration LIVENESS = Duration.ofSeconds(15);

    private static FakeOpenAi upstream;
    private HedgerowServer router;
    private RawClient raw;
    private final CountDownLatch never = new CountDownLatch(1);

    @BeforeAll
    static void startUpstream() {
        upstream = FakeOpenAi.start();
    }

    @AfterAll
    static void stopUpstream() {
        upstream.close();
    }

    @BeforeEach
    void start() {
        upstream.reset();
        router = HedgerowServer.start(TestConfig.builder()
                                              .openAi("up", upstream.baseUrl(),
                                                      p -> p.firstToken(Duration.ofSeconds(30))
                                                              .total(Duration.ofSeconds(60)))
                                              .route("chat", "up/m1")
                                              .build());
        raw = new RawClient(router.port());
    }

    @AfterEach
    void stop() {
        never.countDown();
        raw.close();
        router.close();
    }

    @ParameterizedTest
    @EnumSource(Inbound.class)
    void beforeTheFirstTokenOfAStream(Inbound api) throws Exception {
        assertUpstreamSeesTheClientLeave(api, api.streamRequest("chat", "Hi"), false);
    }

    @ParameterizedTest
    @EnumSource(Inbound.class)
    void whileWaitingForAWholeAnswer(Inbound api) throws Exception {
        assertUpstreamSeesTheClientLeave(api, api.request("chat", "Hi"), false);
    }

    @ParameterizedTest
    @EnumSource(Inbound.class)
    void withAResetInsteadOfAClose(Inbound api) throws Exception {
        assertUpstreamSeesTheClientLeave(api, api.streamRequest("chat", "Hi"), true);
    }

    private void assertUpstreamSeesTheClientLeave(Inbound api, String request, boolean reset) throws Exception {
        upstream.enqueue(Reply.text("never").firstTokenAfter(never));
        RawSocket socket = RawSocket.connect(router.port());
        socket.send(RawSocket.post(router.port(), api.path(), request));
        assertThat(upstream.awaitRequests(1, LIVENESS), is(true));

        long left = System.nanoTime();
        socket.close(reset);

        // Noticed by the client watch, not by a timeout: the first token's (30 s) is far beyond this bound.
        boolean noticed = upstream.onlyExchange().awaitDisconnect(LIVENESS);
        long noticedMillis = (System.nanoTime() - left) / 1_000_000;
        assertThat("noticed after " + noticedMillis + " ms", noticed, is(true));
        eventually(() -> router.requestsInFlight() == 0 && router.attemptsInFlight("up") == 0
                && router.clientsWatched() == 0);
        assertThat(router.ledger().snapshot().get("client_gone"), is(1L));
        assertThat(raw.chat(CHAT).statusCode(), is(200));
    }

    @ParameterizedTest
    @EnumSource(Inbound.class)
    void midStream(Inbound api) throws Exception {
        upstream.enqueue(Reply.endless("tick "));

        var read = raw.streamAndHangUp(api.path(), api.streamRequest("chat", "Hi"), 3);

        assertThat(read.getFirst(), startsWith("HTTP/1.1 200"));
        assertThat(upstream.onlyExchange().awaitDisconnect(LIVENESS), is(true));
        eventually(() -> router.requestsInFlight() == 0 && router.attemptsInFlight("up") == 0);
        assertThat(raw.chat(CHAT).statusCode(), is(200));
    }

    @Test
    void midRequestBody() {
        try (RawSocket socket = RawSocket.connect(router.port())) {
            socket.send("POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                                + "Content-Length: 500\r\n\r\n{\"model\":\"chat\",\"mess");
        }
        eventually(() -> router.requestsInFlight() == 0);
        assertThat(upstream.requestCount(), is(0));
        assertThat(raw.chat(CHAT).statusCode(), is(200));
        assertThat(router.ledger().snapshot().containsKey("failed"), is(false));
    }
}
