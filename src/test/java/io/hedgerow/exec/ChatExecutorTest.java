package io.hedgerow.exec;

import io.hedgerow.config.ApiKey;
import io.hedgerow.config.FailoverSettings;
import io.hedgerow.config.HedgeSettings;
import io.hedgerow.config.HedgingSettings;
import io.hedgerow.config.RetrySettings;
import io.hedgerow.health.HealthListener;
import io.hedgerow.health.HealthRegistry;
import io.hedgerow.route.RoutePolicy;
import io.hedgerow.config.ProviderConfig;
import io.hedgerow.config.ProviderType;
import io.hedgerow.config.SimSettings;
import io.hedgerow.config.Timeouts;
import io.hedgerow.model.ChatRequest;
import io.hedgerow.model.ChatResponse;
import io.hedgerow.model.Failure;
import io.hedgerow.model.FailureKind;
import io.hedgerow.model.FinishReason;
import io.hedgerow.model.Message;
import io.hedgerow.model.Role;
import io.hedgerow.model.StreamEvent;
import io.hedgerow.provider.ChatStream;
import io.hedgerow.provider.ProviderCall;
import io.hedgerow.provider.ProviderClient;
import io.hedgerow.provider.ProviderException;
import io.hedgerow.route.Candidate;
import io.hedgerow.route.RoutePlan;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.is;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The executor's decisions, with in-process scripted providers and a fake ticker: which candidate serves,
 * when the chain stops, what the client is told, and that the watchdog's timeouts cancel a silent attempt.
 */
class ChatExecutorTest {
    private static final ChatRequest REQUEST = new ChatRequest("route", List.of(Message.text(Role.USER, "hi")),
            List.of(), Optional.empty(), ChatRequest.Sampling.defaults(), false, false, Map.of());
    private static final Timeouts TIMEOUTS = new Timeouts(Duration.ofSeconds(1), Duration.ofSeconds(2),
                                                          Duration.ofSeconds(3), Duration.ofSeconds(60));

    private final AtomicLong now = new AtomicLong();
    private final StallWatchdog watchdog = StallWatchdog.manual(now::get);
    private final HealthRegistry health = new HealthRegistry(FailoverSettings.DEFAULTS, HedgingSettings.DEFAULTS,
                                                             now::get, HealthListener.NONE);
    private final ChatExecutor executor = new ChatExecutor(now::get, watchdog, health, new Random(7),
                                                           Duration.ofMinutes(5), ExecutionListener.NONE);
    /** One attempt per candidate and no hedging: these tests are about which candidate serves. */
    private static final RoutePolicy POLICY = new RoutePolicy(
            new RetrySettings(1, Duration.ofMillis(1), Duration.ofMillis(1), Duration.ZERO), HedgeSettings.OFF, false,
            Optional.empty());

    @AfterEach
    void close() {
        watchdog.close();
    }

    @Test
    void fallsBackOnFailuresAnotherCandidateMightNotHave() throws Exception {
        for (FailureKind kind : List.of(FailureKind.RATE_LIMITED, FailureKind.SERVER_ERROR, FailureKind.CONNECTION,
                                        FailureKind.TIMEOUT, FailureKind.AUTH, FailureKind.BAD_RESPONSE,
                                        FailureKind.CONTEXT_LENGTH)) {
            Scripted first = Scripted.failing("p1", new Failure(kind, 0, "boom", Optional.empty()));
            Scripted second = Scripted.answering("p2", "from p2");
            // A fresh router's health for each class: a rate limit or auth failure cools p1's key.
            ChatExecutor fresh = new ChatExecutor(now::get, watchdog, new HealthRegistry(
                    FailoverSettings.DEFAULTS, HedgingSettings.DEFAULTS, now::get, HealthListener.NONE),
                                                  new Random(7), Duration.ofMinutes(5), ExecutionListener.NONE);
            Served<ChatResponse> served = fresh.complete(REQUEST, plan(first, second), Optional.empty());
            assertThat(kind.name(), served.servedBy().provider().name(), is("p2"));
            assertThat(served.value().message().text(), is("from p2"));
            assertThat(served.attemptsSummary(), is("p1/m#k1:" + kind.description() + ", p2/m#k1:ok"));
            assertThat(served.fallbackReason(), is(Optional.of("p1/m: " + kind.description())));
        }
    }

