package io.hedgerow;

import io.hedgerow.fakes.FakeModelList;
import io.hedgerow.fakes.FakeModelList.Answer;
import io.hedgerow.json.Json;
import io.hedgerow.testing.TestConfig;

import com.fasterxml.jackson.databind.JsonNode;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.not;

/**
 * The ladder that failed at 7 am, diagnosed by one {@code check --live} run against fake providers: two models on
 * one Anthropic key (a 429 on the first skips the second), an OpenAI provider whose key variable is not set, an
 * OpenRouter whose base URL lacks its version path (404 everywhere), and an Ollama that is not running. Before, the
 * run stopped at "OPENAI_API_KEY is not set"; only after a dummy key did it find Ollama, and the 404 rung passed.
 */
class SevenAmLadderTest {
    private static final String ANTHROPIC_KEY = "sk-ant-test-7am-0123456789";
    private static final String OPENROUTER_KEY = "sk-or-test-7am-0123456789";

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();
    private FakeModelList anthropic;
    private FakeModelList openrouter;
    private Path config;

    @TempDir
    Path dir;

    @BeforeEach
    void start() throws IOException {
        anthropic = FakeModelList.start().answer(r -> r.path().equals("/v1/models") && r.key().equals(ANTHROPIC_KEY)
                ? Answer.anthropic(false, "claude-opus-4-1-20250805", "claude-sonnet-4-5-20250929")
                : Answer.status(401, "{\"type\":\"error\",\"error\":{\"type\":\"authentication_error\"}}"));
        openrouter = FakeModelList.start(); // answers 404 to everything: nothing is at that path
        config = dir.resolve("ladder.yaml");
        Files.writeString(config, """
                providers:
                  anthropic: {type: anthropic, base-url: "%s", keys: [{label: main, env: ANTHROPIC_API_KEY}]}
                  openai: {type: openai, base-url: "http://127.0.0.1:%d/v1", keys: ["${OPENAI_API_KEY}"]}
                  openrouter: {type: openai, base-url: "%s/api", keys: [{label: or, env: OPENROUTER_API_KEY}]}
                  ollama: {type: ollama, base-url: "http://127.0.0.1:%d"}
                routes:
                  smart:
                    chain:
                      - anthropic/claude-opus-4-1
                      - anthropic/claude-sonnet-4-5
                      - openai/gpt-4.1
                      - openrouter/anthropic/claude-sonnet-4.5
                      - ollama/qwen3:8b
                observe: {preflight: {timeout: 2s}}
                """.formatted(anthropic.baseUrl(), TestConfig.closedPort(), openrouter.baseUrl(),
                              TestConfig.closedPort()));
    }

    @AfterEach
    void stop() {
        anthropic.close();
        openrouter.close();
    }

    private int check(String... args) {
        Map<String, String> env = Map.of("ANTHROPIC_API_KEY", ANTHROPIC_KEY, "OPENROUTER_API_KEY", OPENROUTER_KEY);
        return Main.run(args, new ByteArrayInputStream(new byte[0]), new PrintStream(out, true, StandardCharsets.UTF_8),
                        new PrintStream(err, true, StandardCharsets.UTF_8), name -> Optional.ofNullable(env.get(name)));
    }

