package io.hedgerow.observe;

import io.hedgerow.config.BreakerSettings;
import io.hedgerow.config.BudgetSettings;
import io.hedgerow.config.CandidateRef;
import io.hedgerow.config.CooldownSettings;
import io.hedgerow.config.DemotionSettings;
import io.hedgerow.config.FailoverSettings;
import io.hedgerow.config.HedgeSettings;
import io.hedgerow.config.HedgingSettings;
import io.hedgerow.config.PreflightSettings;
import io.hedgerow.config.RetrySettings;
import io.hedgerow.config.RouteConfig;
import io.hedgerow.fakes.FakeAnthropic;
import io.hedgerow.fakes.FakeOpenAi;
import io.hedgerow.fakes.FakeOpenAi.Reply;
import io.hedgerow.testing.ExternalTool;
import io.hedgerow.testing.Inbound;
import io.hedgerow.testing.RawClient;
import io.hedgerow.testing.Scrape;
import io.hedgerow.testing.TestConfig;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.closeTo;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.not;

/**
 * What {@code /observe/metrics} says after real traffic through fake upstreams: per candidate (outcomes by error
 * class, attempts by role, hedges launched / won / cancelled, budget refusals, breaker state and transitions, key
 * cooldowns, latency histograms, tokens and cost), per route (client-visible outcome and latency), JVM and process
 * meters; and that promtool accepts the whole text. Metrics live in one JVM-wide registry, so each test uses
 * routes of its own and compares exact counts only for those.
 */
class MetricsEndToEndTest {
    private static final String CHAT = "{\"model\":\"%s\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi there\"}]}";
    private static final String STREAM = "{\"model\":\"%s\",\"stream\":true,"
            + "\"messages\":[{\"role\":\"user\",\"content\":\"Hi there\"}]}";

    private static FakeOpenAi first;
    private static FakeOpenAi second;
    private ObservedRouter router;

    @BeforeAll
    static void startUpstreams() {
        first = FakeOpenAi.start();
        second = FakeOpenAi.start();
    }

    @AfterAll
    static void stopUpstreams() {
        first.close();
        second.close();
    }

    @BeforeEach
    void reset() {
        first.reset();
        second.reset();
        first.otherwise(Reply.text("from ", "first").usage(20, 2));
        second.otherwise(Reply.text("from ", "second").usage(30, 3));
    }

    @AfterEach
    void stop() {
        if (router != null) {
            router.close();
        }
    }

    private static TestConfig.Builder twoProviders() {
        return TestConfig.builder()
                .openAi("p1", first.baseUrl(), p -> p.key("k1", "sk-test-metrics-k1-0000000000").price("m1", 2, 8))
                .openAi("p2", second.baseUrl(), p -> p.key("k2", "sk-test-metrics-k2-0000000000").price("m2", 1, 4));
    }

    private static RouteConfig hedged(String alias, Duration delay) {
        return new RouteConfig(alias, List.of(new CandidateRef("p1", "m1"), new CandidateRef("p2", "m2")),
                               Optional.empty(), Optional.of(new HedgeSettings(
                true, new HedgeSettings.Delay.Fixed(delay), Duration.ofMillis(10), Duration.ofSeconds(10),
                Optional.empty(), 2, false)), false, Optional.empty());
    }

