package io.hedgerow.config;

import io.hedgerow.model.Role;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.not;

class ConfigLoaderTest {
    @TempDir
    Path dir;

    private ConfigLoader.Result load(String yaml, Map<String, String> env) throws IOException {
        Path file = dir.resolve("hedgerow.yaml");
        Files.writeString(file, yaml);
        return ConfigLoader.load(file, name -> Optional.ofNullable(env.get(name)));
    }

    @Test
    void shippedDefaultConfigIsValidWithNoKeys() {
        ConfigLoader.Result result = ConfigLoader.load(Path.of("config/hedgerow.yaml"), name -> Optional.empty());
        assertThat(result.errors(), is(empty()));
        assertThat(result.warnings(), is(empty()));
        HedgerowConfig config = result.config().orElseThrow();
        assertThat(config.server().port(), is(8080));
        assertThat(config.routes().get("default").chain().size(), is(2));
    }

    @Test
    void shippedMultiProviderExampleIsValidWhenItsKeysAreSet() {
        Map<String, String> env = Map.of("ANTHROPIC_API_KEY", "a", "OPENAI_API_KEY", "o", "OPENROUTER_API_KEY", "r");
        ConfigLoader.Result result = ConfigLoader.load(Path.of("config/examples/multi-provider.yaml"),
                                                       name -> Optional.ofNullable(env.get(name)));
        assertThat(result.errors(), is(empty()));
        assertThat(result.config().orElseThrow().routes().get("smart").chain().get(2).model(),
                   is("anthropic/claude-sonnet-4.5"));
    }

    @Test
    void shippedMultiProviderExampleNamesEveryMissingKey() {
        ConfigLoader.Result result = ConfigLoader.load(Path.of("config/examples/multi-provider.yaml"),
                                                       name -> Optional.empty());
        assertThat(result.config().isPresent(), is(false));
        String all = String.join("\n", result.errors());
        assertThat(all, containsString("ANTHROPIC_API_KEY is not set"));
        assertThat(all, containsString("OPENAI_API_KEY is not set"));
        assertThat(all, containsString("OPENROUTER_API_KEY is not set"));
    }

    @Test
    void readsEveryProviderSetting() throws IOException {
        ConfigLoader.Result result = load("""
                server: {host: 0.0.0.0, port: 9090, max-body-size: 1MiB, request-timeout: 90s}
                defaults:
                  timeouts: {connect: 2s, first-token: 10s}
                providers:
                  openai:
                    type: openai
                    base-url: https://api.example.com/v1
                    keys:
                      - "${KEY_A}"
                      - {label: backup, env: KEY_B}
                    headers: {User-Agent: picky/1.0}
                    role-map: {developer: system}
                    timeouts: {idle: 7s}
                  sim:
                    type: sim
                    sim:
                      first-token: {median: 250ms, sigma: 0.5, slow-fraction: 0.1, slow-factor: 8}
                      tokens-per-second: 40
                      answer-tokens: 10
                      faults: {rate-limited: 0.1, server-error: 0.2, cut-stream: 0.3}
                routes:
                  main:
                    chain: [openai/gpt-4.1, sim/fake]
                """, Map.of("KEY_A", "sk-aaaaaaaa", "KEY_B", "sk-bbbbbbbb"));
        assertThat(result.errors(), is(empty()));
        HedgerowConfig config = result.config().orElseThrow();
        assertThat(config.server(), is(new ServerSettings("0.0.0.0", 9090, 1024 * 1024, Duration.ofSeconds(90))));
        ProviderConfig openai = config.providers().get("openai");
        assertThat(openai.baseUrl().orElseThrow().toString(), is("https://api.example.com/v1"));
        assertThat(openai.keys().get(0).value(), is("sk-aaaaaaaa"));
        assertThat(openai.keys().get(0).label(), containsString("key-"));
        assertThat(openai.keys().get(1).label(), is("backup"));
        assertThat(openai.headers(), is(Map.of("User-Agent", "picky/1.0")));
        assertThat(openai.roleMap(), is(Map.of(Role.DEVELOPER, Role.SYSTEM)));
        assertThat(openai.timeouts(), is(new Timeouts(Duration.ofSeconds(2), Duration.ofSeconds(10),
                                                      Duration.ofSeconds(7), Timeouts.DEFAULTS.total())));
        SimSettings sim = config.providers().get("sim").sim();
        assertThat(sim.firstToken(), is(new SimSettings.LatencyModel(Duration.ofMillis(250), 0.5, 0.1, 8)));
        assertThat(sim.tokensPerSecond(), is(40.0));
        assertThat(sim.answerTokens(), is(10));
        assertThat(sim.faults(), is(new SimSettings.Faults(0.1, 0.2, 0.3)));
        assertThat(config.routes().get("main").chain(),
                   is(List.of(new CandidateRef("openai", "gpt-4.1"), new CandidateRef("sim", "fake"))));
    }

