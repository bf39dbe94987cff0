package io.hedgerow.api;

import io.hedgerow.HedgerowServer;
import io.hedgerow.config.ServerLimits;
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

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static io.hedgerow.testing.Eventually.eventually;
import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.startsWith;

/**
 * What clients may hold of the router: requests at once (503 with Retry-After beyond, never a queue), attempts at
 * once per provider (a full bulkhead is skipped like an open breaker), header size, and how long a client may take
 * to send its request or to take its answer, or keep an idle connection. Each limit ends in a clear error or a
 * clean close, and the router serves the next request.
 */
class LimitsEndToEndTest {
    private static final String CHAT = "{\"model\":\"%s\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}";
    private static final String STREAM =
            "{\"model\":\"%s\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}";
    private static final ServerLimits TIGHT = new ServerLimits(2, 64, 2048, Duration.ofMillis(500),
                                                               Duration.ofMillis(500), Duration.ofSeconds(1),
                                                               Duration.ofSeconds(2));

    private static FakeOpenAi first;
    private static FakeOpenAi second;
    private HedgerowServer router;
    private RawClient raw;
    private final List<CountDownLatch> gates = new ArrayList<>();

    @BeforeAll
    static void startUpstreams() {
        first = FakeOpenAi.start();
        second = FakeOpenAi.start();
    }

    @AfterAll
    static void stopUpstreams() {
        first.close();
        second.close();
    }

    @BeforeEach
    void start() {
        first.reset();
        second.reset();
        second.otherwise(Reply.text("from ", "second"));
        router = HedgerowServer.start(TestConfig.builder()
                                              .limits(TIGHT)
                                              .openAi("p1", first.baseUrl(), p -> p.maxConcurrent(1))
                                              .openAi("p2", second.baseUrl())
                                              .route("chat", "p1/m1", "p2/m2")
                                              .route("solo", "p1/m1")
                                              .build());
        raw = new RawClient(router.port());
    }

    @AfterEach
    void stop() {
        gates.forEach(CountDownLatch::countDown);
        raw.close();
        router.close();
    }

    private CountDownLatch gate() {
        CountDownLatch gate = new CountDownLatch(1);
        gates.add(gate);
        return gate;
    }

    private CompletableFuture<HttpResponse<String>> async(String json) {
        return CompletableFuture.supplyAsync(() -> raw.chat(json));
    }

    @ParameterizedTest
    @EnumSource(Inbound.class)
    void beyondMaxConcurrentRequestsA503WithRetryAfterAtOnce(Inbound api) throws Exception {
        CountDownLatch gate = gate();
        second.otherwise(Reply.text("slow").firstTokenAfter(gate));
        first.otherwise(Reply.text("slow").firstTokenAfter(gate));
        CompletableFuture<HttpResponse<String>> a = async(CHAT.formatted("chat"));
        CompletableFuture<HttpResponse<String>> b = async(CHAT.formatted("chat"));
        assertThat(first.awaitRequests(1, Duration.ofSeconds(5)) && second.awaitRequests(1, Duration.ofSeconds(5)),
                   is(true));

        long started = System.nanoTime();
        HttpResponse<String> refused = api.send(raw, api.request("chat", "Hi"));

        // Every inbound API shares the one limit; a Messages client is told in Anthropic's words (529 overloaded).
        assertThat(refused.body(), refused.statusCode(), is(api.status(503)));
        assertThat((System.nanoTime() - started) / 1_000_000 < 2_000, is(true));
        assertThat(refused.headers().firstValue("Retry-After").orElse(""), is("1"));
        assertThat(api.errorKind(refused), is(api.pick("overloaded", "overloaded_error")));
        assertThat(api.errorMessage(refused), containsString("limit of 2 requests at once"));
        gate.countDown();
        assertThat(a.get(10, TimeUnit.SECONDS).statusCode(), is(200));
        assertThat(b.get(10, TimeUnit.SECONDS).statusCode(), is(200));
        assertThat(raw.chat(CHAT.formatted("chat")).statusCode(), is(200));
        eventually(() -> router.requestsInFlight() == 0);
        assertThat(router.ledger().snapshot().get("status_" + api.status(503)), is(1L));
    }

    @Test
    void aFullBulkheadIsSkippedLikeAnOpenBreaker() throws Exception {
        CountDownLatch gate = gate();
        first.enqueue(Reply.text("held").firstTokenAfter(gate));
        CompletableFuture<HttpResponse<String>> holding = async(CHAT.formatted("solo"));
        assertThat(first.awaitRequests(1, Duration.ofSeconds(5)), is(true));
        assertThat(router.attemptsInFlight("p1"), is(1));

        HttpResponse<String> fallback = raw.chat(CHAT.formatted("chat"));

        assertThat(fallback.body(), fallback.statusCode(), is(200));
        assertThat(fallback.headers().firstValue("x-hedgerow-attempts").orElse(""),
                   is("p1/m1:skipped (bulkhead full), p2/m2#main:ok"));
        HttpResponse<String> none = raw.chat(CHAT.formatted("solo"));
        assertThat(none.body(), none.statusCode(), is(503));
        assertThat(none.headers().firstValue("Retry-After").isPresent(), is(true));
        assertThat(RawClient.json(none).at("/error/code").asText(), is("upstream_unavailable"));
        assertThat(none.headers().firstValue("x-hedgerow-attempts").orElse(""), is("p1/m1:skipped (bulkhead full)"));
        assertThat(first.requestCount(), is(1));

        gate.countDown();
        assertThat(holding.get(10, TimeUnit.SECONDS).statusCode(), is(200));
        eventually(() -> router.attemptsInFlight("p1") == 0);
        assertThat(raw.chat(CHAT.formatted("solo")).statusCode(), is(200));
    }

