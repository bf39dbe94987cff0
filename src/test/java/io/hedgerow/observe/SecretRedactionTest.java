package io.hedgerow.observe;

import io.hedgerow.HedgerowServer;
import io.hedgerow.config.ConfigLoader;
import io.hedgerow.config.HedgerowConfig;
import io.hedgerow.fakes.FakeOpenAi;
import io.hedgerow.fakes.FakeOpenAi.Reply;
import io.hedgerow.testing.RawClient;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.not;

/**
 * Secrets never leave: a router with known fake keys runs through the scenarios most likely to leak one (an
 * upstream that echoes the key in its 401, one that puts it in a 5xx body, rate limits and cooldowns, a hedge, a
 * broken chain, a stream, reloads valid and invalid, a wrong admin token), and then no log line, event line,
 * metric, status body (JSON or page), health body, response header or error body contains any of the keys.
 */
class SecretRedactionTest {
    private static final String P1_KEY = "sk-test-SECRET-p1-7f3a9c2e51d04b8a";
    private static final String P2_KEY = "sk-test-SECRET-p2-c0ffee00deadbeef";
    private static final String P3_KEY = "gsk_SECRETp3a1b2c3d4e5f6a7b8";
    private static final String ADMIN_KEY = "adm-SECRET-4242424242424242";
    private static final List<String> SECRETS = List.of(P1_KEY, P2_KEY, P3_KEY, ADMIN_KEY);
    private static final String CHAT = "{\"model\":\"%s\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}";
    private static final String STREAM = "{\"model\":\"%s\",\"stream\":true,"
            + "\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}";

    @TempDir
    Path dir;

    @Test
    void noKeyAppearsInLogsEventsMetricsStatusOrResponses() throws Exception {
        StringBuilder seen = new StringBuilder();
        Capture capture = Capture.start();
        try (FakeOpenAi first = FakeOpenAi.start(); FakeOpenAi second = FakeOpenAi.start();
             FakeOpenAi third = FakeOpenAi.start()) {
            Files.writeString(dir.resolve("p1.key"), P1_KEY);
            Files.writeString(dir.resolve("admin.key"), ADMIN_KEY);
            Path file = dir.resolve("hedgerow.yaml");
            Files.writeString(file, yaml(first, second, third, "{delay: 100ms}"));
            java.util.function.Function<String, java.util.Optional<String>> env =
                    name -> java.util.Optional.ofNullable(Map.of("P2_KEY", P2_KEY).get(name));
            ConfigLoader.Result loaded = ConfigLoader.load(file, env);
            HedgerowConfig config = loaded.config().orElseThrow(() -> new AssertionError(loaded.errors()));
            try (HedgerowServer router = HedgerowServer.builder(config).configFile(file).environment(env).start();
                 RawClient raw = new RawClient(router.port())) {
                // 1. p1 echoes its key in a 401; p2 puts its key in a 500 body; p3 rate-limits: the chain fails.
                first.otherwise(Reply.invalidApiKeyEchoed());
                second.otherwise(Reply.raw(500, "application/json",
                                           "{\"error\":{\"message\":\"internal: key " + P2_KEY + " over quota\"}}"));
                third.otherwise(Reply.status(429).header("Retry-After", "30"));
                seen.append(dump(raw.chat(CHAT.formatted("chat"))));
                seen.append(dump(raw.chat(STREAM.formatted("chat"))));
                // 2. Everyone is cooling or open now: a request fails fast, naming why.
                seen.append(dump(raw.chat(CHAT.formatted("chat"))));
                // 3. A direct call, a hedge race and a stream that serves.
                first.otherwise(Reply.text("ok"));
                second.otherwise(Reply.text("ok"));
                third.otherwise(Reply.text("ok"));
                seen.append(dump(raw.chat(CHAT.formatted("solo"))));
                CountDownLatch slow = new CountDownLatch(1);
                third.enqueue(Reply.text("late").firstTokenAfter(slow));
                seen.append(dump(raw.chat(STREAM.formatted("hedged"))));
                slow.countDown();
                // 4. Admin: a wrong token, a valid reload, an invalid file (with a literal key in it), a reload.
                seen.append(dump(admin(router.port(), "sk-test-SECRET-guess")));
                Files.writeString(file, yaml(first, second, third, "{delay: 200ms}"));
                seen.append(dump(admin(router.port(), ADMIN_KEY)));
                Files.writeString(file, yaml(first, second, third, "{delay: 200ms}")
                        .replace("keys: [{label: k3, value: " + P3_KEY + "}]", "keys: [\"" + P3_KEY + "\", {env: NOPE}]"));
                seen.append(dump(admin(router.port(), ADMIN_KEY)));
                // 5. Everything the router shows about itself.
                seen.append(shown(router, raw, "/status?format=json", "/status?format=html", "/observe/metrics",
                                  "/observe/health", "/observe/health/ready", "/v1/models", "/v1/nope"));
            }
        } finally {
            capture.close();
        }
        String output = capture.output();
        List<String> logs = capture.logs;
        // The scenarios did happen: keys were cooled, a reload was rejected, events were printed.
        assertThat(output, containsString("\"event\":\"cooldown_started\""));
        assertThat(output, containsString("\"event\":\"config_rejected\""));
        assertThat(output, containsString("\"event\":\"config_reloaded\""));
        assertThat(String.join("\n", logs), containsString("config reload"));
        assertThat(seen.toString(), containsString("hedgerow_key_cooldowns_total"));
        assertNoSecretIn("responses, status and metrics", seen.toString(), output, logs);
    }

