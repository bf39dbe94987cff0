package io.hedgerow.observe.trace;

import io.hedgerow.HedgerowServer;
import io.hedgerow.config.BudgetSettings;
import io.hedgerow.config.CandidateRef;
import io.hedgerow.config.DemotionSettings;
import io.hedgerow.config.HedgeSettings;
import io.hedgerow.config.HedgingSettings;
import io.hedgerow.config.RouteConfig;
import io.hedgerow.config.TracingSettings;
import io.hedgerow.fakes.FakeOpenAi;
import io.hedgerow.fakes.FakeOpenAi.Reply;
import io.hedgerow.fakes.OtlpReceiver;
import io.hedgerow.fakes.OtlpReceiver.Span;
import io.hedgerow.testing.RawClient;
import io.hedgerow.testing.TestConfig;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsInAnyOrder;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.not;

/**
 * Traces end to end, exported over OTLP/HTTP to a real receiver that decodes the protobuf: the span tree of a hedged
 * request (a server span continuing the client's trace, two attempt spans under it, the loser cancelled, a hedge
 * event) and of a fallback after a 429; each upstream call carries its own attempt span's traceparent; no key and no
 * prompt text is exported unless content capture is on.
 */
class TracingEndToEndTest {
    private static final String CLIENT_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
    private static final String CLIENT_SPAN = "00f067aa0ba902b7";
    private static final String TRACEPARENT = "00-" + CLIENT_TRACE + "-" + CLIENT_SPAN + "-01";
    private static final String PROMPT = "my secret prompt about quarterly numbers";

    private FakeOpenAi slow;
    private FakeOpenAi fast;
    private OtlpReceiver receiver;
    private CountDownLatch release;
    private HedgerowServer router;

    @BeforeEach
    void start() {
        slow = FakeOpenAi.start();
        fast = FakeOpenAi.start();
        receiver = OtlpReceiver.start();
        release = new CountDownLatch(1);
    }

    @AfterEach
    void stop() {
        release.countDown();
        if (router != null) {
            router.close();
        }
        slow.close();
        fast.close();
        receiver.close();
    }

    @Test
    void aHedgedRequestIsOneServerSpanWithTwoAttemptSpansTheLoserCancelled() throws Exception {
        slow.otherwise(Reply.text("from ", "slow").firstTokenAfter(release));
        fast.otherwise(Reply.text("from ", "fast"));
        HedgeSettings hedge = new HedgeSettings(true, new HedgeSettings.Delay.Fixed(Duration.ofMillis(100)),
                                                Duration.ofMillis(10), Duration.ofSeconds(5), Optional.empty(), 2, false);
        router = HedgerowServer.start(TestConfig.builder()
                .tracing(tracing(false))
                .hedging(new HedgingSettings(BudgetSettings.DEFAULTS, HedgingSettings.DEFAULTS.baseline(),
                                             new DemotionSettings(3, 0.25, 1.5, 0), HedgeSettings.OFF))
                .openAi("a", slow.baseUrl())
                .openAi("b", fast.baseUrl())
                .route(new RouteConfig("hedged", List.of(new CandidateRef("a", "m1"), new CandidateRef("b", "m2")),
                                       Optional.empty(), Optional.of(hedge), false, Optional.empty()))
                .build());
        try (RawClient client = new RawClient(router.port())) {
            HttpResponse<String> response = client.chat(chat("hedged"), Map.of("traceparent", TRACEPARENT,
                                                                                "tracestate", "vendor=abc"));
            assertThat(response.body(), response.statusCode(), is(200));
            assertThat(response.headers().firstValue("x-hedgerow-winner"), is(Optional.of("2 hedge")));
        }
        List<Span> spans = receiver.await(s -> s.size() >= 3, Duration.ofSeconds(10));
        Span server = only(spans, Span.SERVER);
        assertThat(server.traceId(), is(CLIENT_TRACE));
        assertThat(server.parentSpanId(), is(CLIENT_SPAN));
        assertThat(server.traceState(), is("vendor=abc"));
        assertThat(server.name(), is("chat hedged"));
        assertThat(server.attribute("gen_ai.request.model"), is(Optional.of("hedged")));
        assertThat(server.attribute("gen_ai.response.model").isPresent(), is(true));
        assertThat(server.hasEvent("hedgerow.hedge.fired"), is(true));
        List<Span> attempts = spans.stream().filter(s -> s.kind() == Span.CLIENT).toList();
        assertThat(attempts.size(), is(2));
        for (Span attempt : attempts) {
            assertThat(attempt.traceId(), is(CLIENT_TRACE));
            assertThat(attempt.parentSpanId(), is(server.spanId()));
            assertThat(attempt.attribute("gen_ai.provider.name"), is(Optional.of("openai")));
            assertThat(attempt.attribute("hedgerow.key.label"), is(Optional.of("main")));
        }
        assertThat(attempts.stream().map(a -> a.attribute("hedgerow.attempt.role").orElseThrow() + ":"
                + a.attribute("hedgerow.attempt.outcome").orElseThrow()).toList(),
                   containsInAnyOrder("primary:lost_cancelled", "hedge:won"));
        // Each upstream call carried its own attempt span's traceparent.
        Span primary = attempts.stream().filter(a -> a.attribute("hedgerow.attempt.role").orElseThrow()
                .equals("primary")).findFirst().orElseThrow();
        Span hedged = attempts.stream().filter(a -> a.attribute("hedgerow.attempt.role").orElseThrow()
                .equals("hedge")).findFirst().orElseThrow();
        assertThat(slow.exchanges().getFirst().header("traceparent"),
                   is(Optional.of("00-" + CLIENT_TRACE + "-" + primary.spanId() + "-01")));
        assertThat(fast.exchanges().getFirst().header("traceparent"),
                   is(Optional.of("00-" + CLIENT_TRACE + "-" + hedged.spanId() + "-01")));
        assertNothingSecretExported();
    }

