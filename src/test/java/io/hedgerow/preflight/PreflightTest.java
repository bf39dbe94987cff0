package io.hedgerow.preflight;

import io.hedgerow.config.ApiKey;
import io.hedgerow.config.HedgerowConfig;
import io.hedgerow.config.ProviderConfig;
import io.hedgerow.fakes.FakeModelList;
import io.hedgerow.fakes.FakeModelList.Answer;
import io.hedgerow.model.FailureKind;
import io.hedgerow.provider.ProviderClient;
import io.hedgerow.provider.ProviderClients;
import io.hedgerow.testing.TestConfig;
import io.hedgerow.time.Ticker;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.random.RandomGenerator;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.not;

/**
 * The runner and the judgement: targets are deduplicated across routes, checks run at once and are bounded by the
 * timeout however many hang, and each rung is judged from its keys' results.
 */
class PreflightTest {
    private static final Clock CLOCK = Clock.fixed(Instant.parse("2026-11-22T07:00:00Z"), ZoneOffset.UTC);
    private static final String GOOD = "sk-test-good-0123456789abcdef";
    private static final String BAD = "sk-test-bad-0123456789abcdef";
    /** For fakes that answer at once: a bound on liveness only (a cold HTTP client on a loaded machine is slow). */
    private static final Duration TIMEOUT = Duration.ofSeconds(20);
    /** For the fakes that never answer: the timeout under test. */
    private static final Duration HANG_TIMEOUT = Duration.ofMillis(400);

    private FakeModelList fake;

    @BeforeEach
    void start() {
        fake = FakeModelList.start();
        fake.answer(r -> switch (r.path()) {
            case "/good/models" -> r.key().equals(GOOD) ? Answer.openAi("m1", "m2")
                    : Answer.status(401, "{\"error\":{\"message\":\"Incorrect API key provided: " + r.key() + "\"}}");
            case "/hang/models" -> Answer.hang();
            case "/html/models" -> Answer.raw(200, "text/html", "<html>hello</html>");
            // A server with a chat endpoint but no list of models refuses an empty chat request as invalid.
            case "/nolist/chat/completions" -> Answer.status(400, "{\"error\":{\"message\":\"model is required\"}}");
            default -> Answer.status(404, "{\"error\":\"not found\"}");
        });
    }

    @AfterEach
    void stop() {
        fake.close();
    }

    @Test
    void eachProviderAndKeyIsOneTargetHoweverManyRoutesUseIt() {
        HedgerowConfig config = TestConfig.builder()
                .openAi("p", fake.baseUrl() + "/good", p -> p.key("a", GOOD).key("b", BAD))
                .sim("sim")
                .route("one", "p/m1", "sim/s")
                .route("two", "p/m2", "p/m1")
                .build();

        Map<Target, List<String>> targets = Target.usedBy(config);

        assertThat(targets.keySet().stream().map(Target::toString).toList(), is(List.of("p#a", "p#b", "sim#none")));
        assertThat(targets.values().iterator().next(), is(List.of("p/m1", "p/m2")));
    }

    @Test
    void checksRunAtOnce() {
        // Each check's answer waits until all three have arrived: checks made one after another would wait in vain.
        CountDownLatch allArrived = new CountDownLatch(3);
        fake.answer(r -> {
            allArrived.countDown();
            try {
                return allArrived.await(TIMEOUT.toSeconds() / 2, TimeUnit.SECONDS) ? Answer.openAi("m")
                        : Answer.status(500, "{\"error\":\"the checks came one at a time\"}");
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return Answer.status(500, "{}");
            }
        });
        HedgerowConfig config = TestConfig.builder()
                .openAi("a", fake.baseUrl() + "/a")
                .openAi("b", fake.baseUrl() + "/b")
                .openAi("c", fake.baseUrl() + "/c")
                .route("r", "a/m", "b/m", "c/m")
                .build();

        List<CheckResult> results = run(config);

        assertThat(results.stream().map(r -> r.target() + "=" + r.verdict().wireName()).toList(),
                   is(List.of("a#main=ok", "b#main=ok", "c#main=ok")));
        assertThat(results.getFirst().detail(), is("1 model listed"));
    }