    @Test
    void aFailoverShowsUpPerCandidateAndPerRoute() {
        router = ObservedRouter.start(twoProviders().route("m-failover", "p1/m1", "p2/m2").build());
        first.otherwise(Reply.status(503));

        HttpResponse<String> response = router.raw.chat(CHAT.formatted("m-failover"), Map.of("x-hedgerow-tag", "nightly"));
        assertThat(response.body(), response.statusCode(), is(200));

        Scrape m = router.metrics();
        String[] p1 = {"route", "m-failover", "provider", "p1", "model", "m1"};
        String[] p2 = {"route", "m-failover", "provider", "p2", "model", "m2"};
        assertThat(m.sum("hedgerow_upstream_requests_total", with(p1, "outcome", "server_error")), is(1.0));
        assertThat(m.sum("hedgerow_upstream_requests_total", with(p2, "outcome", "ok")), is(1.0));
        assertThat(m.sum("hedgerow_attempts_total", with(p1, "role", "primary")), is(1.0));
        assertThat(m.sum("hedgerow_attempts_total", with(p2, "role", "fallback")), is(1.0));
        assertThat(m.sum("hedgerow_requests_served_total", p2), is(1.0));
        assertThat(m.sum("hedgerow_requests_served_total", p1), is(0.0));
        assertThat(m.sum("hedgerow_route_requests_total", "route", "m-failover", "outcome", "ok"), is(1.0));
        assertThat(m.sum("hedgerow_route_latency_seconds_count", "route", "m-failover", "stream", "false"), is(1.0));
        assertThat(m.sum("hedgerow_upstream_latency_seconds_count", with(p2, "stream", "false")), is(1.0));
        // Tokens as reported by p2 (30 in, 3 out), priced at $1 / $4 per million, under the client's tag.
        assertThat(m.sum("hedgerow_tokens_total", with(p2, "tag", "nightly", "direction", "input", "attempt", "winner")),
                   is(30.0));
        assertThat(m.sum("hedgerow_tokens_total", with(p2, "tag", "nightly", "direction", "output", "attempt", "winner")),
                   is(3.0));
        assertThat(m.sum("hedgerow_cost_usd_sum", with(p2, "tag", "nightly", "attempt", "winner")),
                   closeTo((30 * 1 + 3 * 4) / 1e6, 1e-12));
        // The gauges of each candidate and key are there from the start.
        assertThat(m.sum("hedgerow_breaker_state", "provider", "p2", "model", "m2", "state", "closed"), is(1.0));
        assertThat(m.has("hedgerow_key_cooldown_remaining_seconds", "provider", "p1", "key", "k1"), is(true));
        // JVM and process meters, with Prometheus' conventional names.
        for (String name : List.of("jvm_memory_used_bytes", "jvm_threads_live_threads", "jvm_gc_collections_total", "jvm_gc_collection_seconds_total",
                                   "process_cpu_seconds_total", "process_uptime_seconds", "process_files_open_files",
                                   "process_resident_memory_bytes", "process_start_time_seconds")) {
            assertThat(name, m.has(name), is(true));
        }
        promtoolAccepts(m.text());
    }

    @ParameterizedTest
    @EnumSource(Inbound.class)
    void promptTokensReadFromTheProvidersCacheAreCountedApartAndPricedAtTheCachedInputPrice(Inbound api) {
        // The registry outlives the router: each API's run has routes of its own.
        String cached = "m-cached-" + api.name().toLowerCase(java.util.Locale.ROOT);
        String uncached = "m-uncached-price-" + api.name().toLowerCase(java.util.Locale.ROOT);
        router = ObservedRouter.start(TestConfig.builder()
                                              .openAi("p1", first.baseUrl(), p -> p.price("m1", 2, 0.5, 8))
                                              .openAi("p2", second.baseUrl(), p -> p.price("m2", 1, 4))
                                              .route(cached, "p1/m1").route(uncached, "p2/m2").build());
        // 1000 prompt tokens, 800 of them read from the cache (OpenAI's prompt_tokens includes them), 10 out.
        first.otherwise(Reply.text("cached").usage(1000, 10).usageDetails(800, 0));
        second.otherwise(Reply.text("cached").usage(1000, 10).usageDetails(800, 0));

        // Chat Completions: the answers relayed as the provider wrote them; Messages: translated.
        assertThat(api.send(router.raw, api.request(cached, "Hi")).statusCode(), is(200));
        assertThat(api.stream(router.raw, api.streamRequest(cached, "Hi")).text(), is("cached"));
        assertThat(api.send(router.raw, api.request(uncached, "Hi")).statusCode(), is(200));

        Scrape m = router.metrics();
        String[] p1 = {"route", cached, "provider", "p1", "model", "m1", "attempt", "winner"};
        // The directions do not overlap: input + cached_input is every prompt token, counted once.
        assertThat(m.sum("hedgerow_tokens_total", with(p1, "direction", "input")), is(2 * 200.0));
        assertThat(m.sum("hedgerow_tokens_total", with(p1, "direction", "cached_input")), is(2 * 800.0));
        assertThat(m.sum("hedgerow_tokens_total", with(p1, "direction", "output")), is(2 * 10.0));
        // $2 per million uncached, $0.50 cached, $8 out: 880 micro-dollars a call, not the 2080 at full price.
        assertThat(m.sum("hedgerow_cost_usd_sum", p1), closeTo(2 * (200 * 2 + 800 * 0.5 + 10 * 8) / 1e6, 1e-12));
        assertThat(m.sum("hedgerow_cost_usd_count", p1), is(2.0));
        // Without a cached-input price, cached tokens are still counted apart but cost as much as the others.
        String[] p2 = {"route", uncached, "provider", "p2", "model", "m2"};
        assertThat(m.sum("hedgerow_tokens_total", with(p2, "direction", "cached_input")), is(800.0));
        assertThat(m.sum("hedgerow_cost_usd_sum", p2), closeTo((1000 * 1 + 10 * 4) / 1e6, 1e-12));
        promtoolAccepts(m.text());
    }