    @Test
    void aStreamHoldsItsBulkheadPlaceUntilItEnds() throws Exception {
        CountDownLatch gate = gate();
        first.enqueue(Reply.text("a", "b", "c").stallAfter(1, gate));
        CompletableFuture<RawClient.SseStream> stream = CompletableFuture.supplyAsync(
                () -> raw.chatStream(STREAM.formatted("solo")));
        assertThat(first.awaitRequests(1, Duration.ofSeconds(5)), is(true));
        assertThat(router.attemptsInFlight("p1"), is(1));
        assertThat(raw.chat(CHAT.formatted("solo")).statusCode(), is(503));

        gate.countDown();
        assertThat(stream.get(10, TimeUnit.SECONDS).done(), is(true));
        eventually(() -> router.attemptsInFlight("p1") == 0);
    }

    @Test
    void headersOverTheLimitAreA400AndTheRouterCarriesOn() {
        HttpResponse<String> response = raw.chat(CHAT.formatted("chat"), Map.of("x-padding", "p".repeat(4000)));

        // Helidon answers 400 (not 431) when the header block is over max-header-size.
        assertThat(response.body(), response.statusCode(), is(400));
        assertThat(RawClient.json(response).at("/error/code").asText(), is("bad_request"));
        assertThat(first.requestCount() + second.requestCount(), is(0));
        assertThat(raw.chat(CHAT.formatted("chat")).statusCode(), is(200));
    }

    @Test
    void aClientDrippingItsHeadersIsCutAfterTheReadTimeout() {
        try (RawSocket socket = RawSocket.connect(router.port())) {
            socket.send("POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n");
            assertThat(socket.closedWithin(Duration.ofSeconds(5)), is(true));
        }
        assertThat(first.requestCount() + second.requestCount(), is(0));
        assertThat(raw.chat(CHAT.formatted("chat")).statusCode(), is(200));
        eventually(() -> router.clientsWatched() == 0);
    }

    @Test
    void aClientDrippingItsBodyIsCutAfterTheReadTimeout() {
        try (RawSocket socket = RawSocket.connect(router.port())) {
            socket.send("POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                                + "Content-Length: 200\r\n\r\n{\"model\":\"chat\",");
            long started = System.nanoTime();
            assertThat(socket.closedWithin(Duration.ofSeconds(5)), is(true));
            assertThat((System.nanoTime() - started) / 1_000_000 >= 300, is(true));
        }
        assertThat(first.requestCount() + second.requestCount(), is(0));
        assertThat(raw.chat(CHAT.formatted("chat")).statusCode(), is(200));
        eventually(() -> router.requestsInFlight() == 0);
        assertThat(router.ledger().snapshot().containsKey("failed"), is(false));
    }

    @Test
    void aClientThatStopsReadingItsStreamIsCutAfterTheWriteTimeoutAndTheUpstreamSeesIt() throws Exception {
        first.enqueue(Reply.endless("tick tock tick tock tick tock "));
        try (RawSocket socket = RawSocket.connect(router.port(), 4096)) {
            socket.send(RawSocket.post(router.port(), "/v1/chat/completions", STREAM.formatted("solo")));
            assertThat(socket.readHead(), startsWith("HTTP/1.1 200"));
            // ... and reads nothing more.
            assertThat(first.awaitRequests(1, Duration.ofSeconds(5)), is(true));
            assertThat(first.onlyExchange().awaitDisconnect(Duration.ofSeconds(10)), is(true));
        }
        eventually(() -> router.attemptsInFlight("p1") == 0);
        assertThat(raw.chat(CHAT.formatted("solo")).statusCode(), is(200));
        eventually(() -> router.ledger().snapshot().getOrDefault("client_gone", 0L) == 1L);
    }

    @Test
    void anIdleKeptAliveConnectionIsClosed() {
        try (RawSocket socket = RawSocket.connect(router.port())) {
            socket.send("GET /v1/models HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
            assertThat(socket.read().status(), is(200));
            // Idle timeout 1 s, checked every second.
            assertThat(socket.closedWithin(Duration.ofSeconds(6)), is(true));
        }
    }

    @Test
    void aRefusedBodyIsNotReadForeverAfterTheAnswer() {
        // 415 before the body is read: Helidon would then read the rest of it; a client dripping it is cut.
        try (RawSocket socket = RawSocket.connect(router.port())) {
            socket.send("POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain\r\n"
                                + "Content-Length: 1000\r\n\r\nhello");
            RawSocket.Response response = socket.read();
            assertThat(response.status(), is(415));
            assertThat(socket.closedWithin(Duration.ofSeconds(5)), is(true));
        }
        assertThat(raw.chat(CHAT.formatted("chat")).statusCode(), is(200));
    }
}
