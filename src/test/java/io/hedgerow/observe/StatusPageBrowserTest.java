package io.hedgerow.observe;

import io.hedgerow.config.BreakerSettings;
import io.hedgerow.config.CooldownSettings;
import io.hedgerow.config.FailoverSettings;
import io.hedgerow.config.PreflightSettings;
import io.hedgerow.config.RetrySettings;
import io.hedgerow.fakes.FakeOpenAi;
import io.hedgerow.fakes.FakeOpenAi.Reply;
import io.hedgerow.testing.ExternalTool;
import io.hedgerow.testing.TestConfig;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.greaterThanOrEqualTo;
import static org.hamcrest.Matchers.is;

/**
 * The status page in a real browser: headless Chromium loads {@code /status} from a running router (asking for
 * HTML, as browsers do), runs the page's script, which fetches the JSON and draws it, and the rendered DOM must
 * show what an operator looks for: the overall state, each route's candidates in order with their state and why,
 * the key cooling down with its time left, latency bars and sparklines, and recent events. A screenshot is left in
 * {@code target/status-page.png} for people.
 */
class StatusPageBrowserTest {
    private static final String CHAT = "{\"model\":\"%s\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}";

    @TempDir
    Path profile;

    @Test
    void thePageShowsRoutesCandidatesStatesCooldownsLatenciesAndEvents() throws Exception {
        Path chromium = ExternalTool.require("chromium", "chromium");
        BreakerSettings trigger = new BreakerSettings(Duration.ofSeconds(30), 1, 0.5, Duration.ofMinutes(5), 1, 1);
        try (FakeOpenAi first = FakeOpenAi.start(); FakeOpenAi second = FakeOpenAi.start();
             // Live checks: p3 lists its model; p1 and p2 have no list of models (a 404: neither proven nor refused).
             FakeOpenAi third = FakeOpenAi.start().models(key -> Reply.models("m3"));
             ObservedRouter router = ObservedRouter.start(TestConfig.builder()
                     .preflight(PreflightSettings.DEFAULTS)
                     .failover(new FailoverSettings(new RetrySettings(1, Duration.ofMillis(10), Duration.ofMillis(10),
                                                                      Duration.ZERO), CooldownSettings.DEFAULTS, trigger))
                     .openAi("p1", first.baseUrl())
                     .openAi("p2", second.baseUrl(), p -> p.key("k2", "sk-test-page-k2-00000000"))
                     .openAi("p3", third.baseUrl())
                     .route("chat", "p1/m1", "p2/m2")
                     .route("steady", "p3/m3")
                     .build())) {
            first.otherwise(Reply.status(503));
            second.otherwise(Reply.status(429).header("Retry-After", "90"));
            third.otherwise(Reply.text("fine"));
            assertThat(router.server.preflight().awaitRounds(1, Duration.ofSeconds(20)), is(true));
            router.raw.chat(CHAT.formatted("chat"));
            for (int i = 0; i < 5; i++) {
                router.raw.chat(CHAT.formatted("steady"));
            }

            long started = System.nanoTime();
            String dom = chromium(chromium, "--dump-dom", "http://127.0.0.1:" + router.port() + "/status");
            long millis = (System.nanoTime() - started) / 1_000_000;
            System.out.println("chromium --dump-dom of /status: " + millis + " ms");

            assertThat(dom, containsString("<span id=\"overall\" class=\"badge degraded\">degraded</span>"));
            assertThat(dom, containsString("config generation 1"));
            assertThat(dom, containsString("data-route=\"chat\""));
            assertThat(dom, containsString("data-route=\"steady\""));
            // p1 first (its place in the chain), breaker open with the time left; then p2, its key cooling.
            assertThat(dom, containsString("<tr data-candidate=\"p1/m1\" data-state=\"breaker_open\">"));
            // Real time passes while the browser loads the page: the time left is a few seconds under the full 5m.
            assertMatches(dom, "class=\"why\">breaker open, retry in (5m|4m[45]\\ds)<");
            assertThat(dom, containsString("<tr data-candidate=\"p2/m2\" data-state=\"keys_cooling\">"));
            assertMatches(dom, "every key cooling down, next in (1m30s|1m[12]\\ds)<");
            assertMatches(dom, "k2: cooling (1m30s|1m[12]\\ds) left \\(rate_limited\\)");
            assertThat(dom.indexOf("data-candidate=\"p1/m1\""), is(lessThanIndex(dom, "data-candidate=\"p2/m2\"")));
            // The healthy route: ok, with a latency bar and a sparkline of its five answers.
            assertThat(dom, containsString("<tr data-candidate=\"p3/m3\" data-state=\"ok\">"));
            String steady = dom.substring(dom.indexOf("data-candidate=\"p3/m3\""));
            assertThat(steady, containsString("class=\"bar\""));
            assertThat(steady, containsString("answer p50 "));
            Matcher points = Pattern.compile("<polyline points=\"([^\"]*)\"").matcher(steady);
            assertThat("a sparkline", points.find(), is(true));
            assertThat(points.group(1).trim().split(" ").length, is(5));
            assertThat(dom, containsString("hedging off"));
            // The live checks: their rhythm in the header, each key's last check beside it.
            assertThat(dom, containsString("live checks every 30m, last "));
            assertThat(steady, containsString("main: ok<span class=\"check ok\""));
            assertThat(steady, containsString("> · checked</span>"));
            assertThat(dom, containsString("<span class=\"check error\""));
            // Recent events, with the request that caused them.
            assertThat(dom, containsString("data-event=\"breaker_transition\""));
            assertThat(dom, containsString("data-event=\"cooldown_started\""));
            assertThat(dom, containsString("req_"));

            chromium(chromium, "--screenshot=" + Path.of("target", "status-page.png").toAbsolutePath(),
                     "--window-size=1280,900", "http://127.0.0.1:" + router.port() + "/status");
        }
    }

    private static void assertMatches(String dom, String regex) {
        assertThat("the page matches " + regex, Pattern.compile(regex).matcher(dom).find(), is(true));
    }

    private static int lessThanIndex(String dom, String marker) {
        int index = dom.indexOf(marker);
        assertThat(marker, index, greaterThanOrEqualTo(0));
        return Math.min(index, dom.indexOf("data-candidate=\"p1/m1\""));
    }

    private String chromium(Path chromium, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(
                chromium.toString(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                "--no-first-run", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--disable-dev-shm-usage", "--user-data-dir=" + profile,
                "--virtual-time-budget=3000"));
        command.addAll(List.of(args));
        Path err = profile.resolve("chromium.log");
        Process process = new ProcessBuilder(command).redirectError(err.toFile()).start();
        byte[] out = process.getInputStream().readAllBytes();
        if (!process.waitFor(90, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("chromium did not finish");
        }
        assertThat("chromium failed: " + Files.readString(err), process.exitValue(), is(0));
        return new String(out, StandardCharsets.UTF_8);
    }
}