    @ParameterizedTest
    @EnumSource(Inbound.class)
    void anthropicCacheReadsAreDiscountedAndItsCacheWritesPricedAsInput(Inbound api) {
        String route = "m-claude-" + api.name().toLowerCase(java.util.Locale.ROOT);
        try (FakeAnthropic claude = FakeAnthropic.start()) {
            router = ObservedRouter.start(TestConfig.builder()
                                                  .anthropic("claude", claude.baseUrl().toString(),
                                                             p -> p.price("sonnet", 3, 0.3, 15))
                                                  .route(route, "claude/sonnet").build());
            // Anthropic's input_tokens leave the cache out: 100 uncached, 300 written to the cache, 600 read from it.
            claude.otherwise(FakeAnthropic.answer().thenText("hi").usage(100, 5).cache(300, 600));

            // Messages: the answers relayed as Anthropic wrote them, usage read from them all the same.
            assertThat(api.send(router.raw, api.request(route, "Hi")).statusCode(), is(200));
            assertThat(api.stream(router.raw, api.streamRequest(route, "Hi")).text(), is("hi"));

            Scrape m = router.metrics();
            String[] c = {"route", route, "provider", "claude", "model", "sonnet", "attempt", "winner"};
            // Cache writes are prompt tokens not read from the cache: input, at the input price (Anthropic bills
            // them at 1.25x or 2x, which the figure leaves out; see docs/operating.md, "Cost").
            assertThat(m.sum("hedgerow_tokens_total", with(c, "direction", "input")), is(2 * 400.0));
            assertThat(m.sum("hedgerow_tokens_total", with(c, "direction", "cached_input")), is(2 * 600.0));
            assertThat(m.sum("hedgerow_tokens_total", with(c, "direction", "output")), is(2 * 5.0));
            assertThat(m.sum("hedgerow_cost_usd_sum", c), closeTo(2 * (400 * 3 + 600 * 0.3 + 5 * 15) / 1e6, 1e-12));
        }
    }

    @Test
    void errorClassesOfAChainThatFailsAreCountedAndTheRouteSeesTheClientsError() {
        router = ObservedRouter.start(twoProviders().route("m-chainfail", "p1/m1", "p2/m2").build());
        first.otherwise(Reply.status(500));
        second.otherwise(Reply.error(401, "invalid_request_error", "invalid_api_key", "bad key"));

        HttpResponse<String> response = router.raw.chat(CHAT.formatted("m-chainfail"));
        assertThat(response.statusCode(), is(502));

        Scrape m = router.metrics();
        assertThat(m.sum("hedgerow_upstream_requests_total", "route", "m-chainfail", "provider", "p1",
                         "outcome", "server_error"), is(1.0));
        assertThat(m.sum("hedgerow_upstream_requests_total", "route", "m-chainfail", "provider", "p2",
                         "outcome", "auth"), is(1.0));
        assertThat(m.sum("hedgerow_route_requests_total", "route", "m-chainfail", "outcome", "upstream_failed"),
                   is(1.0));
        // The 401 cooled p2's key; the breaker counts 5xx only.
        assertThat(m.sum("hedgerow_key_cooldowns_total", "key", "k2", "cause", "auth"), greaterThan(0.0));
        assertThat(m.sum("hedgerow_key_cooldown_remaining_seconds", "provider", "p2", "key", "k2"), greaterThan(500.0));
        // A request that names no route is counted too, under route="none", with its error code.
        router.raw.chat(CHAT.formatted("no-such-model"));
        assertThat(router.metrics().sum("hedgerow_route_requests_total", "route", "none", "outcome", "model_not_found"),
                   greaterThan(0.0));
    }