    @Test
    void aDemotedCandidateGoesBehindHealthyOnes() throws Exception {
        // 60 s of 300 ms, then 5 s of 1.5 s: p1 turns slow before it fails.
        for (int i = 0; i < 3250; i++) {
            now.addAndGet(Duration.ofMillis(20).toNanos());
            health.candidate("p1/m").recordLatency(false, Duration.ofMillis(i < 3000 ? 300 : 1500).toNanos());
        }
        assertThat(health.candidate("p1/m").demoted(), is(true));
        Scripted first = Scripted.answering("p1", "from p1");
        Scripted second = Scripted.answering("p2", "from p2");

        Served<ChatResponse> served = executor.complete(REQUEST, plan(first, second), Optional.empty());

        assertThat(served.value().message().text(), is("from p2"));
        assertThat(served.attemptsSummary(), is("p2/m#k1:ok"));
        assertThat(first.calls.get(), is(0));
    }

    @Test
    void requestErrorsStopTheChain() {
        for (FailureKind kind : List.of(FailureKind.BAD_REQUEST, FailureKind.CONTENT_FILTER)) {
            Scripted first = Scripted.failing("p1", new Failure(kind, 400, "invalid", Optional.empty()));
            Scripted second = Scripted.answering("p2", "never");
            ChainFailedException e = assertThrows(ChainFailedException.class,
                                                  () -> executor.complete(REQUEST, plan(first, second), Optional.empty()));
            assertThat(e.decisive().kind(), is(kind));
            assertThat(second.calls.get(), is(0));
            assertThat(e.attempts().size(), is(1));
        }
    }

    @Test
    void chainOfRateLimitsReportsTheShortestRetryAfter() {
        Scripted first = Scripted.failing("p1", new Failure(FailureKind.RATE_LIMITED, 429, "slow down",
                                                            Optional.of(Duration.ofSeconds(3))));
        Scripted second = Scripted.failing("p2", new Failure(FailureKind.RATE_LIMITED, 429, "slow down",
                                                             Optional.of(Duration.ofSeconds(1))));
        ChainFailedException e = assertThrows(ChainFailedException.class,
                                              () -> executor.complete(REQUEST, plan(first, second), Optional.empty()));
        assertThat(e.decisive().retryAfter(), is(Optional.of(Duration.ofSeconds(1))));
        assertThat(e.getMessage(), is("every candidate of 'route' failed: p1/m (429 rate limited: slow down); "
                                              + "p2/m (429 rate limited: slow down)"));
    }

    @Test
    void mixedFailuresReportTheLastOne() {
        Scripted first = Scripted.failing("p1", new Failure(FailureKind.RATE_LIMITED, 429, "x", Optional.empty()));
        Scripted second = Scripted.failing("p2", new Failure(FailureKind.SERVER_ERROR, 503, "y", Optional.empty()));
        ChainFailedException e = assertThrows(ChainFailedException.class,
                                              () -> executor.complete(REQUEST, plan(first, second), Optional.empty()));
        assertThat(e.decisive().kind(), is(FailureKind.SERVER_ERROR));
    }

    @Test
    void silentStreamIsCancelledAtItsFirstTokenTimeoutAndTheNextCandidateServes() throws Exception {
        CountDownLatch stalled = new CountDownLatch(1);
        CountDownLatch interrupted = new CountDownLatch(1);
        Scripted silent = new Scripted("p1", call -> {
            throw new AssertionError("not used");
        }, call -> {
            stalled.countDown();
            try {
                new CountDownLatch(1).await();
            } catch (InterruptedException e) {
                interrupted.countDown();
                throw ProviderException.of(FailureKind.CANCELLED, "interrupted");
            }
            throw new AssertionError("unreachable");
        });
        Scripted second = Scripted.answering("p2", "from p2");
        CompletableFuture<Served<LiveStream>> result = CompletableFuture.supplyAsync(() -> {
            try {
                return executor.stream(REQUEST, plan(silent, second), Optional.empty());
            } catch (ChainFailedException e) {
                throw new AssertionError(e);
            }
        });
        assertTrue(stalled.await(10, TimeUnit.SECONDS));
        now.addAndGet(Duration.ofMillis(1999).toNanos());
        watchdog.scan();
        assertThat(interrupted.getCount(), is(1L));
        now.addAndGet(Duration.ofMillis(2).toNanos());
        watchdog.scan();
        assertTrue(interrupted.await(10, TimeUnit.SECONDS), "the silent attempt's thread was interrupted");

        Served<LiveStream> served = result.get(10, TimeUnit.SECONDS);
        try (LiveStream live = served.value()) {
            assertThat(live.next(), is(Optional.of(new StreamEvent.TextDelta("from p2"))));
            assertThat(live.next(), is(Optional.of(new StreamEvent.Finished(FinishReason.STOP))));
            assertThat(live.next(), is(Optional.empty()));
        }
        assertThat(served.attemptsSummary(), is("p1/m#k1:timed out, p2/m#k1:ok"));
        assertThat(watchdog.watchedCount(), is(0));
    }