    @Test
    void noKeyAppearsInWhatLiveChecksTell() throws Exception {
        Capture capture = Capture.start();
        StringBuilder seen = new StringBuilder();
        try (FakeOpenAi first = FakeOpenAi.start(); FakeOpenAi second = FakeOpenAi.start();
             FakeOpenAi third = FakeOpenAi.start()) {
            // Every way a list of models can echo a key: a 401's message, a 500's body, a 200 with an error object.
            first.models(key -> Reply.invalidApiKeyEchoed());
            second.models(key -> Reply.raw(500, "application/json",
                                           "{\"error\":{\"message\":\"internal: key " + key + " unknown\"}}"));
            third.models(key -> Reply.raw(200, "application/json",
                                          "{\"error\":{\"code\":403,\"message\":\"key " + key + " disabled\"}}"));
            Files.writeString(dir.resolve("p1.key"), P1_KEY);
            Files.writeString(dir.resolve("admin.key"), ADMIN_KEY);
            Path file = dir.resolve("hedgerow.yaml");
            Files.writeString(file, yaml(first, second, third, "{delay: 100ms}"));
            java.util.function.Function<String, java.util.Optional<String>> env =
                    name -> java.util.Optional.ofNullable(Map.of("P2_KEY", P2_KEY).get(name));
            ConfigLoader.Result loaded = ConfigLoader.load(file, env);
            HedgerowConfig config = loaded.config().orElseThrow(() -> new AssertionError(loaded.errors()));

            ByteArrayOutputStream table = new ByteArrayOutputStream();
            io.hedgerow.preflight.LiveCheck live = io.hedgerow.preflight.LiveCheck.run(loaded.draft().orElseThrow(),
                                                                                       java.time.Clock.systemUTC());
            live.print(new PrintStream(table, true, StandardCharsets.UTF_8));
            assertThat(live.report().exitCode(), is(1));
            table.writeBytes(io.hedgerow.preflight.ReportJson.write(live.report()).toString()
                                     .getBytes(StandardCharsets.UTF_8));
            seen.append(table.toString(StandardCharsets.UTF_8));

            try (HedgerowServer router = HedgerowServer.builder(config).configFile(file).environment(env).start();
                 RawClient raw = new RawClient(router.port())) {
                assertThat(router.preflight().awaitRounds(1, Duration.ofSeconds(20)), is(true));
                seen.append(dump(raw.chat(CHAT.formatted("chat"))));
                seen.append(shown(router, raw, "/status?format=json", "/observe/metrics", "/observe/health/ready"));
            }
        } finally {
            capture.close();
        }
        String output = capture.output();
        List<String> logs = capture.logs;
        // The scenarios did happen: refusals were reported, a rung that cannot serve was logged.
        assertThat(seen.toString(), containsString("AUTH FAILED"));
        assertThat(output, containsString("\"event\":\"preflight_failed\""));
        assertThat(output, containsString("\"event\":\"preflight\""));
        assertThat(String.join("\n", logs), containsString("it cannot serve"));
        assertThat(seen.toString(), containsString("hedgerow_preflight_checks_total"));
        assertNoSecretIn("check --live, responses, status and metrics", seen.toString(), output, logs);
    }

