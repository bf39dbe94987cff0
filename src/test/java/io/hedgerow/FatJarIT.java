package io.hedgerow;

import io.hedgerow.fakes.FakeBedrock;
import io.hedgerow.fakes.OtlpReceiver;
import io.hedgerow.fakes.SigV4Verifier;

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
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.is;

/**
 * The fat jar as users run it: {@code java -jar target/hedgerow.jar}. Proves the shaded jar kept what Helidon
 * needs (YAML config parsing, the metrics feature), that {@code check} reports problems with its exit code, that
 * SIGTERM drains and logs what was served, and that {@code hash-key} works from the jar.
 */
class FatJarIT {
    private static final Path JAR = Path.of("target/hedgerow.jar");
    private static final Pattern LISTENING = Pattern.compile("listening on http://([^:]+):(\\d+)/v1");

    @TempDir
    Path dir;

    @Test
    void checkAcceptsTheShippedConfig() throws Exception {
        Result result = run(List.of("check", "--config", "config/hedgerow.yaml"));
        assertThat(result.output, result.exit, is(0));
        assertThat(result.output, containsString("default: sim-fast/sim-large -> sim-steady/sim-medium"));
    }

    @Test
    void checkLiveAsksEveryProviderAndKeyThenExits() throws Exception {
        Result result = run(List.of("check", "--live", "--config", "config/hedgerow.yaml"));
        assertThat(result.output, result.exit, is(0));
        assertThat(result.output, containsString("live check: 2 provider+key pairs used by the routes"));
        assertThat(result.output, containsString("live check OK"));
    }

    @Test
    void checkLiveSignsBedrockRequestsWithCredentialsFromTheEnvironment() throws Exception {
        SigV4Verifier verifier = new SigV4Verifier("AKIDFATJAR", "fat/jar/secret", Optional.of("fat-jar-token"),
                                                   "eu-west-1", "bedrock");
        try (FakeBedrock fake = FakeBedrock.signed(verifier)) {
            Path config = dir.resolve("bedrock.yaml");
            Files.writeString(config, """
                    # A fresh JVM loads the AWS SDK's signer for its first request: on a loaded machine that
                    # alone took longer than the default 5 s, so the test allows the longest timeout there is.
                    observe: {preflight: {timeout: 60s}}
                    providers:
                      aws: {type: bedrock, region: eu-west-1, base-url: "%s"}
                    routes:
                      claude: {chain: [aws/anthropic.claude-sonnet-4-5-20250929-v1:0]}
                    """.formatted(fake.baseUrl()));
            Result result = run(List.of("check", "--live", "--config", config.toString()),
                                java.util.Map.of("AWS_ACCESS_KEY_ID", "AKIDFATJAR", "AWS_SECRET_ACCESS_KEY",
                                                 "fat/jar/secret", "AWS_SESSION_TOKEN", "fat-jar-token"));
            assertThat(result.output, result.exit, is(0));
            assertThat(result.output, containsString("live check OK"));
            assertThat(fake.signatureFailures(), is(List.of()));
            assertThat(fake.requests().size(), is(2));
        }
    }

    @Test
    void checkListsEveryProblemAndFails() throws Exception {
        Path config = dir.resolve("bad.yaml");
        Files.writeString(config, """
                providers:
                  openai: {type: openai, base-url: "https://api.openai.com/v1", keys: ["${HEDGEROW_TEST_UNSET_KEY}"]}
                routes:
                  smart: {chain: [openai/gpt-4.1, ollama/llama3]}
                """);
        Result result = run(List.of("check", "--config", config.toString()));
        assertThat(result.exit, is(1));
        assertThat(result.output, containsString("has 2 problems"));
        assertThat(result.output, containsString("environment variable HEDGEROW_TEST_UNSET_KEY is not set"));
        assertThat(result.output, containsString("'ollama/llama3' names provider 'ollama', which is not configured"));
    }