    @Test
    void reportsEveryProblemAtOnce() throws IOException {
        ConfigLoader.Result result = load("""
                server: {port: 99999, max-body-size: lots}
                providers:
                  anthropic:
                    type: anthropic
                    base-url: https://api.anthropic.com
                    keys: ["${ANTHROPIC_API_KEY}"]
                  openai:
                    type: openai
                    base-url: not a url
                    timeouts: {idle: 30x}
                  weird:
                    type: grpc
                  local:
                    type: ollama
                    role-map: {assistant: user}
                routes:
                  smart:
                    chain: [anthropic/claude, openai/gpt-4.1, openrouter/x, nonsense]
                  empty:
                    chain: []
                """, Map.of());
        assertThat(result.config().isPresent(), is(false));
        List<String> errors = result.errors();
        assertThat(errors, hasItem("server.port: '99999' (expected: an integer in 0..65535)"));
        assertThat(errors, hasItem("server.max-body-size: 'lots' (expected: a size such as 8MiB, 512KiB or 1048576)"));
        assertThat(errors, hasItem("providers.anthropic.keys[0]: environment variable ANTHROPIC_API_KEY is not set"));
        assertThat(errors, hasItem("providers.openai.base-url: 'not a url' (expected: an absolute http:// or https:// URL)"));
        assertThat(errors, hasItem(containsString("providers.openai.keys: none configured")));
        assertThat(errors, hasItem("providers.openai.timeouts.idle: '30x' (expected: a duration such as 30s, 500ms or 2m)"));
        assertThat(errors, hasItem("providers.weird.type: 'grpc' (expected: openai, anthropic, ollama or sim)"));
        assertThat(errors, hasItem(containsString("providers.local.base-url: missing")));
        assertThat(errors, hasItem(containsString("providers.local.role-map.assistant: 'assistant -> user'")));
        assertThat(errors, hasItem(containsString("routes.smart.chain[2]: 'openrouter/x' names provider 'openrouter', "
                                                          + "which is not configured")));
        assertThat(errors, hasItem("routes.smart.chain[3]: 'nonsense' (expected: provider/model)"));
        assertThat(errors, hasItem(containsString("routes.empty.chain: missing or empty")));
        // The key's env var name is reported, never a value.
        assertThat(String.join("\n", errors), not(containsString("sk-")));
    }

    @Test
    void providerWithMissingKeyMakesItsRoutesFailToo() throws IOException {
        ConfigLoader.Result result = load("""
                providers:
                  openai: {type: openai, base-url: "https://api.openai.com/v1", keys: ["${OPENAI_API_KEY}"]}
                routes:
                  main: {chain: [openai/gpt-4.1]}
                """, Map.of());
        assertThat(result.errors(), hasItem("providers.openai.keys[0]: environment variable OPENAI_API_KEY is not set"));
    }

    @Test
    void keysFromFilesAndLiteralsWithAWarning() throws IOException {
        Path keyFile = dir.resolve("key.txt");
        Files.writeString(keyFile, "sk-from-file\n");
        ConfigLoader.Result result = load("""
                providers:
                  p:
                    type: openai
                    base-url: http://127.0.0.1:1/v1
                    keys:
                      - {label: filed, file: "%s"}
                      - sk-literal-value
                      - {label: missing, file: "%s"}
                routes:
                  r: {chain: [p/m]}
                """.formatted(keyFile, dir.resolve("nope.txt")), Map.of());
        assertThat(result.errors(), hasSize(1));
        assertThat(result.errors().getFirst(), containsString("providers.p.keys[2]: cannot read key file"));
        assertThat(result.warnings(), hasItem(containsString("providers.p.keys[1]: a literal key")));
        assertThat(String.join("\n", result.warnings()), not(containsString("sk-literal-value")));
    }

    @Test
    void unknownKeysAreWarnings() throws IOException {
        ConfigLoader.Result result = load("""
                providers:
                  s: {type: sim, timeouts: {first_token: 3s}}
                routes:
                  r: {chain: [s/m], hedging: on}
                """, Map.of());
        assertThat(result.errors(), is(empty()));
        assertThat(result.warnings(), hasItem(containsString("providers.s.timeouts.first_token: unknown key")));
        assertThat(result.warnings(), hasItem(containsString("routes.r.hedging: unknown key")));
    }

    @Test
    void missingFileAndBrokenYamlAreProblemsNotStackTraces() throws IOException {
        ConfigLoader.Result missing = ConfigLoader.load(dir.resolve("absent.yaml"), name -> Optional.empty());
        assertThat(missing.errors(), hasItem(containsString("does not exist")));
        ConfigLoader.Result broken = load("providers: [unclosed", Map.of());
        assertThat(broken.errors(), hasItem(containsString("cannot parse")));
    }

    @Test
    void apiKeyNeverPrintsItsValue() {
        ApiKey key = ApiKey.unlabelled("sk-secret-value-123");
        assertThat(key.toString(), not(containsString("secret")));
        assertThat(key.label(), not(containsString("secret")));
        assertThat(key.label().length(), is("key-".length() + 8));
        assertThat(ApiKey.unlabelled("sk-secret-value-123").label(), is(key.label()));
    }

    @Test
    void units() {
        assertThat(Units.duration("250ms"), is(Optional.of(Duration.ofMillis(250))));
        assertThat(Units.duration("1.5s"), is(Optional.of(Duration.ofMillis(1500))));
        assertThat(Units.duration("2m"), is(Optional.of(Duration.ofMinutes(2))));
        assertThat(Units.duration("PT3S"), is(Optional.of(Duration.ofSeconds(3))));
        assertThat(Units.duration("3 parsecs"), is(Optional.empty()));
        assertThat(Units.size("8MiB"), is(Optional.of(8L * 1024 * 1024)));
        assertThat(Units.size("1000"), is(Optional.of(1000L)));
        assertThat(Units.size("2kb"), is(Optional.of(2000L)));
        assertThat(Units.size("-1"), is(Optional.empty()));
    }
}
