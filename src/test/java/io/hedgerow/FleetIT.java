package io.hedgerow;

import com.fasterxml.jackson.databind.JsonNode;
import io.hedgerow.fakes.FakeOpenAi;
import io.hedgerow.json.Json;
import io.hedgerow.testing.RedisServer;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.lessThan;
import static org.hamcrest.Matchers.lessThanOrEqualTo;

/**
 * Three fat-jar replicas on one real Redis, driven by a client that spreads its requests across them, as a fleet
 * behind a load balancer is: a 429 seen by one makes the others skip that key within 200 ms; a fleet-wide limit of
 * 100 requests a minute admits at most 100 (plus what refills while the test runs); a breaker opened on one is open on
 * all and one probe is sent for the fleet; Redis killed mid-run fails no request, and every replica says so (event,
 * metric, status); Redis restarted empty is refilled by the replicas (state converges).
 */
class FleetIT {
    private static final Path JAR = Path.of("target/hedgerow.jar");
    private static final Pattern LISTENING = Pattern.compile("listening on http://([^:]+):(\\d+)/v1");
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final String AGENTS = "secret1"; // rate-limited: 100/min, burst 100
    private static final String OPS = "secret2";    // not limited
    private static final String AGENTS_SHA = "5b11618c2e44027877d0cd0921ed166b9f176f50587fc91e7534dd2946db77d6";
    private static final String OPS_SHA = "35224d0d3465d74e855f8d69a136e79c744ea35a675d3393360a327cbf6359a2";

    @TempDir
    Path dir;

    private final FakeOpenAi keyed = FakeOpenAi.start();
    private final FakeOpenAi flaky = FakeOpenAi.start();
    private final List<Replica> replicas = new ArrayList<>();
    private RedisServer redis;

    @AfterEach
    void stop() throws Exception {
        for (Replica r : replicas) {
            r.process.destroy();
        }
        for (Replica r : replicas) {
            if (!r.process.waitFor(20, TimeUnit.SECONDS)) {
                r.process.destroyForcibly();
            }
        }
        if (redis != null) {
            redis.close();
        }
        keyed.close();
        flaky.close();
    }

    @Test
    void threeReplicasShareWhatTheyLearn() throws Exception {
        redis = RedisServer.start();
        String prefix = "fleet-" + UUID.randomUUID().toString().substring(0, 8) + ":";
        Path config = dir.resolve("hedgerow.yaml");
        Files.writeString(config, """
                server:
                  port: 0
                  client-keys:
                    - {name: agents, sha256: %s, rate-limit: 100, burst: 100}
                    - {name: ops, sha256: %s}
                observe: {events: stdout, watch-config: false, preflight: off}
                state: {store: redis, url: "%s", key-prefix: "%s", replicas: 3, file: off, timeout: 1s}
                failover:
                  retry: {max-attempts: 1}
                  breaker: {minimum-calls: 2, failure-ratio: 0.5, open-for: 1s, successes-to-close: 1}
                providers:
                  keyed: {type: openai, base-url: "%s", keys: [{label: shared-key, value: sk-fleet-keyed}]}
                  flaky: {type: openai, base-url: "%s", keys: [{label: flaky-key, value: sk-fleet-flaky}]}
                  sim: {type: sim, sim: {first-token: 1ms, tokens-per-second: 0, answer-tokens: 3}}
                routes:
                  keyed: {chain: [keyed/m1, sim/s1]}
                  flaky: {chain: [flaky/m2, sim/s1]}
                  plain: {chain: [sim/s1]}
                """.formatted(AGENTS_SHA, OPS_SHA, redis.url(), prefix, keyed.baseUrl(), flaky.baseUrl()));
        List<CompletableFuture<Replica>> starting = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            starting.add(CompletableFuture.supplyAsync(() -> Replica.start(config)));
        }
        for (CompletableFuture<Replica> s : starting) {
            replicas.add(s.get(90, TimeUnit.SECONDS));
        }
        await(Duration.ofSeconds(30), () -> replicas.stream().allMatch(r -> r.state().path("up").asBoolean()));
        await(Duration.ofSeconds(10), () -> replicas.get(0).state().path("replicas").size() == 3);