    @Test
    void breakerStateAndTransitionsAreGaugedAndCounted() {
        BreakerSettings trigger = new BreakerSettings(Duration.ofSeconds(30), 1, 0.5, Duration.ofMinutes(5), 1, 1);
        router = ObservedRouter.start(twoProviders()
                                              .failover(new FailoverSettings(
                                                      new RetrySettings(1, Duration.ofMillis(50), Duration.ofMillis(200),
                                                                        Duration.ofSeconds(2)),
                                                      CooldownSettings.DEFAULTS, trigger))
                                              .route("m-breaker", "p1/m1", "p2/m2").build());
        first.otherwise(Reply.status(503));

        router.raw.chat(CHAT.formatted("m-breaker"));
        router.raw.chat(CHAT.formatted("m-breaker"));

        Scrape m = router.metrics();
        assertThat(m.sum("hedgerow_breaker_state", "provider", "p1", "model", "m1", "state", "open"), is(1.0));
        assertThat(m.sum("hedgerow_breaker_state", "provider", "p1", "model", "m1", "state", "closed"), is(0.0));
        assertThat(m.sum("hedgerow_breaker_transitions_total", "provider", "p1", "model", "m1", "to", "open"),
                   greaterThan(0.0));
        // The second request skipped p1 without calling it.
        assertThat(m.sum("hedgerow_skips_total", "route", "m-breaker", "provider", "p1", "reason", "breaker_open"),
                   is(1.0));
        assertThat(first.requestCount(), is(1));
    }

    @Test
    void aHedgeThatWinsIsCountedAndTheLosersTokensAreEstimatedAndPriced() throws Exception {
        router = ObservedRouter.start(twoProviders().route(hedged("m-hedge", Duration.ofMillis(100))).build());
        CountDownLatch slow = new CountDownLatch(1);
        first.enqueue(Reply.text("late").firstTokenAfter(slow));
        try {
            RawClient.SseStream stream = router.raw.chatStream(STREAM.formatted("m-hedge"));
            assertThat(stream.text(), is("from second"));
            assertThat(stream.header("x-hedgerow-winner").orElse(""), containsString("hedge"));
        } finally {
            slow.countDown();
        }

        Scrape m = router.metrics();
        String[] p1 = {"route", "m-hedge", "provider", "p1", "model", "m1"};
        String[] p2 = {"route", "m-hedge", "provider", "p2", "model", "m2"};
        assertThat(m.sum("hedgerow_hedges_launched_total", p2), is(1.0));
        assertThat(m.sum("hedgerow_hedges_won_total", p2), is(1.0));
        assertThat(m.sum("hedgerow_hedges_cancelled_total", p2), is(0.0));
        assertThat(m.sum("hedgerow_upstream_requests_total", with(p1, "outcome", "cancelled")), is(1.0));
        assertThat(m.sum("hedgerow_upstream_first_token_seconds_count", p2), is(1.0));
        // The primary lost: its prompt was sent and is paid for, but no usage came back. "Hi there" is
        // 8 characters and one message: 4 + 8/4 = 6 tokens, at $2 per million.
        assertThat(m.sum("hedgerow_tokens_total", with(p1, "attempt", "loser", "direction", "input")), is(6.0));
        assertThat(m.sum("hedgerow_cost_usd_sum", with(p1, "attempt", "loser")), closeTo(6 * 2 / 1e6, 1e-12));
        assertThat(m.sum("hedgerow_cost_usd_sum", with(p2, "attempt", "winner")), closeTo((30 + 3 * 4) / 1e6, 1e-12));

        List<com.fasterxml.jackson.databind.JsonNode> won = router.events("hedge_won");
        assertThat(won.size(), is(1));
        assertThat(won.getFirst().path("winner").asText(), is("p2/m2"));
        assertThat(won.getFirst().path("beat").path(0).asText(), is("p1/m1"));
        assertThat(won.getFirst().path("request_id").asText(), not(""));
    }

