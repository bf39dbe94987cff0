package io.hedgerow.state;

import com.fasterxml.jackson.databind.JsonNode;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.errors.NotFoundException;
import com.openai.models.responses.Response;
import com.openai.models.responses.ResponseCreateParams;
import io.hedgerow.HedgerowServer;
import io.hedgerow.config.ApiKey;
import io.hedgerow.fakes.FakeOpenAi;
import io.hedgerow.health.BreakerState;
import io.hedgerow.testing.RedisServer;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

import static io.hedgerow.testing.Eventually.eventually;
import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.lessThan;
import static org.hamcrest.Matchers.lessThanOrEqualTo;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * Two routers in this JVM on one real Redis (a fast check of what {@code FleetIT} proves with three fat jars): what
 * one learns the other knows within 200 ms, a breaker is probed once for both, and a client rate limit is counted
 * once for both; a Responses API conversation started on one goes on on the other.
 */
class SharedStateEndToEndTest {
    private static RedisServer redis;

    @TempDir
    Path dir;

    private final FakeOpenAi fake = FakeOpenAi.start();
    private Fleet fleet;

    @BeforeAll
    static void redis() {
        redis = RedisServer.start();
    }

    @AfterAll
    static void stopRedis() {
        if (redis != null) {
            redis.close();
        }
    }

    @AfterEach
    void stop() {
        if (fleet != null) {
            fleet.close();
        }
        fake.close();
    }

    private Fleet start(int n, String server) throws Exception {
        // A generous timeout: on a loaded test machine a 50 ms one would send some checks to the per-replica fallback.
        fleet = Fleet.start(dir, n, """
                server: {port: 0%s}
                observe: {events: stdout, watch-config: false, preflight: off}
                state: {store: redis, url: "%s", key-prefix: "PREFIX", file: off, timeout: 1s}
                failover:
                  retry: {max-attempts: 1}
                  breaker: {minimum-calls: 2, failure-ratio: 0.5, open-for: 300ms, successes-to-close: 1}
                providers:
                  p1: {type: openai, base-url: "%s", keys: [{label: main, value: sk-fleet-1}]}
                  sim: {type: sim, sim: {first-token: 1ms, tokens-per-second: 0, answer-tokens: 3}}
                routes:
                  chat: {chain: [p1/m1, sim/s1]}
                """.formatted(server, redis.url(), fake.baseUrl()));
        eventually(Duration.ofSeconds(30), fleet::allUp);
        return fleet;
    }

    private static Optional<Duration> cooling(HedgerowServer router) {
        ApiKey key = router.generation().config().providers().get("p1").keys().get(0);
        return router.generation().health().keys().coolingFor(key);
    }

    private static BreakerState.Kind breaker(HedgerowServer router) {
        return router.generation().health().candidate("p1/m1").breaker().state().kind();
    }

    @Test
    void a429SeenByOneReplicaMakesTheOtherSkipTheKeyWithin200Ms() throws Exception {
        start(2, "");
        fake.enqueue(FakeOpenAi.Reply.status(429).header("Retry-After", "30")).otherwise(FakeOpenAi.Reply.text("ok"));
        HttpResponse<String> first = Fleet.chat(fleet.get(0));
        long answered = System.nanoTime();
        assertThat(first.headers().firstValue("x-hedgerow-provider").orElse(""), is("sim"));
        assertThat(cooling(fleet.get(0)).isPresent(), is(true));
        while (cooling(fleet.get(1)).isEmpty() && System.nanoTime() - answered < Duration.ofSeconds(5).toNanos()) {
            LockSupport.parkNanos(Duration.ofMillis(1).toNanos());
        }
        long tookMillis = (System.nanoTime() - answered) / 1_000_000;
        assertThat("the other replica knows within 200 ms (took " + tookMillis + " ms)", tookMillis, lessThan(200L));
        assertThat(cooling(fleet.get(1)).orElseThrow().toSeconds() > 25, is(true));

        HttpResponse<String> second = Fleet.chat(fleet.get(1));
        assertThat(second.headers().firstValue("x-hedgerow-provider").orElse(""), is("sim"));
        assertThat("the other replica skipped the cooling key", fake.requestCount(), is(1));
        assertThat(redis.keys(fleet.prefix + "key:*").size(), is(1));
    }

