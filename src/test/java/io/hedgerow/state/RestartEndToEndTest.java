package io.hedgerow.state;

import com.fasterxml.jackson.databind.JsonNode;
import io.hedgerow.HedgerowServer;
import io.hedgerow.config.ConfigLoader;
import io.hedgerow.config.HedgerowConfig;
import io.hedgerow.fakes.FakeOpenAi;
import io.hedgerow.json.Json;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.lessThanOrEqualTo;

/**
 * One router across restarts, from its config file as users run it: what it learned is in the state file beside the
 * config after the drain, and the next start carries on from it. A key refused with 401 cools for 10 minutes; after a
 * restart it is still skipped (the provider is not asked again), and {@code /status} still shows its cooldown. The
 * long-run latency baselines carry over too.
 */
class RestartEndToEndTest {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @TempDir
    Path dir;

    private final FakeOpenAi fake = FakeOpenAi.start();

    @AfterEach
    void stop() {
        fake.close();
    }

    private Path config(String extra) throws Exception {
        Path file = dir.resolve("hedgerow.yaml");
        Files.writeString(file, """
                server: {port: 0}
                observe: {events: off, watch-config: false, preflight: off}
                providers:
                  p1: {type: openai, base-url: "%s", keys: [{label: main, value: sk-test-revoked}]}
                  sim: {type: sim, sim: {first-token: 1ms, tokens-per-second: 0, answer-tokens: 3}}
                routes:
                  chat: {chain: [p1/m1, sim/s1]}
                %s""".formatted(fake.baseUrl(), extra));
        return file;
    }

    private static HedgerowServer start(Path file) {
        ConfigLoader.Result result = ConfigLoader.load(file, name -> Optional.empty());
        HedgerowConfig config = result.config().orElseThrow(() -> new AssertionError(result.errors()));
        return HedgerowServer.builder(config).configFile(file).start();
    }

    private static HttpResponse<String> chat(HedgerowServer router) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + router.port() + "/v1/chat/completions"))
                                 .header("Content-Type", "application/json")
                                 .POST(HttpRequest.BodyPublishers.ofString(
                                         "{\"model\":\"chat\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"))
                                 .build(), HttpResponse.BodyHandlers.ofString());
    }

    private static JsonNode status(HedgerowServer router) throws Exception {
        return Json.MAPPER.readTree(HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + router.port()
                                                                                 + "/status")).build(),
                                              HttpResponse.BodyHandlers.ofString()).body());
    }

    @Test
    void aKeyInAuthCooldownIsStillSkippedAfterARestart() throws Exception {
        Path file = config("");
        fake.otherwise(FakeOpenAi.Reply.status(401));
        HedgerowServer first = start(file);
        try {
            HttpResponse<String> answer = chat(first);
            assertThat(answer.body(), answer.statusCode(), is(200));
            assertThat(answer.headers().firstValue("x-hedgerow-provider").orElse(""), is("sim"));
            assertThat(fake.requestCount(), is(1));
        } finally {
            first.close();
        }
        Path saved = dir.resolve("hedgerow.state.json");
        assertThat("the drain saved the state beside the config", Files.exists(saved), is(true));
        assertThat(Files.readString(saved), containsString("\"cause\" : \"AUTH\""));
        assertThat("no key value in the file", Files.readString(saved).contains("sk-test-revoked"), is(false));

        HedgerowServer second = start(file);
        try {
            HttpResponse<String> answer = chat(second);
            assertThat(answer.statusCode(), is(200));
            assertThat(answer.headers().firstValue("x-hedgerow-provider").orElse(""), is("sim"));
            assertThat("the cooling key was not tried again", fake.requestCount(), is(1));
            JsonNode key = status(second).path("routes").get(0).path("candidates").get(0).path("keys").get(0);
            assertThat(key.toString(), key.path("cooling_for_ms").asLong(), greaterThan(500_000L));
        } finally {
            second.close();
        }
    }

    @Test
    void longRunLatencyBaselinesCarryOverARestart() throws Exception {
        Path file = config("");
        fake.otherwise(FakeOpenAi.Reply.text("fine"));
        HedgerowServer first = start(file);
        double before;
        try {
            for (int i = 0; i < 20; i++) {
                assertThat(chat(first).statusCode(), is(200));
            }
            before = first.generation().health().candidate("p1/m1").baseline(false).longRunWeight();
            assertThat(before, greaterThan(19.0));
        } finally {
            first.close();
        }
        assertThat(Files.readString(dir.resolve("hedgerow.state.json")), containsString("\"type\" : \"baseline\""));

        HedgerowServer second = start(file);
        try {
            var baseline = second.generation().health().candidate("p1/m1").baseline(false);
            // Decayed by the seconds between the two (half-life 10 min): nearly all of it.
            assertThat(baseline.longRunWeight(), greaterThan(before * 0.75));
            assertThat(baseline.longRunWeight(), lessThanOrEqualTo(before));
            assertThat(baseline.longRunMedianNanos().isPresent(), is(true));
            assertThat("recent starts again", baseline.windowCount(), is(0L));
        } finally {
            second.close();
        }
    }

    @Test
    void aCorruptStateFileIsIgnoredWithAWarningNotAFailedStart() throws Exception {
        Path file = config("");
        Files.writeString(dir.resolve("hedgerow.state.json"), "{\"version\": 1, \"records\": [tru");
        fake.otherwise(FakeOpenAi.Reply.text("fine"));
        HedgerowServer router = start(file);
        try {
            HttpResponse<String> answer = chat(router);
            assertThat(answer.statusCode(), is(200));
            assertThat(answer.headers().firstValue("x-hedgerow-provider").orElse(""), is("p1"));
        } finally {
            router.close();
        }
    }

    @Test
    void stateFileOffKeepsNothing() throws Exception {
        Path file = config("state: {file: off}");
        fake.otherwise(FakeOpenAi.Reply.status(401));
        HedgerowServer first = start(file);
        try {
            chat(first);
        } finally {
            first.close();
        }
        assertThat(Files.exists(dir.resolve("hedgerow.state.json")), is(false));
    }
}