    @Test
    void oneLiveCheckFindsEveryBrokenRung() {
        assertThat(check("check", "--live", "--config", config.toString()), is(1));

        String text = out.toString(StandardCharsets.UTF_8);
        String problems = err.toString(StandardCharsets.UTF_8);
        writeOutput("check-live-7am.txt", problems + text);
        // The file's own problem, and the pair of rungs that is one rate-limit domain.
        assertThat(problems, containsString("error: providers.openai.keys[0]: environment variable OPENAI_API_KEY is "
                                                    + "not set"));
        assertThat(problems, containsString("warning: routes.smart.chain: rungs 1 and 2 (anthropic/claude-opus-4-1, "
                                                    + "anthropic/claude-sonnet-4-5) share key 'main': one rate-limit "
                                                    + "domain. A 429 on rung 1 cools the key down, and rung 2 is then "
                                                    + "skipped"));
        // Every rung in one table, the unset key among them.
        assertLine(text, "  1  anthropic/claude-opus-4-1 +main +ok +2 models listed.*");
        assertLine(text, "  2  anthropic/claude-sonnet-4-5 +main +ok +2 models listed.*");
        assertLine(text, "  3  openai/gpt-4.1 +keys\\[0\\] +KEY MISSING +environment variable OPENAI_API_KEY is not set");
        assertLine(text, "  4  openrouter/anthropic/claude-sonnet-4.5 +or +NOT FOUND +404 not found: nothing at .*");
        assertLine(text, "  5  ollama/qwen3:8b +none +UNREACHABLE +connection failed.*");
        assertThat(text, containsString("error: route smart, rung 3 (openai/gpt-4.1): no key: environment variable "
                                                + "OPENAI_API_KEY is not set: it will never serve"));
        assertThat(text, containsString("error: route smart, rung 4 (openrouter/anthropic/claude-sonnet-4.5): nothing "
                                                + "is at " + openrouter.baseUrl() + "/api: 404 for the list of models "
                                                + "and for a chat request"));
        assertThat(text, containsString("error: route smart, rung 5 (ollama/qwen3:8b): nothing answers at"));
        assertThat(text, containsString("live check FAILED: 3 rungs cannot serve"));
        // One key, one check, however many rungs use it; the wrong path was asked twice, without generating.
        assertThat(anthropic.requests().size(), is(1));
        assertThat(openrouter.requests().stream().map(r -> r.method() + " " + r.path()).toList(),
                   is(List.of("GET /api/models", "POST /api/chat/completions")));
        assertThat(text + problems, not(containsString(ANTHROPIC_KEY)));
        assertThat(text + problems, not(containsString(OPENROUTER_KEY)));
    }

    @Test
    void theSameDiagnosisAsJsonForPipelines() {
        assertThat(check("check", "--live", "--format", "json", "--config", config.toString()), is(1));

        assertThat("nothing but the JSON", err.toString(StandardCharsets.UTF_8), is(""));
        JsonNode json = parse(out.toString(StandardCharsets.UTF_8));
        assertThat(json.get("ok").asBoolean(), is(false));
        assertThat(json.get("exit_code").asInt(), is(1));
        assertThat(json.get("errors").get(0).asText(), containsString("OPENAI_API_KEY is not set"));
        assertThat(json.get("warnings").toString(), containsString("rungs 1 and 2"));
        JsonNode rungs = json.at("/live/routes/0/rungs");
        assertThat(rungs.size(), is(5));
        assertThat(rungs.get(0).get("can_serve").asBoolean(), is(true));
        assertThat(rungs.get(1).at("/keys/0/result").asText(), is("ok"));
        assertThat(rungs.get(2).at("/keys/0/result").asText(), is("missing"));
        assertThat(rungs.get(2).get("can_serve").asBoolean(), is(false));
        assertThat(rungs.get(3).at("/keys/0/result").asText(), is("not_found"));
        assertThat(rungs.get(4).at("/keys/0/result").asText(), is("unreachable"));
        assertThat(json.at("/live/cannot_serve").size(), is(3));
        assertThat(json.at("/routes/smart").size(), is(5));
    }

    @Test
    void withoutLiveTheFileIsStillCheckedAndJsonSaysSo() {
        assertThat(check("check", "--format", "json", "--config", config.toString()), is(1));
        JsonNode json = parse(out.toString(StandardCharsets.UTF_8));
        assertThat(json.get("live").isNull(), is(true));
        assertThat(json.get("errors").size(), is(1));
        assertThat(anthropic.requests().size(), is(0));
    }

    /** Keeps what the operator sees under target/, beside the test reports. */
    private static void writeOutput(String name, String text) {
        try {
            Files.createDirectories(Path.of("target"));
            Files.writeString(Path.of("target", name), text);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static JsonNode parse(String text) {
        try {
            return Json.MAPPER.readTree(text);
        } catch (IOException e) {
            throw new AssertionError("not JSON: " + text, e);
        }
    }

    private static void assertLine(String text, String regex) {
        assertThat(text, Pattern.compile("^" + regex, Pattern.MULTILINE).matcher(text).find(), is(true));
    }
}
