package io.hedgerow;

import com.fasterxml.jackson.databind.JsonNode;
import io.hedgerow.fakes.FakeOpenAi;
import io.hedgerow.fakes.FakeOpenAi.Reply;
import io.hedgerow.testing.RawClient;
import io.hedgerow.testing.RawSocket;
import io.hedgerow.testing.TcpRelay;
import io.hedgerow.testing.TestConfig;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.lessThan;

/**
 * Graceful shutdown ({@link HedgerowServer#drain}, what SIGTERM runs): new connections are refused at once, requests
 * in flight finish if they can within the drain timeout, and what is still running after it ends cleanly: a 503
 * {@code shutting_down} before an answer started, an SSE error event (never {@code [DONE]}) mid-stream; and the
 * router then closes its kept-alive upstream connections itself.
 */
class DrainEndToEndTest {
    private static final String CHAT = "{\"model\":\"chat\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}";
    private static final String STREAM =
            "{\"model\":\"chat\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}";

    private static FakeOpenAi upstream;
    private HedgerowServer router;
    private RawClient raw;
    private final CountDownLatch gate = new CountDownLatch(1);

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
                                              .openAi("up", upstream.baseUrl(), p -> p.idle(Duration.ofSeconds(30))
                                                      .firstToken(Duration.ofSeconds(30)).total(Duration.ofSeconds(60)))
                                              .route("chat", "up/m1")
                                              .build());
        raw = new RawClient(router.port());
    }

    @AfterEach
    void stop() {
        gate.countDown();
        raw.close();
        router.close();
    }

    private CompletableFuture<Void> drainInBackground(Duration timeout) {
        return CompletableFuture.runAsync(() -> router.drain(timeout));
    }

    @Test
    void requestsInFlightFinishWithinTheDrainAndNewConnectionsAreRefused() throws Exception {
        upstream.enqueue(Reply.text("finished ", "in time").firstTokenAfter(gate));
        CompletableFuture<HttpResponse<String>> inFlight = CompletableFuture.supplyAsync(() -> raw.chat(CHAT));
        assertThat(upstream.awaitRequests(1, Duration.ofSeconds(5)), is(true));

        CompletableFuture<Void> drain = drainInBackground(Duration.ofSeconds(10));

        assertThat("new connections are refused while draining", refusedWithin(Duration.ofSeconds(3)), is(true));
        assertThat(drain.isDone(), is(false));
        long opened = System.nanoTime();
        gate.countDown();
        HttpResponse<String> response = inFlight.get(5, TimeUnit.SECONDS);
        assertThat(response.body(), response.statusCode(), is(200));
        assertThat(RawClient.json(response).at("/choices/0/message/content").asText(), is("finished in time"));
        drain.get(10, TimeUnit.SECONDS);
        assertThat((System.nanoTime() - opened) / 1_000_000, lessThan(5_000L));
        assertThat(router.ledger().snapshot().get("ok"), is(1L));
    }

    @Test
    void whatOutlivesTheDrainEndsWithCleanErrors() throws Exception {
        upstream.enqueue(Reply.text("Hel", "lo", " there").stallAfter(2, gate));
        CompletableFuture<RawClient.SseStream> stream = CompletableFuture.supplyAsync(() -> raw.chatStream(STREAM));
        assertThat(upstream.awaitRequests(1, Duration.ofSeconds(5)), is(true));
        upstream.enqueue(Reply.text("never").firstTokenAfter(gate));
        CompletableFuture<HttpResponse<String>> waiting = CompletableFuture.supplyAsync(() -> raw.chat(CHAT));
        assertThat(upstream.awaitRequests(2, Duration.ofSeconds(5)), is(true));

        long started = System.nanoTime();
        drainInBackground(Duration.ofMillis(500)).get(15, TimeUnit.SECONDS);

        assertThat((System.nanoTime() - started) / 1_000_000, lessThan(8_000L));
        RawClient.SseStream broken = stream.get(5, TimeUnit.SECONDS);
        assertThat(broken.raw(), broken.status(), is(200));
        assertThat(broken.text(), is("Hello"));
        JsonNode error = broken.error().orElseThrow(() -> new AssertionError(broken.raw())).get("error");
        assertThat(error.get("code").asText(), is("shutting_down"));
        assertThat(broken.anyDone(), is(false));
        HttpResponse<String> refused = waiting.get(5, TimeUnit.SECONDS);
        assertThat(refused.body(), refused.statusCode(), is(503));
        assertThat(refused.headers().firstValue("Retry-After").orElse(""), is("1"));
        assertThat(RawClient.json(refused).at("/error/code").asText(), is("shutting_down"));
        assertThat(RawClient.json(refused).at("/error/message").asText(), containsString("shutting down"));
        for (FakeOpenAi.Exchange exchange : upstream.exchanges()) {
            assertThat(exchange.awaitDisconnect(Duration.ofSeconds(5)), is(true));
        }
        assertThat(router.ledger().snapshot().get("stream_error"), is(1L));
        assertThat(router.ledger().snapshot().get("status_503"), is(1L));
    }

    @Test
    void aKeptAliveConnectionTakesNoNewRequestOnceDraining() throws Exception {
        try (RawSocket idle = RawSocket.connect(router.port())) {
            idle.send(RawSocket.post(router.port(), RawClient.CHAT, CHAT));
            assertThat(idle.read().status(), is(200));
            upstream.enqueue(Reply.text("held").firstTokenAfter(gate));
            CompletableFuture<HttpResponse<String>> inFlight = CompletableFuture.supplyAsync(() -> raw.chat(CHAT));
            assertThat(upstream.awaitRequests(2, Duration.ofSeconds(5)), is(true));
            CompletableFuture<Void> drain = drainInBackground(Duration.ofSeconds(10));
            assertThat(refusedWithin(Duration.ofSeconds(3)), is(true));

            // Helidon closes idle connections when it stops; a request that slips in first gets a 503.
            boolean closed;
            try {
                idle.send(RawSocket.post(router.port(), RawClient.CHAT, CHAT));
                RawSocket.Response response = idle.read();
                assertThat(response.body(), response.status(), is(503));
                assertThat(response.body(), containsString("shutting_down"));
                closed = idle.closedWithin(Duration.ofSeconds(5));
            } catch (java.io.UncheckedIOException e) {
                closed = true;
            }
            assertThat(closed, is(true));
            assertThat(upstream.requestCount(), is(2));
            gate.countDown();
            assertThat(inFlight.get(5, TimeUnit.SECONDS).statusCode(), is(200));
            drain.get(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void theUpstreamConnectionsOfTheGenerationInUseAreClosedAfterTheDrain() throws Exception {
        try (TcpRelay relay = TcpRelay.to(upstream.port())) {
            HedgerowServer relayed = HedgerowServer.start(TestConfig.builder()
                                                                  .openAi("up", "http://127.0.0.1:" + relay.port()
                                                                          + "/v1")
                                                                  .route("chat", "up/m1").build());
            try (RawClient client = new RawClient(relayed.port())) {
                // Two requests at once: two upstream connections, both left idle in the pool when they end.
                upstream.enqueue(Reply.text("one").firstTokenAfter(gate), Reply.text("two").firstTokenAfter(gate));
                CompletableFuture<HttpResponse<String>> first = CompletableFuture.supplyAsync(() -> client.chat(CHAT));
                CompletableFuture<HttpResponse<String>> second = CompletableFuture.supplyAsync(() -> client.chat(CHAT));
                assertThat(upstream.awaitRequests(2, Duration.ofSeconds(5)), is(true));
                gate.countDown();
                assertThat(first.get(5, TimeUnit.SECONDS).statusCode(), is(200));
                assertThat(second.get(5, TimeUnit.SECONDS).statusCode(), is(200));
                assertThat(relay.connections(), is(2));
                assertThat("kept alive for the next request", relay.open(), is(java.util.List.of(0, 1)));
            } finally {
                relayed.close();
            }
            // Closed by the router's close(), not by the upstream (whose keep-alive is far longer than this wait).
            assertThat(relay.awaitClosedByRouter(0, Duration.ofSeconds(5)), is(true));
            assertThat(relay.awaitClosedByRouter(1, Duration.ofSeconds(5)), is(true));
            assertThat(relay.open(), is(java.util.List.of()));
        }
    }

    /** Whether a new connection to the router is refused within the timeout. */
    private boolean refusedWithin(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), router.port())) {
                Thread.sleep(20);
            } catch (ConnectException e) {
                return true;
            } catch (IOException e) {
                return true;
            }
        }
        return false;
    }
}
