package io.hedgerow.api;

import io.hedgerow.HedgerowServer;
import io.hedgerow.config.ConfigLoader;
import io.hedgerow.config.HedgerowConfig;

import io.helidon.http.HeaderNames;
import io.helidon.webserver.WebServer;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.is;

/**
 * Hedgerow relays a stream as it arrives: the upstream sends its first content chunk and then blocks on a latch;
 * the client must have that chunk while the upstream is still blocked. Only then is the upstream released to
 * finish. A router that buffered the answer would never show the chunk before the release, and the test would
 * fail on its bound instead of passing by timing luck.
 */
class StreamingRelayTest {
    private static final long BOUND_SECONDS = 10;

    private final CountDownLatch firstChunkWritten = new CountDownLatch(1);
    private final CountDownLatch release = new CountDownLatch(1);
    private final CountDownLatch upstreamFinished = new CountDownLatch(1);

    @TempDir
    Path dir;

    private WebServer upstream;
    private HedgerowServer router;

    @BeforeEach
    void start() throws IOException {
        upstream = WebServer.builder()
                .host("127.0.0.1")
                .port(0)
                .routing(r -> r.post("/v1/chat/completions", this::blockingStream))
                .build()
                .start();
        Path config = dir.resolve("relay.yaml");
        Files.writeString(config, """
                server: {port: 0}
                observe: {preflight: off}   # no live checks: their calls would mix with the measured ones
                providers:
                  slow:
                    type: openai
                    base-url: "http://127.0.0.1:%d/v1"
                    keys: [{label: test, value: test-key}]
                routes:
                  relay: {chain: [slow/gpt-test]}
                """.formatted(upstream.port()));
        ConfigLoader.Result loaded = ConfigLoader.load(config);
        assertThat(loaded.errors().toString(), loaded.errors().isEmpty(), is(true));
        HedgerowConfig hedgerow = loaded.config().orElseThrow();
        router = HedgerowServer.start(hedgerow);
    }

    @AfterEach
    void stop() {
        release.countDown();
        if (router != null) {
            router.close();
        }
        if (upstream != null) {
            upstream.stop();
        }
    }

    @Test
    void firstChunkReachesTheClientWhileTheUpstreamIsStillSending() throws Exception {
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(BOUND_SECONDS)).build();
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + router.port()
                                                                        + "/v1/chat/completions"))
                .header("Content-Type", "application/json")
                .timeout(Duration.ofSeconds(BOUND_SECONDS))
                .POST(HttpRequest.BodyPublishers.ofString("""
                        {"model": "relay", "stream": true,
                         "messages": [{"role": "user", "content": "Say hello"}]}"""))
                .build();
        HttpResponse<InputStream> response = client.send(request, HttpResponse.BodyHandlers.ofInputStream());
        assertThat(response.statusCode(), is(200));
        BufferedReader body = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8));
        List<String> events = new ArrayList<>();

        // Read (bounded) until the first content chunk has arrived.
        CompletableFuture<Void> firstContent = CompletableFuture.runAsync(() -> readUntil(body, events, "\"Hel\""));
        firstContent.get(BOUND_SECONDS, TimeUnit.SECONDS);

        assertThat("the upstream wrote its first chunk", firstChunkWritten.getCount(), is(0L));
        assertThat("the upstream is still blocked: it has not finished", upstreamFinished.getCount(), is(1L));
        assertThat("and was not released yet", release.getCount(), is(1L));

        release.countDown();
        CompletableFuture<Void> rest = CompletableFuture.runAsync(() -> readUntil(body, events, "[DONE]"));
        rest.get(BOUND_SECONDS, TimeUnit.SECONDS);
        assertThat(upstreamFinished.await(BOUND_SECONDS, TimeUnit.SECONDS), is(true));
        assertThat(String.join("\n", events), containsString("\"lo\""));
        assertThat(events, hasItem("data: [DONE]"));
    }

    private static void readUntil(BufferedReader body, List<String> events, String marker) {
        try {
            String line;
            while ((line = body.readLine()) != null) {
                if (line.startsWith("data:")) {
                    events.add(line);
                    if (line.contains(marker)) {
                        return;
                    }
                }
            }
            throw new AssertionError("the stream ended before " + marker + ": " + events);
        } catch (IOException e) {
            throw new AssertionError("reading the stream failed after " + events, e);
        }
    }

    /** An OpenAI stream that sends its role chunk and first content chunk, then waits to be released. */
    private void blockingStream(ServerRequest req, ServerResponse res) throws IOException, InterruptedException {
        req.content().inputStream().readAllBytes();
        res.header(HeaderNames.CONTENT_TYPE, "text/event-stream");
        try (OutputStream out = res.outputStream()) {
            write(out, "{\"role\":\"assistant\",\"content\":\"\"}", "null");
            write(out, "{\"content\":\"Hel\"}", "null");
            firstChunkWritten.countDown();
            if (!release.await(BOUND_SECONDS, TimeUnit.SECONDS)) {
                return; // the test has failed already; end the exchange
            }
            write(out, "{\"content\":\"lo\"}", "null");
            write(out, "{}", "\"stop\"");
            out.write("data: [DONE]\n\n".getBytes(StandardCharsets.UTF_8));
            out.flush();
        }
        upstreamFinished.countDown();
    }

    private static void write(OutputStream out, String delta, String finishReason) throws IOException {
        String chunk = "data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1,"
                + "\"model\":\"gpt-test\",\"choices\":[{\"index\":0,\"delta\":" + delta + ",\"finish_reason\":"
                + finishReason + "}]}\n\n";
        out.write(chunk.getBytes(StandardCharsets.UTF_8));
        out.flush();
    }
}