    @Test
    void aFallbackAfterA429IsAFailedAttemptThenAServedOne() throws Exception {
        slow.otherwise(Reply.status(429));
        fast.otherwise(Reply.text("from ", "fallback"));
        router = HedgerowServer.start(TestConfig.builder()
                .tracing(tracing(false))
                .openAi("a", slow.baseUrl())
                .openAi("b", fast.baseUrl())
                .route("chain", "a/m1", "b/m2")
                .build());
        try (RawClient client = new RawClient(router.port())) {
            HttpResponse<String> response = client.chat(chat("chain"));
            assertThat(response.body(), response.statusCode(), is(200));
        }
        List<Span> spans = receiver.await(s -> s.size() >= 3, Duration.ofSeconds(10));
        Span server = only(spans, Span.SERVER);
        assertThat(server.parentSpanId(), is(""));
        assertThat(server.hasEvent("hedgerow.failover"), is(true));
        List<Span> attempts = spans.stream().filter(s -> s.kind() == Span.CLIENT).toList();
        assertThat(attempts.stream().map(a -> a.attribute("hedgerow.attempt.role").orElseThrow() + ":"
                + a.attribute("hedgerow.attempt.outcome").orElseThrow() + ":"
                + a.attribute("hedgerow.failure.class").orElse("-")).toList(),
                   containsInAnyOrder("primary:failed:rate_limited", "fallback:won:-"));
        Span failed = attempts.stream().filter(a -> a.attribute("hedgerow.attempt.outcome").orElseThrow()
                .equals("failed")).findFirst().orElseThrow();
        assertThat(failed.statusCode(), is(2));
        assertThat(failed.attribute("http.response.status_code"), is(Optional.of(429L)));
        assertThat(server.attribute("gen_ai.usage.output_tokens").isPresent(), is(true));
        assertNothingSecretExported();
    }

    @Test
    void aStreamResumedOnAnotherCandidateIsAnEventOnTheRequestSpan() throws Exception {
        String answer = "The quick brown fox jumps over the lazy dog.";
        slow.enqueue(Reply.text(answer.split("(?<= )")).cutAfter(3));
        fast.enqueue(Reply.text(answer.split("(?<= )")));
        router = HedgerowServer.start(TestConfig.builder().tracing(tracing(false))
                                              .openAi("a", slow.baseUrl()).openAi("b", fast.baseUrl())
                                              .route("splice", "a/m1", "b/m2").build());
        try (RawClient client = new RawClient(router.port())) {
            RawClient.SseStream stream = client.chatStream(
                    "{\"model\":\"splice\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\""
                            + PROMPT + "\"}]}");
            assertThat(stream.raw(), stream.done(), is(true));
        }
        List<Span> spans = receiver.await(s -> s.size() >= 3, Duration.ofSeconds(10));
        Span server = only(spans, Span.SERVER);
        OtlpReceiver.Event resumed = server.events().stream().filter(e -> e.name().equals("hedgerow.stream.resumed"))
                .findFirst().orElseThrow(() -> new AssertionError(server.events().toString()));
        assertThat(resumed.attributes().get("hedgerow.from"), is("a/m1"));
        assertThat(resumed.attributes().get("hedgerow.to"), is("b/m2"));
        assertThat(resumed.attributes().get("hedgerow.delivered_tokens"), is(3L));
        // The streamed winner's span carries its time to first token.
        assertThat(spans.stream().filter(sp -> sp.kind() == Span.CLIENT)
                           .anyMatch(sp -> sp.attribute("hedgerow.time_to_first_token_ms").isPresent()), is(true));
        assertNothingSecretExported();
    }

    @Test
    void contentIsRecordedOnlyWhenAskedForAndKeysNever() throws Exception {
        fast.otherwise(Reply.text("the ", "answer"));
        router = HedgerowServer.start(TestConfig.builder().tracing(tracing(true))
                                              .openAi("b", fast.baseUrl()).route("r", "b/m2").build());
        try (RawClient client = new RawClient(router.port())) {
            assertThat(client.chat(chat("r")).statusCode(), is(200));
        }
        List<Span> spans = receiver.await(s -> s.size() >= 2, Duration.ofSeconds(10));
        Span server = only(spans, Span.SERVER);
        assertThat(String.valueOf(server.attribute("gen_ai.input.messages").orElseThrow()).contains(PROMPT),
                   is(true));
        assertThat(receiver.anyBodyContains(TestConfig.defaultKey("b")), is(false));
    }

    private void assertNothingSecretExported() {
        assertThat(receiver.anyBodyContains(PROMPT), is(false));
        for (String provider : List.of("a", "b")) {
            assertThat(receiver.anyBodyContains(TestConfig.defaultKey(provider)), is(false));
        }
        assertThat(receiver.spans().stream().flatMap(s -> s.attributes().keySet().stream())
                           .anyMatch(k -> k.contains("input.messages")), is(false));
        assertThat(receiver.exportHeaders().isEmpty(), is(not(true)));
    }

    private TracingSettings tracing(boolean content) {
        return new TracingSettings(Optional.of(URI.create(receiver.endpoint())), Map.of(), 1.0, content);
    }

    private static String chat(String model) {
        return "{\"model\":\"" + model + "\",\"messages\":[{\"role\":\"user\",\"content\":\"" + PROMPT + "\"}]}";
    }

    private static Span only(List<Span> spans, int kind) {
        List<Span> of = spans.stream().filter(s -> s.kind() == kind).toList();
        assertThat(of.toString(), of.size(), is(1));
        return of.getFirst();
    }
}
