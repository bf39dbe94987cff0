package io.hedgerow;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

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
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.not;

/**
 * The fat jar on the heap {@code scripts/run} gives it, against the largest pathological bodies its defaults allow,
 * many at once: 8 MiB bodies (millions of empty objects, a string as long as the body limit, megabytes of
 * whitespace; together twice the heap), then {@code max-concurrent-requests} bodies holding the most values a body
 * may (in objects with unique keys, the costliest tree per byte). Every request gets an answer (served, refused as too complex, or told to retry), the router never
 * runs out of memory, and afterwards its threads are all alive and it serves.
 */
class HostileBodiesIT {
    private static final Path JAR = Path.of("target/hedgerow.jar");
    private static final Pattern LISTENING = Pattern.compile("listening on http://([^:]+):(\\d+)/v1");
    private static final Pattern HEAP = Pattern.compile("^heap=\"([^\"]+)\"", Pattern.MULTILINE);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int MAX_BODY = 8 * 1024 * 1024;
    /** Bodies of 8 MiB at once: together twice the heap, which is what the budget is for. */
    private static final int PARALLEL_LARGE = 64;
    /** max-concurrent-requests: the most the router serves at once. */
    private static final int PARALLEL = 128;

    @TempDir
    Path dir;

    // The read timeout is raised out of the way: this is about memory, and on a loaded machine 512 MiB of bodies at
    // once may take the clients longer than the default 30 s to send (the router would rightly cut them).
    @Test
    void theLargestPathologicalBodiesInParallelCostNoOutOfMemoryAndKillNoThread() throws Exception {
        Path config = dir.resolve("hostile.yaml");
        Files.writeString(config, """
                server: {port: 0, read-timeout: 120s}
                observe: {events: off, preflight: {enabled: false}}
                providers:
                  sim: {type: sim, sim: {first-token: 1ms, tokens-per-second: 0, answer-tokens: 3}}
                routes:
                  quick: {chain: [sim/tiny]}
                """);
        List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command().orElse("java"));
        command.addAll(List.of(runScriptHeap().split(" ")));
        command.addAll(List.of("-XX:+UseG1GC", "-jar", JAR.toString(), "--config", config.toString()));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        StringBuilder output = new StringBuilder();
        try {
            String base = awaitAddress(process, output);
            HttpClient flood = client();
            Map<String, byte[]> bodies = Map.of(
                    "empty objects", objects(i -> "{}"),
                    "values at the limit", valuesAtTheLimit(),
                    "one long string", longString(),
                    "whitespace", whitespace());
            Map<String, AtomicInteger> outcomes = new ConcurrentHashMap<>();
            List<Future<?>> sent = new ArrayList<>();
            List<String> kinds = List.copyOf(bodies.keySet());
            try (ExecutorService clients = Executors.newVirtualThreadPerTaskExecutor()) {
                for (int i = 0; i < PARALLEL_LARGE; i++) {
                    String kind = kinds.get(i % kinds.size());
                    sent.add(clients.submit(() -> {
                        String outcome;
                        try {
                            HttpResponse<String> response = flood.send(
                                    HttpRequest.newBuilder(URI.create(base + "/v1/chat/completions"))
                                            .timeout(Duration.ofSeconds(120))
                                            .header("Content-Type", "application/json")
                                            .POST(HttpRequest.BodyPublishers.ofByteArray(bodies.get(kind))).build(),
                                    HttpResponse.BodyHandlers.ofString());
                            outcome = response.statusCode() + " " + code(response.body());
                        } catch (IOException e) {
                            outcome = "failed: " + e;
                        }
                        outcomes.computeIfAbsent(kind + " -> " + outcome, k -> new AtomicInteger()).incrementAndGet();
                        return null;
                    }));
                }
                for (Future<?> f : sent) {
                    f.get(180, TimeUnit.SECONDS);
                }
            }
            // Then only the costliest trees a body may hold, as many as the router takes at once. Each phase has a
            // client of its own: a connection pooled a while may be closed by the router's idle timeout just as the
            // client reuses it (a POST is not retried), which is the client's race, not what is tested here.
            HttpClient treesClient = client();
            List<Future<?>> trees = new ArrayList<>();
            try (ExecutorService clients = Executors.newVirtualThreadPerTaskExecutor()) {
                for (int i = 0; i < PARALLEL; i++) {
                    trees.add(clients.submit(() -> {
                        HttpResponse<String> response = treesClient.send(
                                HttpRequest.newBuilder(URI.create(base + "/v1/chat/completions"))
                                        .timeout(Duration.ofSeconds(120))
                                        .header("Content-Type", "application/json")
                                        .POST(HttpRequest.BodyPublishers.ofByteArray(
                                                bodies.get("values at the limit"))).build(),
                                HttpResponse.BodyHandlers.ofString());
                        outcomes.computeIfAbsent("values at the limit, alone -> " + response.statusCode() + " "
                                                         + code(response.body()), k -> new AtomicInteger())
                                .incrementAndGet();
                        return null;
                    }));
                }
                for (Future<?> f : trees) {
                    f.get(180, TimeUnit.SECONDS);
                }
            }
            System.out.println("outcomes: " + outcomes);
            assertThat(outcomes.toString(), outcomes.containsKey("values at the limit, alone -> 200 "), is(true));
            for (String outcome : outcomes.keySet()) {
                assertThat(outcome, outcome.matches(".* -> (200 |400 request_too_complex|503 overloaded)"), is(true));
            }
            assertThat(outcomes.toString(), outcomes.keySet().stream().anyMatch(o -> !o.endsWith("503 overloaded")),
                       is(true));
            // One at a time, each kind gets its own answer: the budget was given back.
            HttpClient client = client();
            Map<String, String> expected = Map.of("empty objects", "400 request_too_complex",
                                                  "values at the limit", "200 ", "one long string", "200 ",
                                                  "whitespace", "200 ");
            for (String kind : kinds) {
                HttpResponse<String> alone = client.send(
                        HttpRequest.newBuilder(URI.create(base + "/v1/chat/completions"))
                                .header("Content-Type", "application/json")
                                .POST(HttpRequest.BodyPublishers.ofByteArray(bodies.get(kind))).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(kind, alone.statusCode() + " " + code(alone.body()), is(expected.get(kind)));
            }

            HttpResponse<String> ready = client.send(HttpRequest.newBuilder(URI.create(base
                                                                                        + "/observe/health/ready"))
                                                             .build(), HttpResponse.BodyHandlers.ofString());
            assertThat(ready.body(), ready.statusCode(), is(200));
            JsonNode threads = JSON.readTree(ready.body()).path("checks");
            assertThat(ready.body(), threads.toString(), containsString("hedgerow-client-watch"));
            assertThat(ready.body(), threads.toString(), containsString("hedgerow-watchdog"));
            HttpResponse<String> chat = client.send(HttpRequest.newBuilder(URI.create(base + "/v1/chat/completions"))
                                                            .header("Content-Type", "application/json")
                                                            .POST(HttpRequest.BodyPublishers.ofString(
                                                                    "{\"model\":\"quick\",\"messages\":[{\"role\":"
                                                                            + "\"user\",\"content\":\"hi\"}]}"))
                                                            .build(), HttpResponse.BodyHandlers.ofString());
            assertThat(chat.body(), chat.statusCode(), is(200));
        } finally {
            Files.writeString(Path.of("target/hostile-bodies-it.log"), output);
            process.destroy();
            process.waitFor(20, TimeUnit.SECONDS);
            process.destroyForcibly();
        }
        Files.writeString(Path.of("target/hostile-bodies-it.log"), output);
        assertThat(output.toString(), not(containsString("OutOfMemoryError")));
        assertThat(output.toString(), not(containsString("Exception in thread")));
    }