        // In this order, the 429 last: measured on a fleet that has served and shared something already, not on the
        // first change a freshly started JVM ever makes (class loading and JIT on a loaded two-core machine).
        aFleetWideLimitAdmitsAtMostTheLimit();
        aBreakerOpenedOnOneIsOpenOnAllAndProbedOnce();
        aRateLimitOnOneReplicaIsKnownToAllWithin200Ms();
        redisDiesNoRequestFailsAndStateConvergesWhenItIsBack(prefix);
    }

    private void aRateLimitOnOneReplicaIsKnownToAllWithin200Ms() throws Exception {
        keyed.enqueue(FakeOpenAi.Reply.status(429).header("Retry-After", "60")).otherwise(FakeOpenAi.Reply.text("ok"));
        HttpResponse<String> first = replicas.get(0).chat("keyed", OPS);
        assertThat(first.headers().firstValue("x-hedgerow-provider").orElse(""), is("sim"));
        // Each replica logs the cooldown as an event when it starts it or hears of it: one clock, this machine's.
        List<java.time.Instant> started = new ArrayList<>();
        for (Replica r : replicas) {
            await(Duration.ofSeconds(5), () -> r.event("cooldown_started").isPresent());
            started.add(java.time.Instant.parse(r.event("cooldown_started").get().path("time").asText()));
        }
        long tookMillis = Math.max(Duration.between(started.get(0), started.get(1)).toMillis(),
                                   Duration.between(started.get(0), started.get(2)).toMillis());
        assertThat("both other replicas knew within 200 ms (took " + tookMillis + " ms)", tookMillis, lessThan(200L));
        for (int i = 1; i < 3; i++) {
            assertThat(replicas.get(i).keyCoolingMillis("keyed"), greaterThan(50_000L));
        }
        for (int i = 0; i < 6; i++) {
            HttpResponse<String> answer = replicas.get(i % 3).chat("keyed", OPS);
            assertThat(answer.headers().firstValue("x-hedgerow-provider").orElse(""), is("sim"));
        }
        assertThat("no replica tried the cooling key again", keyed.requestCount(), is(1));
    }

    private void aFleetWideLimitAdmitsAtMostTheLimit() {
        long started = System.nanoTime();
        int admitted = 0;
        int limited = 0;
        for (int i = 0; i < 150; i++) {
            int status = replicas.get(i % 3).chat("plain", AGENTS).statusCode();
            admitted += status == 200 ? 1 : 0;
            limited += status == 429 ? 1 : 0;
        }
        double minutes = (System.nanoTime() - started) / 60e9;
        int bound = 100 + (int) Math.ceil(100 * minutes); // the burst, plus what refilled meanwhile
        assertThat("admitted " + admitted + " (bound " + bound + ")", admitted, lessThanOrEqualTo(bound));
        assertThat(admitted, greaterThan(90));
        assertThat(admitted + limited, is(150));
    }

    private void aBreakerOpenedOnOneIsOpenOnAllAndProbedOnce() throws Exception {
        flaky.otherwise(FakeOpenAi.Reply.status(500));
        replicas.get(0).chat("flaky", OPS);
        replicas.get(0).chat("flaky", OPS);
        for (Replica r : replicas) {
            await(Duration.ofSeconds(5), () -> r.candidateState("flaky").equals("breaker_open"));
        }
        int failures = flaky.requestCount();
        assertThat(failures, is(2));

        CountDownLatch gate = new CountDownLatch(1);
        flaky.otherwise(FakeOpenAi.Reply.text("back").headersAfter(gate));
        await(Duration.ofSeconds(5), () -> !replicas.get(0).candidateState("flaky").equals("breaker_open"));
        List<Future<HttpResponse<String>>> answers = new ArrayList<>();
        try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            AtomicInteger sent = new AtomicInteger();
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (flaky.requestCount() == failures && System.nanoTime() < deadline) {
                int i = sent.getAndIncrement();
                answers.add(threads.submit(() -> replicas.get(i % 3).chat("flaky", OPS)));
                LockSupport.parkNanos(Duration.ofMillis(10).toNanos());
            }
            for (int i = 0; i < 30; i++) {
                int r = i;
                answers.add(threads.submit(() -> replicas.get(r % 3).chat("flaky", OPS)));
            }
            for (int i = answers.size() - 30; i < answers.size(); i++) {
                assertThat(answers.get(i).get().headers().firstValue("x-hedgerow-provider").orElse(""), is("sim"));
            }
            assertThat("one probe for the fleet", flaky.requestCount(), is(failures + 1));
            gate.countDown();
            for (Future<HttpResponse<String>> answer : answers) {
                assertThat(answer.get().statusCode(), is(200));
            }
        }
        for (Replica r : replicas) {
            await(Duration.ofSeconds(5), () -> r.candidateState("flaky").equals("ok"));
        }
    }

    private void redisDiesNoRequestFailsAndStateConvergesWhenItIsBack(String prefix) throws Exception {
        AtomicBoolean running = new AtomicBoolean(true);
        AtomicInteger sent = new AtomicInteger();
        List<String> failed = Collections.synchronizedList(new ArrayList<>());
        ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();
        List<Future<?>> clients = new ArrayList<>();
        for (int c = 0; c < 3; c++) {
            clients.add(threads.submit(() -> {
                while (running.get()) {
                    int i = sent.getAndIncrement();
                    HttpResponse<String> answer = replicas.get(i % 3).chat(i % 2 == 0 ? "plain" : "keyed", OPS);
                    if (answer.statusCode() != 200) {
                        failed.add(answer.statusCode() + " " + answer.body());
                    }
                }
                return null;
            }));
        }
        try {
            await(Duration.ofSeconds(10), () -> sent.get() > 30);
            redis.stop();
            for (Replica r : replicas) {
                await(Duration.ofSeconds(15), () -> !r.state().path("up").asBoolean());
                await(Duration.ofSeconds(5), () -> r.output().contains("\"event\":\"state_store_down\""));
                assertThat(r.metrics(), containsString("hedgerow_state_store_up{"));
                assertThat(metric(r.metrics(), "hedgerow_state_store_up"), is("0.0"));
            }
            int atDown = sent.get();
            await(Duration.ofSeconds(10), () -> sent.get() > atDown + 30);

            redis.restart();
            for (Replica r : replicas) {
                await(Duration.ofSeconds(30), () -> r.state().path("up").asBoolean());
                assertThat(metric(r.metrics(), "hedgerow_state_store_up"), is("1.0"));
            }
            // Redis came back empty; the replicas wrote back what they know: the key still cooling, the breaker news.
            await(Duration.ofSeconds(10), () -> {
                try {
                    return redis.keys(prefix + "key:*").size() == 1 && redis.keys(prefix + "breaker:*").size() == 1;
                } catch (IOException e) {
                    return false;
                }
            });
            int atUp = sent.get();
            await(Duration.ofSeconds(10), () -> sent.get() > atUp + 30);
        } finally {
            running.set(false);
            for (Future<?> client : clients) {
                client.get();
            }
            threads.close();
        }
        assertThat("failed requests: " + failed, failed.size(), is(0));
    }

    private static String metric(String text, String name) {
        Matcher m = Pattern.compile("(?m)^" + name + "\\{[^}]*} (\\S+)").matcher(text);
        return m.find() ? m.group(1) : "absent";
    }

    private void await(Duration bound, BooleanSupplier condition) {
        long deadline = System.nanoTime() + bound.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("condition not reached within " + bound.toMillis() + " ms\n" + replicasNow());
            }
            LockSupport.parkNanos(Duration.ofMillis(2).toNanos());
        }
    }

    /** What each replica says now (its state on /status) and the end of what it printed: for a failed wait. */
    private String replicasNow() {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < replicas.size(); i++) {
            Replica r = replicas.get(i);
            String state;
            try {
                state = r.state().toString();
            } catch (AssertionError | RuntimeException e) {
                state = "(no /status: " + e.getMessage() + ")";
            }
            List<String> lines = r.lines();
            out.append("--- replica ").append(i).append(" at ").append(r.base()).append(": state ").append(state)
                    .append("\n").append(String.join("\n", lines.subList(Math.max(0, lines.size() - 80),
                                                                         lines.size()))).append('\n');
        }
        return out.toString();
    }

    /** One fat jar, its address and everything it printed. */
    private record Replica(Process process, String base, List<String> lines) {
        static Replica start(Path config) {
            try {
                List<String> command = List.of(ProcessHandle.current().info().command().orElse("java"), "-Xmx128m",
                                               "-jar", JAR.toString(), "--config", config.toString());
                Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
                List<String> lines = new CopyOnWriteArrayList<>();
                CompletableFuture<String> base = new CompletableFuture<>();
                Thread.ofVirtual().start(() -> {
                    try (BufferedReader reader = new BufferedReader(new InputStreamReader(process.getInputStream(),
                                                                                          StandardCharsets.UTF_8))) {
                        String line;
                        while ((line = reader.readLine()) != null) {
                            lines.add(line);
                            Matcher m = LISTENING.matcher(line);
                            if (m.find()) {
                                base.complete("http://" + m.group(1) + ":" + m.group(2));
                            }
                        }
                    } catch (IOException e) {
                        // the process ended
                    }
                    base.complete(null);
                });
                String address = base.get(90, TimeUnit.SECONDS);
                if (address == null) {
                    throw new AssertionError("a replica did not start: " + String.join("\n", lines));
                }
                return new Replica(process, address, lines);
            } catch (Exception e) {
                throw new AssertionError("cannot start a replica", e);
            }
        }

        HttpResponse<String> chat(String route, String clientKey) {
            try {
                return HTTP.send(HttpRequest.newBuilder(URI.create(base + "/v1/chat/completions"))
                                         .header("Content-Type", "application/json")
                                         .header("Authorization", "Bearer " + clientKey)
                                         .timeout(Duration.ofSeconds(30))
                                         .POST(HttpRequest.BodyPublishers.ofString(
                                                 "{\"model\":\"" + route + "\",\"messages\":[{\"role\":\"user\","
                                                         + "\"content\":\"hi\"}]}"))
                                         .build(), HttpResponse.BodyHandlers.ofString());
            } catch (Exception e) {
                throw new AssertionError("request to " + base + " failed", e);
            }
        }

        JsonNode status() {
            try {
                return Json.MAPPER.readTree(HTTP.send(HttpRequest.newBuilder(URI.create(base + "/status"))
                                                              .header("Authorization", "Bearer " + OPS).build(),
                                                      HttpResponse.BodyHandlers.ofString()).body());
            } catch (Exception e) {
                throw new AssertionError("cannot read " + base + "/status", e);
            }
        }

        JsonNode state() {
            return status().path("state");
        }

        JsonNode candidate(String route) {
            for (JsonNode r : status().path("routes")) {
                if (r.path("name").asText().equals(route)) {
                    return r.path("candidates").get(0);
                }
            }
            throw new AssertionError("no route " + route);
        }

        String candidateState(String route) {
            return candidate(route).path("state").asText();
        }

        long keyCoolingMillis(String route) {
            return candidate(route).path("keys").get(0).path("cooling_for_ms").asLong();
        }

        String metrics() {
            try {
                return HTTP.send(HttpRequest.newBuilder(URI.create(base + "/observe/metrics"))
                                         .header("Accept", "text/plain")
                                         .header("Authorization", "Bearer " + OPS).build(),
                                 HttpResponse.BodyHandlers.ofString()).body();
            } catch (Exception e) {
                throw new AssertionError("cannot read " + base + "/observe/metrics", e);
            }
        }

        String output() {
            return String.join("\n", lines);
        }

        /** The first event line of this type the replica printed. */
        java.util.Optional<JsonNode> event(String type) {
            for (String line : lines) {
                if (line.startsWith("{") && line.contains("\"event\":\"" + type + "\"")) {
                    try {
                        return java.util.Optional.of(Json.MAPPER.readTree(line));
                    } catch (IOException e) {
                        // not an event line after all
                    }
                }
            }
            return java.util.Optional.empty();
        }
    }
}
