package io.hedgerow.observe;

import com.fasterxml.jackson.databind.JsonNode;
import io.hedgerow.config.ConfigLoader;
import io.hedgerow.config.HedgerowConfig;
import io.hedgerow.fakes.FakeOpenAi;
import io.hedgerow.fakes.FakeOpenAi.Reply;
import io.hedgerow.testing.RawClient;
import io.hedgerow.testing.TcpRelay;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import static io.hedgerow.testing.Eventually.eventually;
import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.greaterThanOrEqualTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.is;

/**
 * Config hot reload end to end, from a real file: a valid file is swapped in (hedge settings, chains) while the
 * health of unchanged candidates is kept; an invalid one is rejected with its errors logged and the old config
 * stays; a change on disk is picked up by the watcher; a request in flight finishes on the config it started with,
 * and a replaced provider's old connections are closed once it has; admin endpoints need the admin key; and under
 * load with reloads every few hundred milliseconds no request fails.
 */
class ReloadEndToEndTest {
    private static final String CHAT = "{\"model\":\"%s\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}";
    private static final String ADMIN_KEY = "adm-test-0f1e2d3c4b5a69788796a5b4";

    private static FakeOpenAi first;
    private static FakeOpenAi second;
    @TempDir
    Path dir;
    private Path file;
    private ObservedRouter router;

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
    void setUp() throws IOException {
        first.reset();
        second.reset();
        first.otherwise(Reply.text("from ", "first"));
        second.otherwise(Reply.text("from ", "second"));
        Files.writeString(dir.resolve("admin.key"), ADMIN_KEY + "\n");
        Files.writeString(dir.resolve("p1.key"), "sk-test-reload-p1-000000000000");
        Files.writeString(dir.resolve("p2.key"), "sk-test-reload-p2-000000000000");
        file = dir.resolve("hedgerow.yaml");
    }

    @AfterEach
    void stop() {
        if (router != null) {
            router.close();
        }
    }

    /** A config with two OpenAI-style providers on the fakes; {@code extra} is appended under routes.chat. */
    private String yaml(String chain, String hedge, String p2Headers, boolean admin) {
        return yaml(first.baseUrl(), "", chain, hedge, p2Headers, admin);
    }

    /** The same, with p1 at this base URL and with these headers. */
    private String yaml(String p1BaseUrl, String p1Headers, String chain, String hedge, String p2Headers,
                        boolean admin) {
        return """
                server:
                  host: 127.0.0.1
                  port: 0
                %s
                failover:
                  retry: {max-attempts: 1}
                  breaker: {minimum-calls: 1, failure-ratio: 0.5, open-for: 5m}
                observe:
                  events: off
                  preflight: off
                providers:
                  p1:
                    type: openai
                    base-url: %s
                    keys: [{label: k1, file: %s}]
                    headers: {%s}
                    timeouts: {connect: 2s, first-token: 5s, idle: 5s, total: 10s}
                  p2:
                    type: openai
                    base-url: %s
                    keys: [{label: k2, file: %s}]
                    headers: {%s}
                    timeouts: {connect: 2s, first-token: 5s, idle: 5s, total: 10s}
                routes:
                  chat:
                    chain: [%s]
                    hedge: %s
                  other:
                    chain: [p2/m2]
                """.formatted(admin ? "  admin-key: {file: " + dir.resolve("admin.key") + "}" : "",
                              p1BaseUrl, dir.resolve("p1.key"), p1Headers, second.baseUrl(), dir.resolve("p2.key"),
                              p2Headers, chain, hedge);
    }

