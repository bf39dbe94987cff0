package io.hedgerow.provider;

import io.hedgerow.config.ProviderConfig;
import io.hedgerow.config.ProviderType;
import io.hedgerow.config.SimSettings;
import io.hedgerow.config.Timeouts;

import io.helidon.http.HeaderNames;
import io.helidon.http.HeaderValues;
import io.helidon.webclient.api.HttpClientResponse;
import io.helidon.webserver.WebServer;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Future;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.lessThanOrEqualTo;

/** Keep-alive to upstreams: connections are reused, a closed one is replaced, and concurrent use stays clean. */
class KeepAliveTest {
    private static final byte[] ANSWER = "{\"ok\":true}".getBytes(StandardCharsets.UTF_8);

    private final Set<String> connections = ConcurrentHashMap.newKeySet();
    private final AtomicBoolean closeAfterAnswer = new AtomicBoolean();
    private WebServer server;
    private HttpUpstream upstream;

    @BeforeEach
    void start() {
        server = WebServer.builder()
                .host("127.0.0.1")
                .port(0)
                .routing(r -> r.post("/v1/echo", this::answer))
                .build()
                .start();
        ProviderConfig config = new ProviderConfig("local", ProviderType.OPENAI,
                                                   Optional.of(URI.create("http://127.0.0.1:" + server.port() + "/v1")),
                                                   List.of(), Map.of("X-Extra", "1"), Map.of(), Timeouts.DEFAULTS,
                                                   SimSettings.DEFAULTS);
        upstream = new HttpUpstream(config, Clock.systemUTC());
    }

    @AfterEach
    void stop() {
        server.stop();
    }

    @Test
    void sequentialRequestsShareOneConnection() throws ProviderException {
        for (int i = 0; i < 5; i++) {
            assertThat(call(), is("{\"ok\":true}"));
        }
        assertThat(connections.size(), is(1));
    }

    @Test
    void aConnectionTheServerClosedIsNotReused() throws ProviderException {
        closeAfterAnswer.set(true);
        assertThat(call(), is("{\"ok\":true}"));
        assertThat(call(), is("{\"ok\":true}"));
        assertThat(connections.size(), is(2));
    }

    @Test
    void concurrentRequestsAllSucceedOnFewConnections() throws Exception {
        int threads = 8;
        int each = 150;
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<Integer>> results = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                results.add(pool.submit(() -> {
                    int ok = 0;
                    for (int i = 0; i < each; i++) {
                        if (call().equals("{\"ok\":true}")) {
                            ok++;
                        }
                    }
                    return ok;
                }));
            }
            for (Future<Integer> result : results) {
                assertThat(result.get(20, TimeUnit.SECONDS), is(each));
            }
        }
        assertThat(connections.size(), lessThanOrEqualTo(threads));
    }

    private String call() throws ProviderException {
        try (HttpClientResponse response = upstream.post("/echo", "{}".getBytes(StandardCharsets.UTF_8), Map.of(),
                                                         Optional.empty(), false)) {
            return new String(upstream.readBody(response), StandardCharsets.UTF_8);
        }
    }

    private void answer(ServerRequest req, ServerResponse res) {
        req.content().consume();
        connections.add(req.socketId());
        if (!req.headers().contains(HeaderNames.create("X-Extra"))) {
            res.status(400).send("missing the configured header");
            return;
        }
        if (closeAfterAnswer.get()) {
            res.header(HeaderValues.CONNECTION_CLOSE);
        }
        res.header(HeaderValues.CONTENT_TYPE_JSON).send(ANSWER);
    }
}