    @Test
    void noKeyAppearsAnywhereWhicheverApiIsCalledTracesIncluded() throws Exception {
        // The keys clients present (a configured one and a guess), the OTLP exporter's token, and the providers'.
        String clientKey = "hr-SECRET-client-0a1b2c3d4e5f6a7b";
        String guess = "hr-SECRET-guess-99887766554433";
        String otlpToken = "otlp-SECRET-5150515051505150";
        List<String> secrets = List.of(P1_KEY, P2_KEY, ADMIN_KEY, clientKey, guess, otlpToken);
        Capture capture = Capture.start();
        StringBuilder seen = new StringBuilder();
        try (FakeOpenAi first = FakeOpenAi.start(); FakeOpenAi second = FakeOpenAi.start();
             io.hedgerow.fakes.OtlpReceiver traces = io.hedgerow.fakes.OtlpReceiver.start()) {
            Files.writeString(dir.resolve("admin.key"), ADMIN_KEY);
            Path file = dir.resolve("hedgerow.yaml");
            Files.writeString(file, """
                    server:
                      host: 127.0.0.1
                      port: 0
                      admin-key: {file: %s}
                      client-keys: [{name: agent, sha256: %s}]
                    observe:
                      tracing:
                        endpoint: %s
                        headers: {Authorization: "Bearer %s"}
                        capture-content: true
                    failover:
                      retry: {max-attempts: 1}
                    providers:
                      p1: {type: openai, base-url: %s, keys: [{label: k1, value: %s}]}
                      p2: {type: openai, base-url: %s, keys: ["%s"]}
                    routes:
                      chat: {chain: [p1/m1, p2/m2]}
                      embed: {chain: [p1/e1]}
                    """.formatted(dir.resolve("admin.key"), io.hedgerow.api.ClientKeys.hash(clientKey),
                                  traces.endpoint(), otlpToken, first.baseUrl(), P1_KEY, second.baseUrl(), P2_KEY));
            ConfigLoader.Result loaded = ConfigLoader.load(file, name -> java.util.Optional.empty());
            HedgerowConfig config = loaded.config().orElseThrow(() -> new AssertionError(loaded.errors()));
            try (HedgerowServer router = HedgerowServer.builder(config).configFile(file).start();
                 RawClient raw = new RawClient(router.port())) {
                // p1 echoes its key in a 401, p2 puts its key in a 500 body: every API's request fails through both.
                first.otherwise(Reply.invalidApiKeyEchoed());
                second.otherwise(Reply.raw(500, "application/json",
                                           "{\"error\":{\"message\":\"internal: key " + P2_KEY + " over quota\"}}"));
                Map<String, String> bearer = Map.of("Authorization", "Bearer " + clientKey);
                Map<String, String> apiKey = Map.of("x-api-key", clientKey, "anthropic-version", "2023-06-01");
                Map<String, String> requests = Map.of(
                        "/v1/chat/completions", CHAT.formatted("chat"),
                        "/v1/messages", "{\"model\":\"chat\",\"max_tokens\":5,"
                                + "\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}",
                        "/v1/responses", "{\"model\":\"chat\",\"input\":\"Hi\"}",
                        "/v1/embeddings", "{\"model\":\"embed\",\"input\":\"Hi\"}");
                for (Map.Entry<String, String> request : requests.entrySet()) {
                    String path = request.getKey();
                    HttpResponse<String> failed = raw.post(path, request.getValue(),
                                                           path.equals("/v1/messages") ? apiKey : bearer);
                    assertThat(path + ": " + failed.body(), failed.statusCode() >= 500, is(true));
                    seen.append(dump(failed));
                    // A guessed key, either way a client may present it.
                    for (Map<String, String> wrong : List.of(Map.of("Authorization", "Bearer " + guess),
                                                             Map.of("x-api-key", guess))) {
                        HttpResponse<String> refused = raw.post(path, request.getValue(), wrong);
                        assertThat(path + ": " + refused.body(), refused.statusCode(), is(401));
                        seen.append(dump(refused));
                    }
                }
                seen.append(shown(router, raw, "/status?format=json", "/status?format=html", "/observe/metrics",
                                  "/observe/health/ready"));
                // Every API's server span, with the failed attempts under it, has been exported.
                traces.await(spans -> spans.stream().filter(span -> span.kind()
                        == io.hedgerow.fakes.OtlpReceiver.Span.SERVER).count() >= 4, Duration.ofSeconds(20));
                seen.append(traces.spans());
            }
            // The exporter did authenticate with its token: it is a secret that travels, in a header only.
            assertThat(traces.exportHeaders().toString(), containsString(otlpToken));
            for (String secret : secrets) {
                assertThat("an OTLP export body", traces.anyBodyContains(secret), is(false));
            }
        } finally {
            capture.close();
        }
        String output = capture.output();
        String logs = String.join("\n", capture.logs);
        // The scenarios did happen: the guesses were refused and logged, the keys cooled down.
        assertThat(logs, containsString("the API key is not one this router knows"));
        assertThat(output, containsString("\"event\":\"cooldown_started\""));
        for (String secret : secrets) {
            assertThat("responses, status, metrics and spans", seen.toString(), not(containsString(secret)));
            assertThat("stdout and stderr", output, not(containsString(secret)));
            assertThat("log records", logs, not(containsString(secret)));
        }
    }