    @Test
    void aBreakerOpenedOnOneIsOpenOnTheOtherAndOneProbeIsSentForBoth() throws Exception {
        start(2, "");
        fake.otherwise(FakeOpenAi.Reply.status(500));
        Fleet.chat(fleet.get(0));
        Fleet.chat(fleet.get(0));
        assertThat(breaker(fleet.get(0)), is(BreakerState.Kind.OPEN));
        eventually(() -> breaker(fleet.get(1)) == BreakerState.Kind.OPEN);
        int failures = fake.requestCount();

        // The upstream is back but slow to answer: the probe stays in flight while both replicas take traffic.
        CountDownLatch gate = new CountDownLatch(1);
        fake.otherwise(FakeOpenAi.Reply.text("back").headersAfter(gate));
        eventually(() -> fleet.get(0).generation().health().candidate("p1/m1").breaker().retryIn()
                .map(Duration::isZero).orElse(true));
        List<Future<HttpResponse<String>>> answers = new ArrayList<>();
        AtomicInteger sent = new AtomicInteger();
        try (var threads = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()) {
            long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
            while (fake.requestCount() == failures && System.nanoTime() < deadline) {
                int i = sent.getAndIncrement();
                answers.add(threads.submit(() -> Fleet.chat(fleet.get(i % 2))));
                LockSupport.parkNanos(Duration.ofMillis(5).toNanos());
            }
            // More traffic on both while the probe is out: none of it reaches the upstream.
            for (int i = 0; i < 20; i++) {
                int r = i;
                answers.add(threads.submit(() -> Fleet.chat(fleet.get(r % 2))));
            }
            for (int i = answers.size() - 20; i < answers.size(); i++) {
                assertThat(answers.get(i).get().headers().firstValue("x-hedgerow-provider").orElse(""), is("sim"));
            }
            assertThat("one probe for the fleet", fake.requestCount(), is(failures + 1));
            gate.countDown();
            for (Future<HttpResponse<String>> answer : answers) {
                assertThat(answer.get().statusCode(), is(200));
            }
        }
        eventually(() -> breaker(fleet.get(0)) == BreakerState.Kind.CLOSED
                && breaker(fleet.get(1)) == BreakerState.Kind.CLOSED);
        assertThat(fake.requestCount(), is(failures + 1));
    }

    @Test
    void aClientRateLimitIsCountedOnceForTheFleet() throws Exception {
        start(2, ", client-keys: [{name: agents, sha256: " + Fleet.AGENTS_SHA + ", rate-limit: 100, burst: 100}]");
        fake.otherwise(FakeOpenAi.Reply.text("ok"));
        long started = System.nanoTime();
        int admitted = 0;
        int limited = 0;
        for (int i = 0; i < 140; i++) {
            int status = Fleet.chat(fleet.get(i % 2), Optional.of(Fleet.AGENTS_KEY)).statusCode();
            if (status == 200) {
                admitted++;
            } else if (status == 429) {
                limited++;
            }
        }
        double minutes = (System.nanoTime() - started) / 60e9;
        // The bucket holds 100 and refills 100 a minute: at most 100 + what refilled while the test ran.
        int bound = 100 + (int) Math.ceil(100 * minutes);
        assertThat("admitted " + admitted + ", bound " + bound, admitted, lessThanOrEqualTo(bound));
        assertThat(admitted + limited, is(140));
        assertThat("both replicas admitted from one bucket: far fewer than 2 x 100", admitted < 140, is(true));
    }

    @Test
    void aConversationStartedOnOneReplicaContinuesOnTheOther() throws Exception {
        start(2, "");
        fake.enqueue(FakeOpenAi.Reply.text("Paris."), FakeOpenAi.Reply.text("About 2.1 million."));
        try (Responses zero = new Responses(fleet.get(0)); Responses one = new Responses(fleet.get(1))) {
            Response first = zero.client.responses().create(ResponseCreateParams.builder().model("chat")
                                                                 .input("Capital of France?").build());
            // The next turn goes to the other replica at once (as a load balancer may send it).
            Response second = one.client.responses().create(ResponseCreateParams.builder().model("chat")
                    .previousResponseId(first.id()).input("Population?").build());
            assertThat(second.output().getFirst().message().orElseThrow().content().getFirst().outputText()
                               .orElseThrow().text(), is("About 2.1 million."));
            JsonNode sent = fake.exchanges().getLast().body();
            assertThat(sent.at("/messages/0/content").asText(), is("Capital of France?"));
            assertThat(sent.at("/messages/1/content").toString().contains("Paris."), is(true));
            assertThat(sent.at("/messages/2/content").asText(), is("Population?"));

            // Read on either, deleted on one: gone on both.
            assertThat(zero.client.responses().retrieve(second.id()).id(), is(second.id()));
            one.client.responses().delete(first.id());
            assertThrows(NotFoundException.class, () -> zero.client.responses().retrieve(first.id()));
            assertThrows(NotFoundException.class, () -> zero.client.responses().create(ResponseCreateParams
                    .builder().model("chat").previousResponseId(second.id()).input("And?").build()));
        }
    }

    /** The official OpenAI SDK pointed at one router, no retries (a retry would hide a miss). */
    private record Responses(OpenAIClient client) implements AutoCloseable {
        Responses(HedgerowServer router) {
            this(OpenAIOkHttpClient.builder().baseUrl("http://127.0.0.1:" + router.port() + "/v1").apiKey("test")
                         .maxRetries(0).timeout(Duration.ofSeconds(15)).build());
        }

        @Override
        public void close() {
            client.close();
        }
    }
}