    @Test
    void servesChatModelsAndMetricsFromTheJar() throws Exception {
        Path config = dir.resolve("fast.yaml");
        Files.writeString(config, """
                server: {port: 0}
                providers:
                  sim: {type: sim, sim: {first-token: 5ms, tokens-per-second: 0, answer-tokens: 3}}
                routes:
                  quick: {chain: [sim/tiny]}
                """);
        // Traces from the jar too: the OTLP exporter (its JDK sender is found through a service file) reaches a
        // receiver named by OpenTelemetry's standard variable.
        OtlpReceiver receiver = OtlpReceiver.start();
        ProcessBuilder builder = new ProcessBuilder(command(List.of("--config", config.toString())))
                .redirectErrorStream(true);
        builder.environment().put("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", receiver.endpoint());
        Process process = builder.start();
        try (receiver) {
            BufferedReader reader = new BufferedReader(new InputStreamReader(process.getInputStream(),
                                                                             StandardCharsets.UTF_8));
            StringBuilder output = new StringBuilder();
            String base = CompletableFuture.supplyAsync(() -> {
                try {
                    String line;
                    while ((line = reader.readLine()) != null) {
                        output.append(line).append('\n');
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
            assertThat("the jar printed its address", base != null, is(true));
            HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
            HttpResponse<String> models = client.send(HttpRequest.newBuilder(URI.create(base + "/v1/models")).build(),
                                                      HttpResponse.BodyHandlers.ofString());
            assertThat(models.body(), containsString("\"id\":\"quick\""));
            HttpResponse<String> chat = client.send(HttpRequest.newBuilder(URI.create(base + "/v1/chat/completions"))
                                                            .header("Content-Type", "application/json")
                                                            .POST(HttpRequest.BodyPublishers.ofString(
                                                                    "{\"model\":\"quick\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"))
                                                            .build(),
                                                    HttpResponse.BodyHandlers.ofString());
            assertThat(chat.statusCode(), is(200));
            assertThat(chat.body(), containsString("\"content\":\"Hedgerow routes this\""));
            assertThat(chat.headers().firstValue("x-hedgerow-provider").orElse(""), is("sim"));
            HttpResponse<String> metrics = client.send(HttpRequest.newBuilder(URI.create(base + "/observe/metrics"))
                                                               .header("Accept", "text/plain").build(),
                                                       HttpResponse.BodyHandlers.ofString());
            assertThat(metrics.statusCode(), is(200));
            assertThat(metrics.body(), containsString("# TYPE"));
            // The observe side is in the jar: Hedgerow's meters, JVM and process meters, status, readiness.
            assertThat(metrics.body(), containsString("hedgerow_route_requests_total{"));
            assertThat(metrics.body(), containsString("process_resident_memory_bytes"));
            HttpResponse<String> status = client.send(HttpRequest.newBuilder(URI.create(base + "/status")).build(),
                                                      HttpResponse.BodyHandlers.ofString());
            assertThat(status.body(), containsString("\"label\":\"sim/tiny\""));
            HttpResponse<String> page = client.send(HttpRequest.newBuilder(URI.create(base + "/status"))
                                                            .header("Accept", "text/html").build(),
                                                    HttpResponse.BodyHandlers.ofString());
            assertThat(page.body(), containsString("<title>Hedgerow status</title>"));
            HttpResponse<String> ready = client.send(HttpRequest.newBuilder(URI.create(base + "/observe/health/ready"))
                                                             .build(), HttpResponse.BodyHandlers.ofString());
            assertThat(ready.statusCode(), is(200));

            // SIGTERM drains, and the router's last word is what it served. (Process.destroy would also close the
            // pipes we still read; the handle only signals.)
            process.toHandle().destroy();
            assertThat(process.waitFor(30, TimeUnit.SECONDS), is(true));
            String line;
            while ((line = reader.readLine()) != null) {
                output.append(line).append('\n');
            }
            assertThat(output.toString(), containsString("serving unauthenticated, on a loopback address only"));
            assertThat(output.toString(), containsString("requests served: ok=2"));
            // The jar's logging.properties applies from the first record: one line each, with the time, and none
            // of the JDK's default two-line format ("Nov 22, 2026 3:33:00 AM class method" then "INFO: ...").
            String log = output.toString();
            assertThat(log, Pattern.compile("(?m)^\\d{4}-\\d\\d-\\d\\dT[\\d:.]+ INFO io\\.hedgerow\\.HedgerowServer: "
                                            + "stopped after").matcher(log).find(), is(true));
            assertThat(log, Pattern.compile("(?m)^INFO: ").matcher(log).find(), is(false));
            // The drain exported the spans: one server span per chat request, an attempt span under it.
            List<OtlpReceiver.Span> spans = receiver.await(all -> all.size() >= 2, Duration.ofSeconds(10));
            assertThat(spans.stream().map(OtlpReceiver.Span::name).toList().toString(),
                       spans.stream().anyMatch(sp -> sp.name().equals("chat quick")
                               && sp.kind() == OtlpReceiver.Span.SERVER), is(true));
            assertThat(spans.stream().anyMatch(sp -> sp.name().equals("chat tiny")
                    && sp.kind() == OtlpReceiver.Span.CLIENT), is(true));
        } finally {
            process.destroy();
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        }
    }

    @Test
    void hashKeyFromTheJar() throws Exception {
        Process process = new ProcessBuilder(command(List.of("hash-key"))).redirectErrorStream(true).start();
        process.getOutputStream().write("secret1\n".getBytes(StandardCharsets.UTF_8));
        process.getOutputStream().close();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(60, TimeUnit.SECONDS), is(true));
        assertThat(output, process.exitValue(), is(0));
        assertThat(output, containsString("sha256: 5b11618c2e44027877d0cd0921ed166b9f176f50587fc91e7534dd2946db77d6"));
    }

    private static List<String> command(List<String> args) {
        List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command().orElse("java"));
        command.add("-Xmx128m");
        command.add("-jar");
        command.add(JAR.toString());
        command.addAll(args);
        return command;
    }

    private record Result(int exit, String output) {
    }

    private static Result run(List<String> args) throws Exception {
        return run(args, java.util.Map.of());
    }

    private static Result run(List<String> args, java.util.Map<String, String> env) throws Exception {
        ProcessBuilder builder = new ProcessBuilder(command(args)).redirectErrorStream(true);
        // The AWS credential chain would find a developer's own ~/.aws: the test's credentials only.
        builder.environment().keySet().removeIf(name -> name.startsWith("AWS_"));
        builder.environment().put("AWS_CONFIG_FILE", "/nonexistent/aws-config");
        builder.environment().put("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/aws-credentials");
        builder.environment().putAll(env);
        Process process = builder.start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("the jar did not exit: " + output);
        }
        return new Result(process.exitValue(), output);
    }
}