    private static HttpClient client() {
        return HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10))
                .executor(Executors.newVirtualThreadPerTaskExecutor()).build();
    }

    /** The {@code -Xmx...} options {@code scripts/run} starts the jar with by default. */
    private static String runScriptHeap() throws IOException {
        Matcher m = HEAP.matcher(Files.readString(Path.of("scripts/run")));
        assertThat("scripts/run sets heap=\"...\"", m.find(), is(true));
        return m.group(1);
    }

    private static String code(String body) {
        try {
            return JSON.readTree(body).path("error").path("code").asText("");
        } catch (IOException e) {
            return "(not JSON)";
        }
    }

    /** A chat request whose messages are {@code element}s filling the body limit. */
    private static byte[] objects(java.util.function.IntFunction<String> element) {
        StringBuilder sb = new StringBuilder(MAX_BODY).append("{\"model\":\"quick\",\"messages\":[");
        for (int i = 0; sb.length() < MAX_BODY - 64; i++) {
            sb.append(i == 0 ? "" : ",").append(element.apply(i));
        }
        return sb.append("]}").toString().getBytes(StandardCharsets.UTF_8);
    }

    /** Just under the value limit, in objects with unique keys, in a field passed through. */
    private static byte[] valuesAtTheLimit() {
        StringBuilder sb = new StringBuilder().append("{\"model\":\"quick\",\"messages\":[{\"role\":\"user\","
                                                              + "\"content\":\"hi\"}],\"metadata_x\":[");
        for (int i = 0; i < 49_000; i++) {
            sb.append(i == 0 ? "" : ",").append("{\"k").append(i).append("\":").append(i).append('}');
        }
        return sb.append("]}").toString().getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] longString() {
        String head = "{\"model\":\"quick\",\"messages\":[{\"role\":\"user\",\"content\":\"";
        String tail = "\"}]}";
        return (head + "x".repeat(MAX_BODY - head.length() - tail.length()) + tail).getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] whitespace() {
        String request = "{\"model\":\"quick\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
        return (" ".repeat(MAX_BODY - request.length()) + request).getBytes(StandardCharsets.UTF_8);
    }

    private static String awaitAddress(Process process, StringBuilder output) throws Exception {
        BufferedReader reader = new BufferedReader(new InputStreamReader(process.getInputStream(),
                                                                         StandardCharsets.UTF_8));
        String base = CompletableFuture.supplyAsync(() -> {
            try {
                String line;
                while ((line = reader.readLine()) != null) {
                    synchronized (output) {
                        output.append(line).append('\n');
                    }
                    Matcher m = LISTENING.matcher(line);
                    if (m.find()) {
                        return "http://" + m.group(1) + ":" + m.group(2);
                    }
                }
                return null;
            } catch (IOException e) {
                return null;
            }
        }).get(60, TimeUnit.SECONDS);
        assertThat("the jar printed its address:\n" + output, base != null, is(true));
        Thread.ofVirtual().start(() -> {
            try {
                String line;
                while ((line = reader.readLine()) != null) {
                    synchronized (output) {
                        output.append(line).append('\n');
                    }
                }
            } catch (IOException e) {
                // the process ended
            }
        });
        return base;
    }
}
