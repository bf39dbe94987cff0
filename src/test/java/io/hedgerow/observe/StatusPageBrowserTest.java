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
import java.net.http.HttpResponse;
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
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.lessThan;
import static org.hamcrest.Matchers.not;

/**
 * The status page in a real browser, in each state a router goes through at 7 am: every route serving; a route
 * serving on rung 2 because rung 1's breaker opened; a route that cannot serve at all. Headless Chromium loads
 * {@code /status} (the page is rendered on the server: it must read without scripts, and the HTML as served is
 * checked for it) and the DOM must
 * answer the operator's first question without contradicting itself, then the recent changes, then latency and
 * hedging. Screenshots are left in {@code target/status-page-{ok,degraded,cannot-serve}.png}: look at them. One more
 * load with scripts on proves the live refresh runs (it swaps in {@code ?part=body} every two seconds).
 */
class StatusPageBrowserTest {
    private static final String CHAT = "{\"model\":\"%s\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}";

    @TempDir
    Path profile;

    @Test
    void eachStateReadsWithoutScriptsAndNeverContradictsItself() throws Exception {
        Path chromium = ExternalTool.require("chromium", "chromium");
        BreakerSettings trigger = new BreakerSettings(Duration.ofSeconds(30), 1, 0.5, Duration.ofMinutes(5), 1, 1);
        try (FakeOpenAi first = FakeOpenAi.start().models(key -> Reply.models("m1"));
             FakeOpenAi second = FakeOpenAi.start().models(key -> Reply.models("m2"));
             FakeOpenAi third = FakeOpenAi.start().models(key -> Reply.models("m3"));
             ObservedRouter router = ObservedRouter.start(TestConfig.builder()
                     .preflight(PreflightSettings.DEFAULTS)
                     .hedging(io.hedgerow.config.HedgingSettings.DEFAULTS)
                     .failover(new FailoverSettings(new RetrySettings(1, Duration.ofMillis(10), Duration.ofMillis(10),
                                                                      Duration.ZERO), CooldownSettings.DEFAULTS, trigger))
                     .openAi("p1", first.baseUrl(), p -> p.key("k1", "sk-test-page-k1-00000000"))
                     .openAi("p2", second.baseUrl(), p -> p.key("k2", "sk-test-page-k2-00000000"))
                     .openAi("p3", third.baseUrl(), p -> p.key("k3", "sk-test-page-k3-00000000"))
                     .route("chat", "p1/m1", "p2/m2")
                     .route("steady", "p3/m3")
                     .build())) {
            first.otherwise(Reply.text("from p1"));
            second.otherwise(Reply.text("from p2"));
            third.otherwise(Reply.text("fine"));
            assertThat(router.server.preflight().awaitRounds(1, Duration.ofSeconds(20)), is(true));
            for (int i = 0; i < 3; i++) {
                router.raw.chat(CHAT.formatted("chat"));
                router.raw.chat(CHAT.formatted("steady"));
            }
            String url = "http://127.0.0.1:" + router.port() + "/status";

            // 1. Every route serves, each on its first rung.
            String ok = render(chromium, url, "ok");
            assertThat(ok, containsString("<span id=\"overall\" class=\"badge ok\">all routes serving</span>"));
            assertThat(ok, containsString("every route can serve, each on its first rung"));
            assertThat(ok, containsString("data-route=\"chat\" data-state=\"ok\""));
            assertThat(ok, containsString("data-route=\"steady\" data-state=\"ok\""));
            assertThat(ok, not(containsString("cannot serve")));
            assertThat(ok, containsString("no changes since start-up"));
            assertThat(ok, containsString("<a id=\"tune\" class=\"muted\" href=\"/status/tune\""));
            // Before 20 samples the delay is the warm-up prior: the page says so, not "after –" nor a bare "10s".
            // (The baseline's window is 20 s: on a slow machine the three samples may have left it already.)
            assertMatches(ok, "hedge auto \\(p92\\) for p1/m1 on a [0-9]+-token prompt: streams after 10s \\(warm-up "
                    + "until 20 samples, 0 so far\\); whole answers after 10s \\(warm-up until 20 samples, [0-3] so "
                    + "far\\); at most 2 in flight");
            assertThat(ok, not(containsString("–")));
            assertThat(ok, containsString("no hedging: one candidate, nothing to hedge to"));
            // Each candidate's last request against what is usual for its size (nothing usual after 3 samples).
            assertMatches(ok, "data-last[^>]*>last: [^<]+ for a [0-9]+-token prompt \\(nothing usual yet\\)</div>");
            // The live checks' table, as check --live prints it.
            assertThat(ok, containsString("<tr data-check=\"ok\"><td>chat</td><td class=\"num\">1</td><td>p1/m1</td>"
                                                  + "<td>k1</td>"));
            Matcher points = Pattern.compile("data-candidate=\"p3/m3\".*?<polyline points=\"([^\"]*)\"").matcher(ok);
            assertThat("a sparkline of the three answers", points.find(), is(true));
            assertThat(points.group(1).trim().split(" ").length, is(3));

            // 2. Rung 1 fails: its breaker opens; the route serves on rung 2, and says so everywhere.
            first.otherwise(Reply.status(503));
            for (int i = 0; i < 3; i++) { // 3 failures beside 3 successes: a failure ratio of 0.5 opens the breaker
                HttpResponse<String> fallback = router.raw.chat(CHAT.formatted("chat"));
                assertThat(fallback.body(), containsString("from p2"));
            }
            String degraded = render(chromium, url, "degraded");
            assertThat(degraded, containsString("<span id=\"overall\" class=\"badge degraded\">serving, degraded</span>"));
            assertThat(degraded, containsString("route chat serving with a rung down or weak"));
            assertThat(degraded, containsString("data-route=\"chat\" data-state=\"degraded\""));
            assertMatches(degraded, "<li data-rung=\"1\" data-state=\"breaker_open\" class=\"down\"><span class=\"pos\">1"
                    + "</span><span class=\"cand\">p1/m1</span><span class=\"why\">breaker open, retry in "
                    + "(5m|4m[45]\\ds)</span></li>");
            assertThat(degraded, containsString("<span class=\"cand\">p2/m2</span><span class=\"serving\">serving</span>"));
            assertThat(degraded, not(containsString("cannot serve")));
            // The change that explains it, apart from the requests.
            String changes = section(degraded, "changes");
            assertThat(changes, containsString("p1/m1: breaker closed → open"));
            assertThat(section(degraded, "requests"), containsString("chat: served by p2/m2 instead of p1/m1"));

            // 3. Rung 2 is rate limited too: chat cannot serve; steady still can.
            second.otherwise(Reply.status(429).header("Retry-After", "90"));
            router.raw.chat(CHAT.formatted("chat"));
            String down = render(chromium, url, "cannot-serve");
            assertThat(down, containsString("<span id=\"overall\" class=\"badge cannot_serve\">a route cannot serve"
                                                    + "</span>"));
            assertThat(down, containsString("route chat cannot serve"));
            assertThat(down, containsString("data-route=\"chat\" data-state=\"cannot_serve\""));
            assertThat(down, containsString("data-route=\"steady\" data-state=\"ok\""));
            assertMatches(down, "<li data-rung=\"2\" data-state=\"keys_cooling\" class=\"down\">.*?every key cooling down, "
                    + "next in (1m30s|1m[12]\\ds)<");
            assertThat(down, not(containsString("class=\"serving\">serving</span><span class=\"why\">every key")));
            assertThat(section(down, "changes"), containsString("key k2 cools down for 1m30s (rate limited, failure 1 "
                                                                        + "in a row)"));
            assertMatches(section(down, "latency"), "k2: cooling (1m30s|1m[12]\\ds) left \\(rate_limited\\)");
            assertThat(section(down, "requests"), containsString("chat: no answer (429 rate limited): p1/m1:skipped "
                                                                         + "(breaker open"));
            // Newest first: the cooldown came after the breaker.
            assertThat(section(down, "changes").indexOf("key k2 cools"),
                       lessThan(section(down, "changes").indexOf("breaker closed → open")));

            // The live refresh: with scripts on, after its first refresh the page is whole and connected.
            String live = chromium(chromium, "--dump-dom", url);
            assertThat(live, containsString("data-route=\"chat\" data-state=\"cannot_serve\""));
            assertThat(live, containsString("<p id=\"connection\" class=\"bad\"></p>"));
            assertThat(live.length(), greaterThan(2000));
        }
    }