    @Test
    void aHedgeRefusedForLackOfBudgetIsCounted() throws Exception {
        HedgingSettings noBudget = new HedgingSettings(new BudgetSettings(0, 0, Duration.ofSeconds(10)),
                                                       HedgingSettings.DEFAULTS.baseline(), DemotionSettings.DEFAULTS,
                                                       HedgeSettings.OFF);
        router = ObservedRouter.start(twoProviders().hedging(noBudget)
                                              .route(hedged("m-budget", Duration.ofMillis(50))).build());
        CountDownLatch slow = new CountDownLatch(1);
        first.enqueue(Reply.text("slow but fine").firstTokenAfter(slow));
        Thread opener = Thread.ofVirtual().start(() -> {
            try {
                Thread.sleep(400);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            slow.countDown();
        });
        RawClient.SseStream stream = router.raw.chatStream(STREAM.formatted("m-budget"));
        opener.join();
        assertThat(stream.text(), is("slow but fine"));

        Scrape m = router.metrics();
        assertThat(m.sum("hedgerow_hedge_budget_exhausted_total", "route", "m-budget"), is(1.0));
        assertThat(m.sum("hedgerow_hedges_launched_total", "route", "m-budget"), is(0.0));
        assertThat(m.has("hedgerow_hedge_budget_balance"), is(true));
    }

    @Test
    void aStreamResumedOnAnotherCandidateIsCountedAndLogged() {
        router = ObservedRouter.start(twoProviders().route("m-resume", "p1/m1", "p2/m2").build());
        String answer = "The quick brown fox jumps over the lazy dog.";
        String[] pieces = new String[(answer.length() + 4) / 5];
        for (int i = 0; i < pieces.length; i++) {
            pieces[i] = answer.substring(i * 5, Math.min(answer.length(), i * 5 + 5));
        }
        first.enqueue(Reply.text(pieces).cutAfter(3));
        second.enqueue(Reply.text(pieces));

        RawClient.SseStream stream = router.raw.chatStream(STREAM.formatted("m-resume"));
        assertThat(stream.raw(), stream.text(), is(answer));

        Scrape m = router.metrics();
        assertThat(m.sum("hedgerow_stream_resumptions_total", "route", "m-resume", "provider", "p1", "model", "m1"),
                   is(1.0));
        com.fasterxml.jackson.databind.JsonNode event = router.events("stream_resumed").getFirst();
        assertThat(event.path("from").asText(), is("p1/m1"));
        assertThat(event.path("to").asText(), is("p2/m2"));
        assertThat(event.path("delivered_tokens").asInt(), is(3));
        assertThat(event.path("request_id").asText(), is(stream.header("x-request-id").orElseThrow()));
        promtoolAccepts(m.text());
    }

    @Test
    void tagsBeyondTheLimitAreCountedAsOther() {
        router = ObservedRouter.start(twoProviders().route("m-tags", "p2/m2").build()
                                              .withObserve(new io.hedgerow.config.ObserveSettings("off", 10, 2, false)
                                                                   .withPreflight(PreflightSettings.OFF)));
        for (String tag : List.of("a", "b", "c", "d", "bad tag!")) {
            router.raw.chat(CHAT.formatted("m-tags"), Map.of("x-hedgerow-tag", tag));
        }
        router.raw.chat(CHAT.formatted("m-tags"));
        Scrape m = router.metrics();
        String[] in = {"route", "m-tags", "direction", "input"};
        assertThat(m.sum("hedgerow_tokens_total", with(in, "tag", "a")), is(30.0));
        assertThat(m.sum("hedgerow_tokens_total", with(in, "tag", "b")), is(30.0));
        assertThat(m.sum("hedgerow_tokens_total", with(in, "tag", "other")), is(60.0));
        assertThat(m.sum("hedgerow_tokens_total", with(in, "tag", "invalid")), is(30.0));
        assertThat(m.sum("hedgerow_tokens_total", with(in, "tag", "none")), is(30.0));
        assertThat(m.has("hedgerow_tokens_total", "tag", "c"), is(false));
    }

    static String[] with(String[] base, String... more) {
        String[] out = new String[base.length + more.length];
        System.arraycopy(base, 0, out, 0, base.length);
        System.arraycopy(more, 0, out, base.length, more.length);
        return out;
    }

    /** promtool, Prometheus' own parser and linter, accepts the text (skipped where promtool is not installed). */
    static void promtoolAccepts(String text) {
        Path promtool = ExternalTool.require("promtool", "prometheus");
        try {
            Process process = new ProcessBuilder(promtool.toString(), "check", "metrics")
                    .redirectErrorStream(true).start();
            try (var in = process.getOutputStream()) {
                in.write(text.getBytes(StandardCharsets.UTF_8));
            }
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat("promtool did not finish", process.waitFor(60, TimeUnit.SECONDS), is(true));
            assertThat("promtool check metrics:\n" + output, process.exitValue(), is(0));
        } catch (IOException e) {
            throw new AssertionError(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}