    @Test
    void stallAfterTheFirstTokenIsCutAtTheIdleTimeout() throws Exception {
        CountDownLatch blocked = new CountDownLatch(1);
        Scripted stalling = new Scripted("p1", call -> {
            throw new AssertionError("not used");
        }, call -> new ChatStream() {
            private final CountDownLatch closed = new CountDownLatch(1);
            private int n;

            @Override
            public Optional<StreamEvent> next() throws ProviderException {
                if (n++ == 0) {
                    return Optional.of(new StreamEvent.TextDelta("first"));
                }
                blocked.countDown();
                try {
                    closed.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                throw ProviderException.of(FailureKind.CANCELLED, "closed");
            }

            @Override
            public void close() {
                closed.countDown();
            }
        });
        Served<LiveStream> served = executor.stream(REQUEST, plan(stalling), Optional.empty());
        try (LiveStream live = served.value()) {
            assertThat(live.next(), is(Optional.of(new StreamEvent.TextDelta("first"))));
            CompletableFuture<StreamFailedException> failure = CompletableFuture.supplyAsync(() -> {
                try {
                    live.next();
                    return null;
                } catch (StreamFailedException e) {
                    return e;
                }
            });
            assertTrue(blocked.await(10, TimeUnit.SECONDS));
            now.addAndGet(Duration.ofSeconds(3).plusMillis(1).toNanos());
            watchdog.scan();
            StreamFailedException e = failure.get(10, TimeUnit.SECONDS);
            assertThat(e.failure().kind(), is(FailureKind.TIMEOUT));
            assertThat(e.failure().message(), is("stream idle for 3s"));
        }
    }

    private static RoutePlan plan(Scripted... clients) {
        return new RoutePlan("route", java.util.Arrays.stream(clients)
                .map(c -> new Candidate(c.config, "m", c)).toList(), POLICY);
    }

    /** A provider whose behaviour is a pair of functions. */
    private static final class Scripted implements ProviderClient {
        final ProviderConfig config;
        final AtomicInteger calls = new AtomicInteger();
        private final Call<ChatResponse> complete;
        private final Call<ChatStream> stream;

        Scripted(String name, Call<ChatResponse> complete, Call<ChatStream> stream) {
            this.config = new ProviderConfig(name, ProviderType.SIM, Optional.empty(), List.of(ApiKey.of("k1", "v-" + name)),
                                             Map.of(), Map.of(), TIMEOUTS, SimSettings.DEFAULTS);
            this.complete = complete;
            this.stream = stream;
        }

        static Scripted failing(String name, Failure failure) {
            return new Scripted(name, call -> {
                throw new ProviderException(failure);
            }, call -> {
                throw new ProviderException(failure);
            });
        }

        static Scripted answering(String name, String text) {
            return new Scripted(name,
                                call -> new ChatResponse("m", Message.text(Role.ASSISTANT, text), FinishReason.STOP,
                                                         Optional.empty()),
                                call -> new ListStream(List.of(new StreamEvent.TextDelta(text),
                                                               new StreamEvent.Finished(FinishReason.STOP))));
        }

        @Override
        public String name() {
            return config.name();
        }

        @Override
        public ChatResponse complete(ProviderCall call) throws ProviderException {
            calls.incrementAndGet();
            return complete.apply(call);
        }

        @Override
        public ChatStream stream(ProviderCall call) throws ProviderException {
            calls.incrementAndGet();
            return stream.apply(call);
        }
    }

    @FunctionalInterface
    private interface Call<T> {
        T apply(ProviderCall call) throws ProviderException;
    }

    private static final class ListStream implements ChatStream {
        private final java.util.Iterator<StreamEvent> events;

        ListStream(List<StreamEvent> events) {
            this.events = events.iterator();
        }

        @Override
        public Optional<StreamEvent> next() {
            return events.hasNext() ? Optional.of(events.next()) : Optional.empty();
        }

        @Override
        public void close() {
        }
    }
}