    /**
     * The page as Chromium renders it before its script's first refresh (at two seconds): the server's rendering.
     * Also proves it reads without scripts: the HTML as served holds the same content (headless Chromium dumps
     * nothing with scripts off, so that is checked on the served HTML). Saves a screenshot as
     * {@code target/status-page-NAME.png}.
     */
    private String render(Path chromium, String url, String name) throws IOException, InterruptedException {
        String dom = chromium(chromium, "--virtual-time-budget=1000", "--dump-dom", url);
        String served;
        try (io.hedgerow.testing.RawClient raw = new io.hedgerow.testing.RawClient(
                Integer.parseInt(url.replaceAll(".*:(\\d+)/.*", "$1")))) {
            served = raw.get("/status", java.util.Map.of("Accept", "text/html")).body();
        }
        for (String marker : List.of("id=\"overall\"", "<section id=\"serve\">", "<section id=\"changes\">",
                                     "<section id=\"latency\">", "<section id=\"checks\">")) {
            assertThat("served without scripts: " + marker, served, containsString(marker));
        }
        Matcher headline = Pattern.compile("<span id=\"headline\">[^<]*</span>").matcher(dom);
        assertThat(headline.find(), is(true));
        assertThat("the served HTML says what the browser shows", served, containsString(headline.group()));
        Path png = Path.of("target", "status-page-" + name + ".png").toAbsolutePath();
        chromium(chromium, "--virtual-time-budget=1000", "--screenshot=" + png, "--window-size=1280,1600", url);
        assertThat(png + " written", Files.size(png), greaterThan(10_000L));
        return dom;
    }

    private static String section(String dom, String id) {
        int start = dom.indexOf("<section id=\"" + id + "\">");
        assertThat("section " + id, start, greaterThan(-1));
        return dom.substring(start, dom.indexOf("</section>", start));
    }

    private static void assertMatches(String dom, String regex) {
        assertThat("the page matches " + regex, Pattern.compile(regex).matcher(dom).find(), is(true));
    }

    private String chromium(Path chromium, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(
                chromium.toString(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                "--no-first-run", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--disable-dev-shm-usage", "--user-data-dir=" + profile));
        if (List.of(args).stream().noneMatch(a -> a.startsWith("--virtual-time-budget"))) {
            command.add("--virtual-time-budget=3000");
        }
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