    @Test
    void hangingChecksEndAtTheTimeout() {
        HedgerowConfig config = TestConfig.builder()
                .openAi("h1", fake.baseUrl() + "/hang")
                .openAi("h2", fake.baseUrl() + "/hang")
                .openAi("h3", fake.baseUrl() + "/hang")
                .route("r", "h1/m", "h2/m", "h3/m")
                .build();

        List<CheckResult> results = run(config, HANG_TIMEOUT);

        // The fake hangs until it is closed: ending at all is the timeout's doing (the client's, or the round's).
        for (CheckResult hung : results) {
            assertThat(hung.verdict(), is(Verdict.UNREACHABLE));
            assertThat(hung.failure().orElseThrow().kind(), is(FailureKind.TIMEOUT));
            assertThat(hung.checkedAt(), is(CLOCK.instant()));
        }
    }

    @Test
    void verdictsFollowTheFailureClasses() {
        HedgerowConfig config = TestConfig.builder()
                .openAi("good", fake.baseUrl() + "/good", p -> p.key("a", GOOD).key("b", BAD))
                .openAi("html", fake.baseUrl() + "/html")
                .openAi("nolist", fake.baseUrl() + "/nolist")
                .openAi("closed", "http://127.0.0.1:" + TestConfig.closedPort() + "/v1")
                .openAi("wrongpath", fake.baseUrl() + "/nothing-here")
                .route("r", "good/m1", "html/m", "nolist/m", "closed/m", "wrongpath/m")
                .build();

        List<CheckResult> results = run(config);

        assertThat(results.stream().map(r -> r.target() + "=" + r.verdict().wireName()).toList(),
                   is(List.of("good#a=ok", "good#b=auth_failed", "html#main=error", "nolist#main=error",
                              "closed#main=unreachable", "wrongpath#main=not_found")));
        // A 404 for the list and 404 for an empty chat request: nothing is at that path, a rung that cannot serve.
        assertThat(results.get(5).detail(), containsString("404 not found: nothing at " + fake.baseUrl()
                                                                   + "/nothing-here: 404 for the list of models and 404 "
                                                                   + "for a chat request"));
        assertThat(results.get(5).verdict().fatal(), is(true));
        assertThat(results.get(3).detail(), containsString("(its chat endpoint answers: 400 to an empty request)"));
        assertThat(results.get(1).detail(), containsString("401 auth failed: Incorrect API key provided"));
        assertThat(results.get(1).detail(), not(containsString(BAD)));
        assertThat(results.get(2).detail(), is("bad response: answer is not JSON"));
        assertThat(results.get(3).detail(), containsString("404 not found"));
    }

    @Test
    void aRungIsDeadWhenEveryKeyIsRefusedOrUnreachableAndARouteDownWhenEveryRungFailed() {
        HedgerowConfig config = TestConfig.builder()
                .openAi("good", fake.baseUrl() + "/good", p -> p.key("a", GOOD))
                .openAi("refused", fake.baseUrl() + "/good", p -> p.key("x", BAD).key("y", BAD + "2"))
                .openAi("mixed", fake.baseUrl() + "/good", p -> p.key("ok", GOOD).key("no", BAD))
                .openAi("closed", "http://127.0.0.1:" + TestConfig.closedPort() + "/v1")
                .openAi("nolist", fake.baseUrl() + "/nolist")
                .route("fine", "refused/m1", "mixed/m3", "good/m1")
                .route("broken", "closed/m", "nolist/m", "refused/m2")
                .build();

        PreflightReport report = PreflightReport.judge(config, byTarget(run(config)));

        assertThat(report.deadRungs().stream().map(r -> r.route() + "#" + r.position()).toList(),
                   is(List.of("fine#1", "broken#1", "broken#3")));
        assertThat(report.routesDown(), is(List.of("broken")));
        assertThat(report.notListed(), is(List.of("mixed/m3#ok")));
        assertThat(report.exitCode(), is(1));
        String printed = print(report);
        assertThat(printed, containsString("error: route fine, rung 1 (refused/m1): every key was refused (expired, "
                                                   + "revoked, unpaid or mistyped): it will never serve"));
        assertThat(printed, containsString("error: route broken, rung 1 (closed/m): nothing answers at http://127.0.0.1:"));
        assertThat(printed, containsString("warning: route broken: every rung failed its check at once: "
                                                   + "broken may have no working rung"));
        assertThat(printed, containsString("warning: route fine, rung 2 (mixed/m3), key ok: model 'm3' not listed by "
                                                   + "the provider"));
        assertThat(printed, containsString("live check FAILED: 3 rungs cannot serve"));
        assertThat(printed, not(containsString(GOOD)));
        assertThat(printed, not(containsString(BAD)));
    }