    private String yaml(FakeOpenAi first, FakeOpenAi second, FakeOpenAi third, String hedge) {
        return """
                server:
                  host: 127.0.0.1
                  port: 0
                  admin-key: {file: %s}
                failover:
                  retry: {max-attempts: 1}
                providers:
                  p1:
                    type: openai
                    base-url: %s
                    keys: [{label: k1, file: %s}]
                  p2:
                    type: openai
                    base-url: %s
                    keys: ["${P2_KEY}"]
                  p3:
                    type: openai
                    base-url: %s
                    keys: [{label: k3, env: P3_ENV}]
                routes:
                  chat:
                    chain: [p1/m1, p2/m2, p3/m3]
                  solo:
                    chain: [p1/m1]
                  hedged:
                    chain: [p3/m3, p2/m2]
                    hedge: %s
                """.formatted(dir.resolve("admin.key"), first.baseUrl(), dir.resolve("p1.key"), second.baseUrl(),
                              third.baseUrl(), hedge).replace("env: P3_ENV", "value: " + P3_KEY);
    }

    private static HttpResponse<String> admin(int port, String token) throws IOException, InterruptedException {
        try (HttpClient http = HttpClient.newHttpClient()) {
            return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/admin/reload"))
                                     .timeout(Duration.ofSeconds(15)).header("Authorization", "Bearer " + token)
                                     .POST(HttpRequest.BodyPublishers.noBody()).build(),
                             HttpResponse.BodyHandlers.ofString());
        }
    }

    /** What the router shows about itself: these pages, and its recent events. */
    private static String shown(HedgerowServer router, RawClient raw, String... paths) {
        StringBuilder shown = new StringBuilder();
        // Read as an operator does: with the admin key when there is one (/status is behind it then).
        java.util.Map<String, String> auth = router.generation().config().server().adminKey()
                .map(key -> java.util.Map.of("Authorization", "Bearer " + key.value())).orElse(java.util.Map.of());
        for (String path : paths) {
            HttpResponse<String> response = raw.get(path, auth);
            assertThat(path + ": " + response.body(), response.statusCode() != 401, is(true));
            shown.append(dump(response));
        }
        return shown.append(String.join("\n", router.telemetry().events().recent().stream()
                .map(Object::toString).toList())).toString();
    }

    private static void assertNoSecretIn(String seenWhere, String seen, String output, List<String> logs) {
        for (String secret : SECRETS) {
            assertThat(seenWhere, seen, not(containsString(secret)));
            assertThat("stdout and stderr", output, not(containsString(secret)));
            assertThat("log records", String.join("\n", logs), not(containsString(secret)));
        }
    }

    private static String dump(HttpResponse<String> response) {
        return response.statusCode() + " " + response.headers().map() + "\n" + response.body() + "\n";
    }

    /**
     * Everything the router says while a test runs: standard output and error (still shown, and kept) and every
     * log record at any level. {@link #close} puts things back.
     */
    private static final class Capture implements AutoCloseable {
        final List<String> logs = new CopyOnWriteArrayList<>();
        private final ByteArrayOutputStream printed = new ByteArrayOutputStream();
        private final PrintStream out = System.out;
        private final PrintStream err = System.err;
        private final Logger root = Logger.getLogger("");
        private final Level rootLevel = root.getLevel();
        private final Handler handler = new Handler() {
            private final SimpleFormatter formatter = new SimpleFormatter();

            @Override
            public void publish(LogRecord record) {
                logs.add(formatter.format(record));
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };

        static Capture start() {
            Capture capture = new Capture();
            capture.root.setLevel(Level.ALL);
            capture.root.addHandler(capture.handler);
            System.setOut(new PrintStream(tee(capture.out, capture.printed), true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(tee(capture.err, capture.printed), true, StandardCharsets.UTF_8));
            return capture;
        }

        String output() {
            return printed.toString(StandardCharsets.UTF_8);
        }

        @Override
        public void close() {
            System.setOut(out);
            System.setErr(err);
            root.removeHandler(handler);
            root.setLevel(rootLevel);
        }
    }

    private static OutputStream tee(OutputStream a, OutputStream b) {
        return new OutputStream() {
            @Override
            public void write(int c) throws IOException {
                a.write(c);
                b.write(c);
            }

            @Override
            public void write(byte[] buf, int off, int len) throws IOException {
                a.write(buf, off, len);
                b.write(buf, off, len);
            }
        };
    }
}