    private void write(String text) {
        try {
            // Written beside and renamed over, as editors do: the watcher sees one complete file.
            Path tmp = dir.resolve("hedgerow.yaml.tmp");
            Files.writeString(tmp, text);
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void start(String text, boolean watch) {
        write(text);
        ConfigLoader.Result loaded = ConfigLoader.load(file);
        assertThat(loaded.errors().toString(), loaded.errors(), empty());
        HedgerowConfig config = loaded.config().orElseThrow();
        // Live checks stay off (they would add calls through the relay and to the fakes); events go to the test.
        config = config.withObserve(new io.hedgerow.config.ObserveSettings("off", 100, 50, watch)
                                            .withPreflight(config.observe().preflight()));
        router = ObservedRouter.start(config, file, b -> b.watchQuiet(Duration.ofMillis(100)));
    }

    @Test
    void aProvidersBulkheadCountsTheOldGenerationsAttemptsAfterAReload() throws Exception {
        // p1 takes one attempt at a time; that attempt is held on the first generation while a reload swaps in
        // a second one. The new generation must still see p1 as full.
        String config = yaml("p1/m1, p2/m2", "off", "", true)
                .replace("  p1:\n    type: openai\n", "  p1:\n    type: openai\n    max-concurrent: 1\n");
        start(config, false);
        CountDownLatch gate = new CountDownLatch(1);
        try {
            first.enqueue(Reply.text("held").firstTokenAfter(gate));
            CompletableFuture<HttpResponse<String>> holding =
                    CompletableFuture.supplyAsync(() -> router.raw.chat(CHAT.formatted("chat")));
            assertThat(first.awaitRequests(1, Duration.ofSeconds(5)), is(true));

            write(yaml("p1/m1, p2/m2", "off", "X-Team: blue", true).replace(
                    "  p1:\n    type: openai\n", "  p1:\n    type: openai\n    max-concurrent: 1\n"));
            HttpResponse<String> reloaded = adminReload(ADMIN_KEY);
            assertThat(reloaded.body(), reloaded.statusCode(), is(200));
            assertThat(router.server.generation().number(), is(2));

            HttpResponse<String> during = router.raw.chat(CHAT.formatted("chat"));
            assertThat(during.body(), during.statusCode(), is(200));
            assertThat(during.headers().firstValue("x-hedgerow-attempts").orElse(""),
                       is("p1/m1:skipped (bulkhead full), p2/m2#k2:ok"));
            assertThat(first.requestCount(), is(1));

            gate.countDown();
            assertThat(holding.get(10, TimeUnit.SECONDS).statusCode(), is(200));
            eventually(() -> router.server.attemptsInFlight("p1") == 0);
            HttpResponse<String> after = router.raw.chat(CHAT.formatted("chat"));
            assertThat(after.headers().firstValue("x-hedgerow-attempts").orElse(""), is("p1/m1#k1:ok"));
        } finally {
            gate.countDown();
        }
    }

    @Test
    void aReloadThatChangesEventsKeepsTheFilesOtherObserveSettings() {
        // observe.events needs a restart, so a reload keeps the running one; the rest of the section, live checks
        // included, is the file's. (It once came back as the defaults: live checks on again, whatever the file said.)
        String config = yaml("p1/m1", "off", "", true);
        start(config, false);
        write(config.replace("events: off", "events: stdout").replace("preflight: off",
                                                                       "preflight: {enabled: false, interval: 7m}"));
        HttpResponse<String> reloaded = adminReload(ADMIN_KEY);
        assertThat(reloaded.body(), reloaded.statusCode(), is(200));
        assertThat(reloaded.body(), containsString("observe.events: 'stdout' takes effect at the next restart"));
        io.hedgerow.config.ObserveSettings observe = router.server.generation().config().observe();
        assertThat(observe.events(), is("off"));
        assertThat(observe.preflight().enabled(), is(false));
        assertThat(observe.preflight().interval(), is(Duration.ofMinutes(7)));
    }

    @Test
    void aReloadThatRaisesTheBodyLimitPastItsStartValueSaysItTakesARestart() {
        // Helidon refuses a body (or a chunk) past the limit the router started with before a byte is read.
        String config = yaml("p1/m1", "off", "", true);
        start(config, false);
        write(config.replace("  port: 0\n", "  port: 0\n  max-body-size: 16MiB\n"));
        HttpResponse<String> reloaded = adminReload(ADMIN_KEY);
        assertThat(reloaded.body(), reloaded.statusCode(), is(200));
        assertThat(reloaded.body(), containsString("server.max-body-size: 16777216 bytes is above the 8388608 the "
                                                           + "router started with"));
    }

    private HttpResponse<String> adminReload(String token) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + router.port()
                                                                                + "/admin/reload"))
                .timeout(Duration.ofSeconds(15)).POST(HttpRequest.BodyPublishers.noBody());
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        try (HttpClient http = HttpClient.newHttpClient()) {
            return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static JsonNode route(JsonNode status, String name) {
        for (JsonNode route : status.path("routes")) {
            if (route.path("name").asText().equals(name)) {
                return route;
            }
        }
        throw new AssertionError("no route " + name);
    }

    private static JsonNode candidate(JsonNode route, String label) {
        for (JsonNode c : route.path("candidates")) {
            if (c.path("label").asText().equals(label)) {
                return c;
            }
        }
        throw new AssertionError("no candidate " + label + " in " + route);
    }

    @Test
    void aValidFileIsSwappedInAndUnchangedCandidatesKeepTheirHealth() {
        start(yaml("p1/m1, p2/m2", "off", "", true), false);
        first.otherwise(Reply.status(503));
        second.enqueue(Reply.text("warm"));
        assertThat(RawClient.json(router.raw.chat(CHAT.formatted("chat"))).at("/choices/0/message/content").asText(),
                   is("warm"));
        JsonNode before = route(router.status(), "chat");
        assertThat(candidate(before, "p1/m1").path("state").asText(), is("breaker_open"));
        assertThat(candidate(before, "p2/m2").path("baseline").path("complete").path("samples").asInt(), is(1));
        assertThat(before.path("hedge").path("enabled").asBoolean(), is(false));

        // Hedging on with a fixed delay, and p2's headers changed (p1 untouched).
        write(yaml("p1/m1, p2/m2", "{delay: 800ms}", "X-Team: blue", true));
        HttpResponse<String> reloaded = adminReload(ADMIN_KEY);

        assertThat(reloaded.body(), reloaded.statusCode(), is(200));
        JsonNode outcome = RawClient.json(reloaded);
        assertThat(outcome.path("result").asText(), is("applied"));
        assertThat(outcome.path("generation").asInt(), is(2));
        List<String> changes = new ArrayList<>();
        outcome.path("changes").forEach(c -> changes.add(c.asText()));
        assertThat(changes, hasItem("providers.p2 changed"));
        assertThat(changes, hasItem("routes.chat changed"));

        JsonNode status = router.status();
        assertThat(status.path("generation").asInt(), is(2));
        JsonNode after = route(status, "chat");
        assertThat(after.path("hedge").path("delay").asText(), is("800ms"));
        assertThat(after.path("hedge").path("delay_ms_stream").asLong(), is(800L));
        assertThat("p1 is unchanged: its open breaker is kept", candidate(after, "p1/m1").path("state").asText(),
                   is("breaker_open"));
        assertThat("p2 changed: it starts afresh",
                   candidate(after, "p2/m2").path("baseline").path("complete").path("samples").asInt(), is(0));
        // The new header reaches p2: the rebuilt provider serves.
        second.reset();
        second.otherwise(Reply.text("again"));
        router.raw.chat(CHAT.formatted("chat"));
        assertThat(second.onlyExchange().header("X-Team").orElse(""), is("blue"));
        JsonNode event = router.events("config_reloaded").getFirst();
        assertThat(event.path("trigger").asText(), is("admin"));
        assertThat(event.path("generation").asInt(), is(2));
        assertThat(router.metrics().sum("hedgerow_config_generation"), is(2.0));

        // The same file again: nothing to do.
        assertThat(RawClient.json(adminReload(ADMIN_KEY)).path("result").asText(), is("unchanged"));
    }

    @Test
    void anInvalidFileIsRejectedWithItsErrorsLoggedAndTheOldConfigStays() {
        start(yaml("p1/m1, p2/m2", "off", "", true), false);
        List<String> logged = new java.util.concurrent.CopyOnWriteArrayList<>();
        Logger log = Logger.getLogger(ConfigReloader.class.getName());
        Handler capture = new Handler() {
            @Override
            public void publish(LogRecord record) {
                logged.add(new java.util.logging.SimpleFormatter().formatMessage(record));
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        log.addHandler(capture);
        try {
            write(yaml("p1/m1, nowhere/m9", "{delay: 'p250'}", "", true));
            HttpResponse<String> rejected = adminReload(ADMIN_KEY);

            assertThat(rejected.statusCode(), is(422));
            JsonNode outcome = RawClient.json(rejected);
            assertThat(outcome.path("result").asText(), is("rejected"));
            assertThat(outcome.path("generation").asInt(), is(1));
            assertThat(outcome.path("errors").toString(), containsString("routes.chat.chain[1]"));
            assertThat(outcome.path("errors").toString(), containsString("routes.chat.hedge.delay"));
            assertThat(String.join("\n", logged), containsString("routes.chat.chain[1]"));
            assertThat(String.join("\n", logged), containsString("the old config stays"));
        } finally {
            log.removeHandler(capture);
        }
        assertThat(router.status().path("generation").asInt(), is(1));
        HttpResponse<String> served = router.raw.chat(CHAT.formatted("chat"));
        assertThat(served.statusCode(), is(200));
        assertThat(served.headers().firstValue("x-hedgerow-provider").orElse(""), is("p1"));
        JsonNode event = router.events("config_rejected").getFirst();
        assertThat(event.path("errors").size(), greaterThanOrEqualTo(2));
        assertThat(router.metrics().sum("hedgerow_config_reloads_total", "result", "rejected"), greaterThan(0.0));
    }

    @Test
    void aChangeOnDiskIsPickedUpByTheWatcher() throws Exception {
        start(yaml("p1/m1, p2/m2", "off", "", false), true);
        assertThat(router.raw.chat(CHAT.formatted("chat")).headers().firstValue("x-hedgerow-provider").orElse(""),
                   is("p1"));

        write(yaml("p2/m2, p1/m1", "off", "", false));

        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (router.server.generation().number() < 2 && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertThat(router.server.generation().number(), is(2));
        assertThat(router.raw.chat(CHAT.formatted("chat")).headers().firstValue("x-hedgerow-provider").orElse(""),
                   is("p2"));
        // The event is recorded just after the swap that the generation number shows: wait for it, bounded.
        eventually(() -> !router.events("config_reloaded").isEmpty());
        assertThat(router.events("config_reloaded").getFirst().path("trigger").asText(), is("file"));
    }

    @Test
    void aRequestInFlightFinishesOnTheConfigItStartedWith() throws Exception {
        start(yaml("p1/m1", "off", "", true), false);
        CountDownLatch slow = new CountDownLatch(1);
        first.enqueue(Reply.text("old ", "config").firstTokenAfter(slow));
        List<HttpResponse<String>> result = new ArrayList<>();
        Thread client = Thread.ofVirtual().start(() -> result.add(router.raw.chat(CHAT.formatted("chat"))));
        assertThat(first.awaitRequests(1, Duration.ofSeconds(5)), is(true));

        write(yaml("p2/m2", "off", "", true));
        assertThat(RawClient.json(adminReload(ADMIN_KEY)).path("result").asText(), is("applied"));
        assertThat(router.raw.chat(CHAT.formatted("chat")).headers().firstValue("x-hedgerow-provider").orElse(""),
                   is("p2"));

        slow.countDown();
        client.join(Duration.ofSeconds(15));
        assertThat(result.getFirst().statusCode(), is(200));
        assertThat(RawClient.json(result.getFirst()).at("/choices/0/message/content").asText(), is("old config"));
        assertThat(result.getFirst().headers().firstValue("x-hedgerow-provider").orElse(""), is("p1"));
    }

    @Test
    void aReplacedProvidersConnectionsAreClosedOnceTheLastRequestOnItsOldClientIsDone() throws Exception {
        try (TcpRelay relay = TcpRelay.to(first.port())) {
            String p1 = "http://127.0.0.1:" + relay.port() + "/v1";
            start(yaml(p1, "", "p1/m1", "off", "", true), false);
            CountDownLatch slow = new CountDownLatch(1);
            first.enqueue(Reply.text("old ", "config").firstTokenAfter(slow));
            List<HttpResponse<String>> result = new CopyOnWriteArrayList<>();
            Thread client = Thread.ofVirtual().start(() -> result.add(router.raw.chat(CHAT.formatted("chat"))));
            assertThat(first.awaitRequests(1, Duration.ofSeconds(5)), is(true));
            // Beside the request in flight (on connection 0), one that ends and leaves connection 1 idle in the pool.
            assertThat(router.raw.chat(CHAT.formatted("chat")).statusCode(), is(200));
            assertThat(relay.connections(), is(2));

            // p1 changes (a new header): generation 2 reaches it through a client of its own (connection 2).
            write(yaml(p1, "X-Team: red", "p1/m1", "off", "", true));
            assertThat(RawClient.json(adminReload(ADMIN_KEY)).path("result").asText(), is("applied"));
            assertThat(router.raw.chat(CHAT.formatted("chat")).statusCode(), is(200));
            assertThat(first.exchanges().getLast().header("X-Team"), is(Optional.of("red")));
            assertThat(relay.connections(), is(3));
            // The request in flight still holds generation 1, and with it the old client: nothing is closed yet.
            assertThat(relay.open(), is(List.of(0, 1, 2)));

            slow.countDown();
            client.join(Duration.ofSeconds(15));
            assertThat(result.getFirst().statusCode(), is(200));
            assertThat(RawClient.json(result.getFirst()).at("/choices/0/message/content").asText(), is("old config"));
            assertThat(result.getFirst().headers().firstValue("x-hedgerow-provider").orElse(""), is("p1"));
            // Its last request done, the old client is closed: the idle connection, and the one that request used.
            assertThat(relay.awaitClosedByRouter(1, Duration.ofSeconds(5)), is(true));
            assertThat(relay.awaitClosedByRouter(0, Duration.ofSeconds(5)), is(true));
            assertThat("the new client keeps its connection", relay.open(), is(List.of(2)));
            assertThat(router.raw.chat(CHAT.formatted("chat")).statusCode(), is(200));
            assertThat(relay.connections(), is(3));
        }
    }

    @Test
    void adminEndpointsNeedTheAdminKeyAndAreOffWithoutOne() {
        start(yaml("p1/m1", "off", "", true), false);
        assertThat(adminReload(null).statusCode(), is(401));
        assertThat(adminReload(null).headers().firstValue("www-authenticate").orElse(""), containsString("Bearer"));
        assertThat(adminReload("adm-test-wrong").statusCode(), is(401));
        assertThat(adminReload(ADMIN_KEY).statusCode(), is(200));
        router.close();

        start(yaml("p1/m1", "off", "", false), false);
        HttpResponse<String> disabled = adminReload(ADMIN_KEY);
        assertThat(disabled.statusCode(), is(403));
        assertThat(RawClient.json(disabled).at("/error/code").asText(), is("admin_disabled"));
    }

    @Test
    void underLoadWithRepeatedReloadsNoRequestIsDropped() throws Exception {
        first.otherwise(Reply.text("one"));
        second.otherwise(Reply.text("two"));
        start(yaml("p1/m1, p2/m2", "off", "", true), true);
        int clients = 4;
        long until = System.nanoTime() + Duration.ofSeconds(4).toNanos();
        AtomicInteger served = new AtomicInteger();
        Map<String, Integer> failures = new ConcurrentHashMap<>();
        List<Thread> threads = new ArrayList<>();
        for (int c = 0; c < clients; c++) {
            threads.add(Thread.ofVirtual().start(() -> {
                try (RawClient raw = new RawClient(router.port())) {
                    for (int i = 0; i < 2_000 && System.nanoTime() < until; i++) {
                        HttpResponse<String> r = raw.chat(CHAT.formatted(i % 3 == 0 ? "other" : "chat"));
                        String text = r.statusCode() == 200
                                ? RawClient.json(r).at("/choices/0/message/content").asText() : "";
                        if (r.statusCode() == 200 && (text.equals("one") || text.equals("two"))) {
                            served.incrementAndGet();
                        } else {
                            failures.merge(r.statusCode() + " " + r.body(), 1, Integer::sum);
                        }
                    }
                }
            }));
        }
        int reloads = 0;
        String[] chains = {"p2/m2, p1/m1", "p1/m1, p2/m2"};
        String[] hedges = {"{delay: 300ms}", "off", "{delay: p90, min-delay: 20ms}"};
        while (System.nanoTime() < until - Duration.ofMillis(500).toNanos()) {
            write(yaml(chains[reloads % 2], hedges[reloads % 3], reloads % 2 == 0 ? "X-Run: a" : "", true));
            if (reloads % 2 == 0) {
                adminReload(ADMIN_KEY);
            }
            reloads++;
            Thread.sleep(200);
        }
        for (Thread t : threads) {
            t.join(Duration.ofSeconds(30));
        }
        System.out.printf("reload under load: %d requests served by %d clients, %d file writes, generation %d, "
                                  + "failures %s%n", served.get(), clients, reloads,
                          router.server.generation().number(), failures);
        assertThat(failures.toString(), failures.isEmpty(), is(true));
        assertThat(served.get(), greaterThan(50));
        assertThat(router.server.generation().number(), greaterThanOrEqualTo(reloads / 2));
    }
}