    @Test
    void anEmbeddingsRouteIsCheckedLikeAnyOther() {
        // An embedding model the provider does not list, and a rung whose only key is refused, found before traffic.
        HedgerowConfig config = TestConfig.builder()
                .openAi("emb", fake.baseUrl() + "/good", p -> p.key("a", GOOD).embeddingSpace("m1", "space")
                        .embeddingSpace("nomic", "space"))
                .openAi("refused", fake.baseUrl() + "/good", p -> p.key("x", BAD).embeddingSpace("m2", "space"))
                .route("embed", "emb/m1", "emb/nomic", "refused/m2")
                .build();

        PreflightReport report = PreflightReport.judge(config, byTarget(run(config)));

        assertThat(report.notListed(), is(List.of("emb/nomic#a")));
        assertThat(report.deadRungs().stream().map(r -> r.route() + "#" + r.position()).toList(),
                   is(List.of("embed#3")));
        assertThat(print(report), containsString("route embed, rung 2 (emb/nomic), key a: model 'nomic' not listed"));
    }

    @Test
    void aRungWithOneGoodKeyIsNotDeadAndAFullyHealthyConfigPasses() {
        HedgerowConfig config = TestConfig.builder()
                .openAi("mixed", fake.baseUrl() + "/good", p -> p.key("ok", GOOD).key("no", BAD))
                .sim("sim")
                .route("r", "mixed/m1", "sim/s")
                .build();

        PreflightReport report = PreflightReport.judge(config, byTarget(run(config)));

        assertThat(report.deadRungs(), is(List.of()));
        assertThat(report.routesDown(), is(List.of()));
        assertThat(report.exitCode(), is(0));
        String printed = print(report);
        assertThat(printed, containsString("route r:"));
        assertThat(printed, containsString("AUTH FAILED"));
        assertThat(printed, containsString("live check OK"));
    }

    @Test
    void keysNotCheckedYetAreNeitherDeadNorFailed() {
        HedgerowConfig config = TestConfig.builder()
                .openAi("p", fake.baseUrl() + "/good", p -> p.key("a", BAD).key("b", BAD + "2"))
                .route("r", "p/m1")
                .build();
        Map<Target, CheckResult> partial = new LinkedHashMap<>();
        CheckResult first = run(config).getFirst();
        partial.put(first.target(), first);

        PreflightReport report = PreflightReport.judge(config, partial);

        assertThat(report.deadRungs(), is(List.of()));
        assertThat(report.routesDown(), is(List.of()));
        assertThat(print(report), containsString("not checked"));
    }

    @Test
    void targetsNeverShowAKeyValue() {
        ProviderConfig provider = TestConfig.builder().openAi("p", "http://x/v1", p -> p.key("lbl", GOOD)).build()
                .providers().get("p");
        Target target = Target.of(provider, Optional.of(ApiKey.of("lbl", GOOD)));

        assertThat(target.toString(), is("p#lbl"));
        assertThat(String.valueOf(target.key()), not(containsString(GOOD)));
    }

    private List<CheckResult> run(HedgerowConfig config) {
        return run(config, TIMEOUT);
    }

    private List<CheckResult> run(HedgerowConfig config, Duration timeout) {
        Map<String, ProviderClient> clients = ProviderClients.create(config.providers(), CLOCK,
                                                                     RandomGenerator.getDefault());
        return Preflight.run(List.copyOf(Target.usedBy(config).keySet()), clients, timeout, Ticker.system(), CLOCK);
    }

    private static Map<Target, CheckResult> byTarget(List<CheckResult> results) {
        Map<Target, CheckResult> map = new LinkedHashMap<>();
        results.forEach(r -> map.put(r.target(), r));
        return map;
    }

    private static String print(PreflightReport report) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        report.print(new PrintStream(bytes, true, StandardCharsets.UTF_8));
        return bytes.toString(StandardCharsets.UTF_8);
    }
}
