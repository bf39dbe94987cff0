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
import static org.hamcrest.Matchers.closeTo;
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
    void shippedDefaultConfigSpellsOutTheCodesOwnFailoverAndHedgingDefaults() {
        // Its comments say "these are the defaults": a user who copies it must get what the code would choose
        // (it once said warmup-delay: none and open-for: 30s, switching off the cold-start hedge and slowing recovery).
        HedgerowConfig config = ConfigLoader.load(Path.of("config/hedgerow.yaml"), name -> Optional.empty())
                .config().orElseThrow();
        assertThat(config.failover(), is(FailoverSettings.DEFAULTS));
        assertThat(config.hedging(), is(HedgingSettings.DEFAULTS));
    }

    @Test
    void shippedMultiProviderExampleIsValidWhenItsKeysAreSet() {
        Map<String, String> env = Map.of("ANTHROPIC_API_KEY", "a", "OPENAI_API_KEY", "o", "OPENROUTER_API_KEY", "r",
                                         "HEDGEROW_ADMIN_KEY", "adm");
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
                server: {host: 0.0.0.0, port: 9090, max-body-size: 1MiB, request-timeout: 90s,
                         allow-unauthenticated: true}
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
        assertThat(config.server(), is(new ServerSettings("0.0.0.0", 9090, 1024 * 1024, Duration.ofSeconds(90))
                                               .withAccess(new ClientAccess(List.of(), true))));
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
        assertThat(errors, hasItem("providers.weird.type: 'grpc' (expected: openai, anthropic, ollama, bedrock or sim)"));
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
    void unknownKeysInSectionsHedgerowOwnsAreErrorsWithTheNearestKey() throws IOException {
        // Seen: typos in known sections were warnings with exit 0, so the feature was silently off.
        ConfigLoader.Result result = load("""
                x-anchors: {sim: &sim {type: sim}}
                providers:
                  s:
                    <<: *sim
                    timeouts: {first_token: 3s}
                    role_map: {developer: system}
                    header: {User-Agent: a}
                    cooldowns: {rate-limited: [1m]}
                routes:
                  r: {chain: [s/m], hedging: on}
                """, Map.of());
        assertThat(result.config().isPresent(), is(false));
        List<String> errors = result.errors();
        assertThat(errors, hasItem(containsString("providers.s.timeouts.first_token: unknown key (did you mean "
                                                          + "'first-token'? known: connect, first-token, idle, total)")));
        assertThat(errors, hasItem(containsString("providers.s.role_map: unknown key (did you mean 'role-map'?")));
        assertThat(errors, hasItem(containsString("providers.s.header: unknown key (did you mean 'headers'?")));
        assertThat(errors, hasItem(containsString("providers.s.cooldowns: unknown key (known: ")));
        assertThat(errors, hasItem(containsString("'cooldowns' is a key of failover)")));
        assertThat(errors, hasItem(containsString("routes.r.hedging: unknown key (did you mean 'hedge'?")));
        assertThat(errors, hasSize(5));
        assertThat("x-... at the top level is a place for anchors", result.warnings(), is(empty()));
    }

    @Test
    void aKeyWrittenTwiceIsAnError() throws IOException {
        ConfigLoader.Result result = load("""
                providers:
                  s: {type: sim}
                  s: {type: sim, max-concurrent: 2}
                routes:
                  r: {chain: [s/m], timeout: 5s, timeout: 10s}
                """, Map.of());
        assertThat(result.errors(), hasItem("providers.s: written twice in one mapping (only the last would count)"));
        assertThat(result.errors(), hasItem("routes.r.timeout: written twice in one mapping (only the last would "
                                                    + "count)"));
    }

    @Test
    void aDescendingCooldownLadderAndOneKeyTwiceAreWarned() throws IOException {
        ConfigLoader.Result result = load("""
                failover:
                  cooldowns: {rate-limited: [5m, 1m, 10m], auth: [1h, 6h]}
                providers:
                  p:
                    type: openai
                    base-url: http://127.0.0.1:1/v1
                    keys: ["${OPENAI_API_KEY}", {label: backup, env: OPENAI_API_KEY}, {label: third, env: SAME}]
                routes: {r: {chain: [p/m]}}
                """, Map.of("OPENAI_API_KEY", "sk-one", "SAME", "sk-one"));
        assertThat(result.errors(), is(empty()));
        String warnings = String.join("\n", result.warnings());
        assertThat(warnings, containsString("failover.cooldowns.rate-limited: [5m, 1m, 10m] descends at step 2"));
        assertThat(warnings, not(containsString("failover.cooldowns.auth")));
        assertThat(warnings, containsString("providers.p.keys[1]: environment variable OPENAI_API_KEY is also keys[0]: "
                                                    + "the same key twice"));
        assertThat(warnings, containsString("providers.p.keys[2]: the same key as keys[0]"));
        assertThat(warnings, not(containsString("sk-one")));
    }

    @Test
    void aCredentialHeaderBesideManagedKeysIsAnError() throws IOException {
        ConfigLoader.Result result = load("""
                providers:
                  p:
                    type: openai
                    base-url: http://127.0.0.1:1/v1
                    keys: ["${K}"]
                    headers: {Authorization: "Bearer sk-other", X-Title: ok}
                  a:
                    type: anthropic
                    base-url: http://127.0.0.1:1
                    keys: ["${K}"]
                    headers: {X-Api-Key: sk-other}
                  keyless:
                    type: ollama
                    base-url: http://127.0.0.1:1
                    headers: {Authorization: "Bearer proxy-token"}
                routes: {r: {chain: [p/m, a/m, keyless/m]}}
                """, Map.of("K", "sk-k"));
        assertThat(result.errors(), hasItem(containsString("providers.p.headers.Authorization: a credential header "
                                                                   + "beside keys")));
        assertThat(result.errors(), hasItem(containsString("providers.a.headers.X-Api-Key: a credential header")));
        assertThat(result.errors(), hasSize(2));
        assertThat(String.join("\n", result.errors()), not(containsString("sk-other")));
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

    @Test
    void readsFailoverHedgingAndRouteOverrides() throws IOException {
        ConfigLoader.Result result = load("""
                failover:
                  retry: {max-attempts: 3, base-delay: 100ms, max-delay: 2s, max-retry-after: 8s}
                  cooldowns: {rate-limited: [10s, 1m], auth: [1h], max-retry-after: 2m}
                  breaker: {window: 1m, minimum-calls: 10, failure-ratio: 0.3, open-for: 15s, half-open-probes: 2, successes-to-close: 3}
                hedging:
                  budget: {ratio: 0.05, min-per-second: 2, ttl: 20s}
                  baseline: {window: 10s, min-samples: 30, half-life: 5m}
                  demotion: {factor: 4, slow-share: 0.3, recover-factor: 2, probe-share: 0.01}
                  defaults: {delay: p90, min-delay: 100ms, max-delay: 3s, warmup-delay: 1s, max-in-flight: 3}
                providers:
                  a:
                    type: sim
                    key-rotation: round-robin
                    models: [{name: big, context-window: 200000}, {name: small}]
                  b: {type: sim}
                routes:
                  fixed: {chain: [a/big, b/x], hedge: {delay: 800ms, same-provider: true}, timeout: 30s}
                  cheap: {chain: [a/small, b/x], hedge: off, retry: {max-attempts: 1}, on-content-filter: next-candidate}
                  plain: {chain: [a/big, b/x]}
                """, Map.of());
        assertThat(result.errors(), is(empty()));
        HedgerowConfig config = result.config().orElseThrow();
        assertThat(config.failover().retry(), is(new RetrySettings(3, Duration.ofMillis(100), Duration.ofSeconds(2),
                                                                   Duration.ofSeconds(8))));
        assertThat(config.failover().cooldowns(), is(new CooldownSettings(
                List.of(Duration.ofSeconds(10), Duration.ofMinutes(1)), List.of(Duration.ofHours(1)),
                Duration.ofMinutes(2))));
        assertThat(config.failover().breaker(), is(new BreakerSettings(Duration.ofMinutes(1), 10, 0.3,
                                                                       Duration.ofSeconds(15), 2, 3)));
        assertThat(config.hedging().budget(), is(new BudgetSettings(0.05, 2, Duration.ofSeconds(20))));
        assertThat(config.hedging().baseline(), is(new BaselineSettings(Duration.ofSeconds(10), 30,
                                                                        Duration.ofMinutes(5))));
        assertThat(config.hedging().demotion(), is(new DemotionSettings(4, 0.3, 2, 0.01)));
        assertThat(config.hedging().defaults(), is(new HedgeSettings(true, new HedgeSettings.Delay.Percentile(90),
                Duration.ofMillis(100), Duration.ofSeconds(3), Optional.of(Duration.ofSeconds(1)), 3, false)));
        ProviderConfig a = config.providers().get("a");
        assertThat(a.keyRotation(), is(KeyRotation.ROUND_ROBIN));
        assertThat(a.contextWindow("big"), is(Optional.of(200000)));
        assertThat(a.contextWindow("small"), is(Optional.empty()));
        RouteConfig fixed = config.routes().get("fixed");
        assertThat(fixed.hedge().orElseThrow().delay(), is(new HedgeSettings.Delay.Fixed(Duration.ofMillis(800))));
        assertThat(fixed.hedge().orElseThrow().sameProvider(), is(true));
        assertThat(fixed.hedge().orElseThrow().maxInFlight(), is(3));
        assertThat(fixed.timeout(), is(Optional.of(Duration.ofSeconds(30))));
        RouteConfig cheap = config.routes().get("cheap");
        assertThat(cheap.hedge(), is(Optional.of(HedgeSettings.OFF)));
        assertThat(cheap.retry().orElseThrow().maxAttempts(), is(1));
        assertThat(cheap.retry().orElseThrow().baseDelay(), is(Duration.ofMillis(100)));
        assertThat(cheap.routeAroundContentFilter(), is(true));
        assertThat(config.routes().get("plain").hedge(), is(Optional.empty()));
    }

    @Test
    void reportsPolicyProblems() throws IOException {
        ConfigLoader.Result result = load("""
                failover:
                  retry: {max-attempts: 0}
                  cooldowns: {rate-limited: []}
                  breaker: {failure-ratio: 2}
                hedging:
                  demotion: {factor: 2, recover-factor: 3}
                  defaults: {delay: p100, min-delay: 5s, max-delay: 1s}
                providers:
                  a: {type: sim, key-rotation: random}
                routes:
                  r: {chain: [a/m], hedge: sometimes, on-content-filter: ignore}
                """, Map.of());
        List<String> errors = result.errors();
        assertThat(errors, hasItem("failover.retry.max-attempts: '0' (expected: an integer in 1..10)"));
        assertThat(errors, hasItem(containsString("failover.cooldowns.rate-limited: must be a non-empty list")));
        assertThat(errors, hasItem("failover.breaker.failure-ratio: '2' (expected: a number in 0.01..1)"));
        assertThat(errors, hasItem("hedging.demotion.recover-factor: '3.0' (expected: at most factor, 2.0)"));
        assertThat(errors, hasItem("hedging.defaults.delay: 'p100' (expected: a percentile between p1 and p99.99)"));
        assertThat(errors, hasItem("hedging.defaults.min-delay: '5s' (expected: at most max-delay, 1s)"));
        assertThat(errors, hasItem("providers.a.key-rotation: 'random' (expected: ordered or round-robin)"));
        assertThat(errors, hasItem("routes.r.hedge: 'sometimes' (expected: off, on, or a map of hedge settings)"));
        assertThat(errors, hasItem("routes.r.on-content-filter: 'ignore' (expected: fail or next-candidate)"));
    }

    @Test
    void warnsWhenNoFallbackEscapesThePrimarysRateLimit() throws IOException {
        ConfigLoader.Result result = load("""
                providers:
                  openai: {type: openai, base-url: "https://api.openai.com/v1", keys: ["${KEY}"]}
                  mirror: {type: openai, base-url: "https://mirror.example.com/v1", keys: ["${KEY}"]}
                  other: {type: openai, base-url: "https://other.example.com/v1", keys: ["${OTHER}"]}
                routes:
                  same-provider: {chain: [openai/gpt-4.1, openai/gpt-4.1-mini]}
                  same-key: {chain: [openai/gpt-4.1, mirror/gpt-4.1]}
                  real: {chain: [openai/gpt-4.1, openai/gpt-4.1-mini, other/gpt-4.1]}
                """, Map.of("KEY", "sk-shared-aaaa", "OTHER", "sk-other-bbbb"));
        assertThat(result.errors(), is(empty()));
        String warnings = String.join("\n", result.warnings());
        assertThat(warnings, containsString("routes.same-provider.chain: every fallback shares the primary's provider"
                                                    + " or key"));
        assertThat(warnings, containsString("routes.same-key.chain: every fallback shares"));
        assertThat(warnings, not(containsString("routes.real.chain: every fallback")));
        // Seen: two models on one key got no word, because not every fallback shared it. Each adjacent pair is named.
        assertThat(warnings, containsString("routes.real.chain: rungs 1 and 2 (openai/gpt-4.1, openai/gpt-4.1-mini) "
                                                    + "share key 'key-"));
        assertThat(warnings, not(containsString("rungs 2 and 3")));
    }

    @Test
    void observeSettingsAdminKeyAndPricesAreRead() throws IOException {
        Files.writeString(dir.resolve("admin"), "adm-from-file\n");
        ConfigLoader.Result result = load("""
                server: {admin-key: {file: %s}}
                observe: {events: %s, recent-events: 20, max-tags: 5, watch-config: false}
                providers:
                  p: {type: openai, base-url: "http://x/v1", keys: ["${K}"],
                      models: [{name: m, context-window: 1000, price: {input: 2.5, output: 10}}, {name: free}]}
                routes: {r: {chain: [p/m]}}
                """.formatted(dir.resolve("admin"), dir.resolve("events.jsonl")), Map.of("K", "sk"));
        assertThat(result.errors(), is(empty()));
        HedgerowConfig config = result.config().orElseThrow();
        assertThat(config.server().adminKey().orElseThrow().value(), is("adm-from-file"));
        assertThat(config.server().adminKey().orElseThrow().label(), is("admin"));
        assertThat(config.observe(), is(new ObserveSettings(dir.resolve("events.jsonl").toString(), 20, 5, false)));
        assertThat(config.observe().eventsFile(), is(Optional.of(dir.resolve("events.jsonl"))));
        assertThat(config.price("p", "m"), is(Optional.of(new Price(2.5, 10))));
        assertThat(config.price("p", "free"), is(Optional.empty()));
        assertThat(config.providers().get("p").contextWindow("m"), is(Optional.of(1000)));
        assertThat(new Price(2.5, 10).cost(1_000_000, 500_000), is(7.5));
    }

    @Test
    void aCachedInputPriceIsReadAndWithoutOneCachedTokensCostAsMuchAsInput() throws IOException {
        ConfigLoader.Result result = load("""
                providers:
                  p: {type: sim, models: [{name: cheap-cache, price: {input: 2, cached-input: 0.5, output: 8}},
                                          {name: plain, price: {input: 2, output: 8}},
                                          {name: free-cache, price: {input: 2, cached-input: 0, output: 8}}]}
                routes: {r: {chain: [p/plain]}}
                """, Map.of());
        assertThat(result.errors(), is(empty()));
        assertThat(result.warnings(), is(empty()));
        HedgerowConfig config = result.config().orElseThrow();
        assertThat(config.price("p", "cheap-cache"), is(Optional.of(new Price(2, 0.5, 8))));
        assertThat(config.price("p", "plain"), is(Optional.of(new Price(2, 2, 8))));
        assertThat(config.price("p", "free-cache"), is(Optional.of(new Price(2, 0, 8))));
        // 1M prompt tokens of which 800k cached, 100k out: 200k x $2 + 800k x $0.50 + 100k x $8 per million.
        assertThat(new Price(2, 0.5, 8).cost(1_000_000, 800_000, 100_000), closeTo(0.4 + 0.4 + 0.8, 1e-12));
        assertThat(new Price(2, 8).cost(1_000_000, 800_000, 100_000), closeTo(2 + 0.8, 1e-12));
        // A provider reporting more cached tokens than prompt tokens: the whole prompt counts as cached, no more.
        assertThat(new Price(2, 0.5, 8).cost(1_000, 5_000, 0), closeTo(1_000 * 0.5 / 1e6, 1e-15));
    }

    @Test
    void aBadCachedInputPriceIsAnErrorNamingIt() throws IOException {
        ConfigLoader.Result result = load("""
                providers:
                  p: {type: sim, models: [{name: a, price: {input: 2, cached-input: 2.5, output: 8}},
                                          {name: b, price: {input: 2, cached-input: -1, output: 8}},
                                          {name: c, price: {input: 2, cached-input: lots, output: 8}},
                                          {name: d, price: {cached-input: 0.5, output: 8}},
                                          {name: e, price: {input: 2, cache-read: 0.5, output: 8}}]}
                routes: {r: {chain: [p/a]}}
                """, Map.of());
        String all = String.join("\n", result.errors());
        assertThat(all, containsString("providers.p.models[0].price.cached-input: '2.5' (expected: at most the input "
                                               + "price, 2"));
        assertThat(all, containsString("providers.p.models[1].price.cached-input: '-1' (expected: a number in "
                                               + "0..1000000)"));
        assertThat(all, containsString("providers.p.models[2].price.cached-input: 'lots' (expected: a number in "
                                               + "0..1000000)"));
        assertThat(all, containsString("providers.p.models[3].price.input: missing"));
        assertThat(all, containsString("providers.p.models[4].price.cache-read: unknown key (did you mean "
                                               + "'cached-input'?"));
        assertThat(result.errors().size(), is(5));
        assertThat(result.config().isPresent(), is(false));
        // The record refuses the same, for configs built in code.
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                                                                                   () -> new Price(2, 2.5, 8));
        assertThat(e.getMessage(), is("price.cached-input: 2.5 (expected: 0..2, at most the input price)"));
    }

    @Test
    void bedrockProvidersTakeARegionAndAnAuthMode() throws IOException {
        ConfigLoader.Result result = load("""
                providers:
                  key: {type: bedrock, region: us-east-1, keys: ["${BEDROCK_KEY}"]}
                  iam: {type: bedrock, region: eu-central-1, auth: sigv4, aws-profile: prod}
                routes: {r: {chain: [key/us.anthropic.claude-sonnet-4-5-20250929-v1:0, iam/anthropic.claude-v2]}}
                """, Map.of("BEDROCK_KEY", "ABSK-test"));
        assertThat(String.join("\n", result.errors()), result.errors(), is(empty()));
        HedgerowConfig config = result.config().orElseThrow();
        BedrockSettings key = config.providers().get("key").bedrock().orElseThrow();
        assertThat(key.auth(), is(BedrockSettings.Auth.API_KEY));
        assertThat(key.runtimeUrl().toString(), is("https://bedrock-runtime.us-east-1.amazonaws.com"));
        BedrockSettings iam = config.providers().get("iam").bedrock().orElseThrow();
        assertThat(iam.auth(), is(BedrockSettings.Auth.SIGV4));
        assertThat(iam.profile(), is(Optional.of("prod")));
        assertThat(config.providers().get("iam").keys(), is(empty()));
    }

    @Test
    void badBedrockSettingsAreListedTogether() throws IOException {
        ConfigLoader.Result result = load("""
                providers:
                  a: {type: bedrock}
                  b: {type: bedrock, region: mars, auth: api-key}
                  c: {type: bedrock, region: us-east-1, auth: sigv4, keys: ["${K}"]}
                  d: {type: openai, base-url: "https://api.openai.com/v1", keys: ["${K}"], region: us-east-1}
                  e: {type: bedrock, region: us-west-2, auth: password}
                routes: {r: {chain: [a/m, b/m, c/m, d/m, e/m]}}
                """, Map.of("K", "k"));
        String all = String.join("\n", result.errors());
        assertThat(all, containsString("providers.a.region: missing"));
        assertThat(all, containsString("providers.b.region: 'mars'"));
        assertThat(all, containsString("providers.b.keys: none configured (auth: api-key needs a Bedrock API key"));
        assertThat(all, containsString("providers.c.keys: not used with auth: sigv4"));
        assertThat(all, containsString("providers.d.region: only for type: bedrock"));
        assertThat(all, containsString("providers.e.auth: 'password' (expected: api-key or sigv4)"));
        assertThat(result.config().isPresent(), is(false));
    }

    @Test
    void tracingIsOffUnlessAnEndpointIsGivenInTheConfigOrTheEnvironment() throws IOException {
        String routes = """
                providers: {p: {type: sim}}
                routes: {r: {chain: [p/m]}}
                """;
        assertThat(load(routes, Map.of()).config().orElseThrow().observe().tracing().enabled(), is(false));
        TracingSettings fromEnv = load(routes, Map.of("OTEL_EXPORTER_OTLP_ENDPOINT", "http://jaeger:4318/"))
                .config().orElseThrow().observe().tracing();
        assertThat(fromEnv.endpoint().orElseThrow().toString(), is("http://jaeger:4318/v1/traces"));
        TracingSettings configured = load("""
                observe:
                  tracing:
                    endpoint: https://otlp.example.com/v1/traces
                    protocol: http/protobuf
                    headers: {Authorization: "${OTLP_TOKEN}", x-dataset: hedgerow}
                    sample-ratio: 0.25
                    capture-content: true
                """ + routes, Map.of("OTLP_TOKEN", "Bearer secret-token", "OTEL_EXPORTER_OTLP_ENDPOINT", "http://x"))
                .config().orElseThrow().observe().tracing();
        assertThat(configured.endpoint().orElseThrow().getHost(), is("otlp.example.com"));
        assertThat(configured.headers(), is(Map.of("Authorization", "Bearer secret-token", "x-dataset", "hedgerow")));
        assertThat(configured.sampleRatio(), is(0.25));
        assertThat(configured.captureContent(), is(true));
        assertThat(configured.toString().contains("secret-token"), is(false));
        ConfigLoader.Result bad = load("""
                observe: {tracing: {protocol: grpc, sample-ratio: 2}}
                """ + routes, Map.of());
        String all = String.join("\n", bad.errors());
        assertThat(all, containsString("observe.tracing.endpoint: missing"));
        assertThat(all, containsString("observe.tracing.protocol: 'grpc' (expected: http/protobuf)"));
        assertThat(all, containsString("observe.tracing.sample-ratio: '2'"));
    }

    @Test
    void badObserveSettingsAdminKeysAndPricesAreListedTogether() throws IOException {
        ConfigLoader.Result result = load("""
                server: {admin-key: "${NOPE}"}
                observe: {events: /no/such/dir/events.jsonl, max-tags: many, colour: blue}
                providers:
                  p: {type: sim, models: [{name: m, price: {input: -1}}, {name: n, price: 3}]}
                routes: {r: {chain: [p/m]}}
                """, Map.of());
        String all = String.join("\n", result.errors());
        assertThat(all, containsString("server.admin-key: environment variable NOPE is not set"));
        assertThat(all, containsString("observe.events: '/no/such/dir/events.jsonl'"));
        assertThat(all, containsString("observe.max-tags: 'many'"));
        assertThat(all, containsString("providers.p.models[0].price.input: '-1'"));
        assertThat(all, containsString("providers.p.models[0].price.output: missing"));
        assertThat(all, containsString("providers.p.models[1].price: must be a map"));
        assertThat(all, containsString("observe.colour: unknown key"));
    }

    @Test
    void withoutAnAdminKeyOrObserveSectionTheDefaultsApply() throws IOException {
        ConfigLoader.Result result = load("""
                providers: {p: {type: sim}}
                routes: {r: {chain: [p/m]}}
                """, Map.of());
        HedgerowConfig config = result.config().orElseThrow();
        assertThat(config.server().adminKey(), is(Optional.empty()));
        assertThat(config.observe(), is(ObserveSettings.DEFAULTS));
        assertThat(config.observe().eventsToStdout(), is(true));
    }

    @Test
    void aBareOffForEventsMeansOffNotAFileNamedFalse() throws IOException {
        // YAML 1.1 reads a bare off as the boolean false; events written to ./false would be a silent surprise.
        for (String spelling : List.of("off", "no", "false", "'off'")) {
            ConfigLoader.Result result = load("""
                    observe: {events: %s}
                    providers: {p: {type: sim}}
                    routes: {r: {chain: [p/m]}}
                    """.formatted(spelling), Map.of());
            assertThat(spelling, result.config().orElseThrow().observe().events(), is("off"));
        }
        ConfigLoader.Result on = load("""
                observe: {events: on}
                providers: {p: {type: sim}}
                routes: {r: {chain: [p/m]}}
                """, Map.of());
        assertThat(on.config().orElseThrow().observe().eventsToStdout(), is(true));
    }

    @Test
    void preflightIsOnByDefaultAndCanBeTunedOrTurnedOff() throws IOException {
        String base = """
                providers: {p: {type: sim}}
                routes: {r: {chain: [p/m]}}
                """;
        assertThat(load(base, Map.of()).config().orElseThrow().observe().preflight(),
                   is(new PreflightSettings(true, Duration.ofMinutes(30), Duration.ofSeconds(5))));
        ConfigLoader.Result tuned = load(base + "observe: {preflight: {enabled: true, interval: 2h, timeout: 3s}}\n",
                                         Map.of());
        assertThat(tuned.errors(), is(empty()));
        assertThat(tuned.warnings(), is(empty()));
        assertThat(tuned.config().orElseThrow().observe().preflight(),
                   is(new PreflightSettings(true, Duration.ofHours(2), Duration.ofSeconds(3))));
        assertThat(load(base + "observe: {preflight: off}\n", Map.of()).config().orElseThrow().observe().preflight()
                           .enabled(), is(false));
        assertThat(load(base + "observe: {preflight: {enabled: false}}\n", Map.of()).config().orElseThrow().observe()
                           .preflight(), is(PreflightSettings.OFF));
    }

    @Test
    void badPreflightSettingsAreListedTogether() throws IOException {
        ConfigLoader.Result result = load("""
                observe: {preflight: {enabled: maybe, interval: 30s, timeout: 5m, every: 1h}}
                providers: {p: {type: sim}}
                routes: {r: {chain: [p/m]}}
                """, Map.of());
        String all = String.join("\n", result.errors());
        assertThat(all, containsString("observe.preflight.enabled: 'maybe' (expected: true or false)"));
        assertThat(all, containsString("observe.preflight.interval: '30s' (expected: at least 1m"));
        assertThat(all, containsString("observe.preflight.timeout: '5m' (expected: at most 1m)"));
        assertThat(all, containsString("observe.preflight.every: unknown key"));
        assertThat(load("""
                observe: {preflight: sometimes}
                providers: {p: {type: sim}}
                routes: {r: {chain: [p/m]}}
                """, Map.of()).errors(), hasItem(containsString("observe.preflight: 'sometimes' (expected: true or "
                                                                 + "false)")));
    }

    @Test
    void clientKeysWithRateLimitsAndServerLimits() throws IOException {
        String hashA = "5b11618c2e44027877d0cd0921ed166b9f176f50587fc91e7534dd2946db77d6";
        String hashB = "a".repeat(64);
        ConfigLoader.Result result = load("""
                server:
                  host: 0.0.0.0
                  client-keys:
                    - {name: laptop, sha256: %s}
                    - {name: night-agents, sha256: "%s", rate-limit: 30, burst: 5}
                    - {name: bursty, sha256: "%s", rate-limit: 10}
                  max-concurrent-requests: 32
                  max-connections: 100
                  max-header-size: 8KiB
                  read-timeout: 10s
                  write-timeout: 15s
                  idle-timeout: 2m
                  drain-timeout: 0s
                providers:
                  s: {type: sim, max-concurrent: 4, max-response-size: 64KiB}
                routes:
                  r: {chain: [s/m]}
                """.formatted(hashA, hashB.toUpperCase(), "b".repeat(64)), Map.of());
        assertThat(result.errors(), is(empty()));
        assertThat(result.warnings(), is(empty()));
        ServerSettings server = result.config().orElseThrow().server();
        assertThat(server.access().keys(), is(List.of(
                new ClientKey("laptop", hashA, Optional.empty()),
                new ClientKey("night-agents", hashB, Optional.of(new ClientKey.RateLimit(30, 5))),
                new ClientKey("bursty", "b".repeat(64), Optional.of(new ClientKey.RateLimit(10, 10))))));
        assertThat(server.limits(), is(new ServerLimits(32, 100, 8192, Duration.ofSeconds(10), Duration.ofSeconds(15),
                                                        Duration.ofMinutes(2), Duration.ZERO)));
        assertThat(result.config().orElseThrow().providers().get("s").limits(), is(new ProviderLimits(4, 65536)));
    }

    @Test
    void defaultsWithoutLimitsOrKeys() throws IOException {
        ConfigLoader.Result result = load("""
                providers:
                  s: {type: sim}
                routes:
                  r: {chain: [s/m]}
                """, Map.of());
        HedgerowConfig config = result.config().orElseThrow();
        assertThat(config.server().access(), is(ClientAccess.OPEN_ON_LOOPBACK));
        assertThat(config.server().limits(), is(ServerLimits.DEFAULTS));
        assertThat(config.providers().get("s").limits(), is(ProviderLimits.DEFAULTS));
    }

    @Test
    void maxConnectionsFollowsMaxConcurrentRequestsUnlessSet() throws IOException {
        // Issue 12 item 4: max-concurrent-requests: 5000 under a fixed 512 connections closed a burst's connections.
        ServerLimits raised = load(server("max-concurrent-requests: 5000"), Map.of()).config().orElseThrow()
                .server().limits();
        assertThat(raised.maxConcurrentRequests(), is(5000));
        assertThat(raised.maxConnections(), is(10_000));
        assertThat(load(server("max-concurrent-requests: 100"), Map.of()).config().orElseThrow().server().limits()
                           .maxConnections(), is(512));
        assertThat(load(server("{max-concurrent-requests: 5000, max-connections: 6000}"), Map.of()).config()
                           .orElseThrow().server().limits().maxConnections(), is(6000));
    }

    @Test
    void fewerConnectionsThanConcurrentRequestsIsWarned() throws IOException {
        ConfigLoader.Result result = load(server("{max-concurrent-requests: 300, max-connections: 200}"), Map.of());
        assertThat(result.errors(), is(empty()));
        assertThat(result.warnings(), hasItem(containsString("server.max-connections: 200 is below "
                                                                     + "max-concurrent-requests (300)")));
    }

    private static String server(String limits) {
        return """
                server: %s
                providers:
                  s: {type: sim}
                routes:
                  r: {chain: [s/m]}
                """.formatted(limits.startsWith("{") ? limits : "{" + limits + "}");
    }

    @Test
    void aPublicAddressNeedsClientKeysOrAnExplicitOpening() throws IOException {
        String routes = """
                providers:
                  s: {type: sim}
                routes:
                  r: {chain: [s/m]}
                """;
        for (String host : List.of("0.0.0.0", "192.168.1.20", "::", "example.com")) {
            ConfigLoader.Result result = load("server: {host: \"" + host + "\"}\n" + routes, Map.of());
            assertThat(host, result.errors(), hasItem(containsString("server.host: '" + host
                    + "' is not a loopback address and no client keys are configured")));
        }
        for (String host : List.of("127.0.0.1", "127.0.0.2", "localhost", "::1")) {
            ConfigLoader.Result result = load("server: {host: \"" + host + "\"}\n" + routes, Map.of());
            assertThat(host, result.errors(), is(empty()));
        }
        ConfigLoader.Result open = load("server: {host: 0.0.0.0, allow-unauthenticated: true}\n" + routes, Map.of());
        assertThat(open.errors(), is(empty()));
    }

    @Test
    void badClientKeysAndLimitsAreReported() throws IOException {
        ConfigLoader.Result result = load("""
                server:
                  client-keys:
                    - {name: a, sha256: "not-a-hash"}
                    - {name: b}
                    - {name: c, sha256: "%1$s", rate-limit: 0}
                    - {name: c, sha256: "%2$s"}
                    - {name: d, sha256: "%1$s"}
                    - {name: e, sha256: "%3$s", burst: 3}
                  max-concurrent-requests: 0
                  max-header-size: 10
                  read-timeout: soon
                  drain-timeout: -1s
                providers:
                  s: {type: sim, max-concurrent: 0, max-response-size: 10}
                routes:
                  r: {chain: [s/m]}
                """.formatted("1".repeat(64), "2".repeat(64), "3".repeat(64)), Map.of());
        List<String> errors = result.errors();
        assertThat(errors, hasItem(containsString("server.client-keys[0].sha256: 'not-a-hash' (expected: 64 hex digits")));
        assertThat(errors, hasItem(containsString("server.client-keys[1]: needs a name and a sha256")));
        assertThat(errors, hasItem("server.client-keys[2].rate-limit: '0' (expected: an integer in 1..1000000)"));
        assertThat(errors, hasItem("server.client-keys[3].name: 'c' names two clients"));
        assertThat(errors, hasItem(containsString("server.client-keys[4].sha256: the same key as an earlier client")));
        assertThat(errors, hasItem(containsString("server.client-keys[5].burst: given without a rate-limit")));
        assertThat(errors, hasItem("server.max-concurrent-requests: '0' (expected: an integer in 1..100000)"));
        assertThat(errors, hasItem("server.max-header-size: '10' (expected: 1KiB to 1MiB)"));
        assertThat(errors, hasItem(containsString("server.read-timeout: 'soon'")));
        assertThat(errors, hasItem(containsString("server.drain-timeout: '-1s'")));
        assertThat(errors, hasItem("providers.s.max-concurrent: '0' (expected: an integer in 1..100000)"));
        assertThat(errors, hasItem("providers.s.max-response-size: '10' (expected: 1KiB to 1GiB)"));
    }

    @Test
    void headerValuesAreSentAsWrittenNotAsYamlReadsThem() throws IOException {
        // YAML 1.1 reads yes as true, 1.10 as 1.1 and 010 as 8: a header is text, and goes out as it was written.
        ConfigLoader.Result result = load("""
                providers:
                  p:
                    type: openai
                    base-url: http://127.0.0.1:1/v1
                    keys: ["${K}"]
                    headers: {X-Flag: yes, X-Version: 1.10, X-Code: 010, X-Quoted: "on"}
                routes: {r: {chain: [p/m]}}
                """, Map.of("K", "sk-k"));
        assertThat(result.errors(), is(empty()));
        assertThat(result.config().orElseThrow().providers().get("p").headers(),
                   is(Map.of("X-Flag", "yes", "X-Version", "1.10", "X-Code", "010", "X-Quoted", "on")));
    }

    @Test
    void mergeKeysAndAnchorsWork() throws IOException {
        ConfigLoader.Result result = load("""
                providers:
                  a: &sim {type: sim, sim: {answer-tokens: 7}}
                  b:
                    <<: *sim
                    max-concurrent: 3
                routes: {r: {chain: [a/m, b/m]}}
                """, Map.of());
        assertThat(result.errors(), is(empty()));
        ProviderConfig b = result.config().orElseThrow().providers().get("b");
        assertThat(b.type(), is(ProviderType.SIM));
        assertThat(b.sim().answerTokens(), is(7));
        assertThat(b.limits().maxConcurrent(), is(3));
    }

    @Test
    void anEmptyFileOrAListIsProblemsNotAStackTrace() throws IOException {
        assertThat(load("", Map.of()).errors(), hasItem(containsString("providers: none configured")));
        assertThat(load("- a\n- b\n", Map.of()).errors(), hasItem(containsString("is not a YAML mapping")));
    }
}
