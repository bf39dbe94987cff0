package io.hedgerow.api;

import io.hedgerow.HedgerowServer;
import io.hedgerow.config.ServerLimits;
import io.hedgerow.fakes.FakeOpenAi;
import io.hedgerow.fakes.FakeOpenAi.Reply;
import io.hedgerow.testing.RawClient;
import io.hedgerow.testing.RawSocket;

import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

import static io.hedgerow.testing.Eventually.eventually;
import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.is;

/**
 * After a test has thrown what it could at a router: it still serves a chat request, still closes a client that
 * drips its headers, still notices a client that leaves before its answer (and aborts the upstream call), still cuts
 * an upstream stream that never ends, and reports itself ready (its own threads are alive). The upstream must be
 * the router's route {@code chat}, whose provider has a short {@code total} timeout.
 */
final class RouterCheckup {
    private static final String CHAT = "{\"model\":\"chat\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}";
    private static final String STREAM =
            "{\"model\":\"chat\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}";

    private final HedgerowServer router;
    private final FakeOpenAi upstream;
    private final Map<String, String> headers;
    private final ServerLimits limits;

    RouterCheckup(HedgerowServer router, FakeOpenAi upstream, Map<String, String> headers, ServerLimits limits) {
        this.router = router;
        this.upstream = upstream;
        this.headers = headers;
        this.limits = limits;
    }

    void run() throws Exception {
        upstream.reset();
        try (RawClient raw = new RawClient(router.port())) {
            stillServes(raw);
            stillClosesSlowClients();
            stillNoticesClientsThatLeave();
            stillCutsEndlessStreams(raw);
            HttpResponse<String> ready = raw.get("/observe/health/ready");
            assertThat(ready.body(), ready.statusCode(), is(200));
            stillServes(raw);
        }
    }

    private void stillServes(RawClient raw) {
        upstream.otherwise(Reply.text("still ", "here"));
        HttpResponse<String> response = raw.chat(CHAT, headers);
        assertThat(response.body(), response.statusCode(), is(200));
    }

    private void stillClosesSlowClients() {
        try (RawSocket socket = RawSocket.connect(router.port())) {
            socket.send("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n");
            long started = System.nanoTime();
            assertThat(socket.closedWithin(limits.readTimeout().plusSeconds(15)), is(true));
            long millis = (System.nanoTime() - started) / 1_000_000;
            assertThat("closed after " + millis + " ms", millis >= limits.readTimeout().toMillis() / 2, is(true));
        }
    }

    private void stillNoticesClientsThatLeave() throws Exception {
        CountDownLatch never = new CountDownLatch(1);
        try {
            upstream.reset();
            upstream.enqueue(Reply.text("never").firstTokenAfter(never));
            RawSocket socket = RawSocket.connect(router.port());
            StringBuilder head = new StringBuilder("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n");
            headers.forEach((k, v) -> head.append(k).append(": ").append(v).append("\r\n"));
            byte[] body = CHAT.getBytes(StandardCharsets.UTF_8);
            head.append("Content-Type: application/json\r\nContent-Length: ").append(body.length).append("\r\n\r\n");
            socket.send(head + CHAT);
            assertThat(upstream.awaitRequests(1, Duration.ofSeconds(5)), is(true));
            socket.close(false);
            assertThat(upstream.onlyExchange().awaitDisconnect(Duration.ofSeconds(5)), is(true));
        } finally {
            never.countDown();
        }
        eventually(() -> router.requestsInFlight() == 0);
    }

    private void stillCutsEndlessStreams(RawClient raw) {
        upstream.reset();
        upstream.enqueue(Reply.endless("tick "));
        HttpResponse<String> response = raw.chat(STREAM, headers);
        RawClient.SseStream stream = new RawClient.SseStream(response.statusCode(), response.headers(),
                                         RawClient.SseStream.parse(response.body()), response.body());
        assertThat(stream.status(), is(200));
        assertThat(stream.anyDone(), is(false));
        assertThat(stream.error().isPresent(), is(true));
        eventually(() -> router.requestsInFlight() == 0);
    }
}
