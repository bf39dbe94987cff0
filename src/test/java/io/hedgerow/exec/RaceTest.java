package io.hedgerow.exec;

import io.hedgerow.config.BudgetSettings;
import io.hedgerow.config.DemotionSettings;
import io.hedgerow.config.FailoverSettings;
import io.hedgerow.config.HedgeSettings;
import io.hedgerow.config.HedgingSettings;
import io.hedgerow.config.RetrySettings;
import io.hedgerow.exec.TimedProvider.Reply;
import io.hedgerow.health.HealthListener;
import io.hedgerow.health.HealthRegistry;
import io.hedgerow.model.ChatRequest;
import io.hedgerow.model.ChatResponse;
import io.hedgerow.model.Failure;
import io.hedgerow.model.FailureKind;
import io.hedgerow.model.Message;
import io.hedgerow.model.Role;
import io.hedgerow.provider.ChatStream;
import io.hedgerow.provider.ProviderCall;
import io.hedgerow.provider.ProviderClient;
import io.hedgerow.route.Candidate;
import io.hedgerow.route.RoutePlan;
import io.hedgerow.route.RoutePolicy;
import io.hedgerow.testing.LogCapture;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.lessThanOrEqualTo;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * The race on a simulated clock: hedge delays, retries, the budget and the in-flight cap play out in exact
 * simulated milliseconds, with no wall-clock wait, whatever the machine's load.
 */
class RaceTest {
    private static final ChatRequest REQUEST = new ChatRequest("route", List.of(Message.text(Role.USER, "hi")),
            List.of(), Optional.empty(), ChatRequest.Sampling.defaults(), false, false, Map.of());
    private static final RetrySettings RETRY = new RetrySettings(3, Duration.ofMillis(100), Duration.ofSeconds(1),
                                                                 Duration.ofSeconds(10));
    /** Plenty of budget, so only the tests about the budget meet its limit. */
    private static final BudgetSettings AMPLE = new BudgetSettings(1.0, 100, Duration.ofSeconds(10));

    private final SimClock clock = new SimClock();
    private final long t0 = clock.read();
    private final StallWatchdog watchdog = StallWatchdog.manual(clock);
    private final TimedProvider.InFlight inFlight = new TimedProvider.InFlight();
    private final List<Seen> seen = new CopyOnWriteArrayList<>();
    private final Bulkheads bulkheads = new Bulkheads(clock);
    private HealthRegistry health = health(AMPLE, DemotionSettings.DEFAULTS);

    /** An event and the simulated millisecond it happened at. */
    private record Seen(long millis, ExecutionEvent event) {
    }

    @AfterEach
    void close() {
        watchdog.close();
    }

    @Test
    void aHedgeStartsAtItsDelayAndTheFirstAnswerWins() throws Exception {
        TimedProvider p1 = provider("p1", (n, t) -> Reply.ok(2000));
        TimedProvider p2 = provider("p2", (n, t) -> Reply.ok(100));

        Served<ChatResponse> served = complete(plan(hedgeAfter(500), p1, p2));

        assertThat(served.value().message().text(), is("p2"));
        assertThat(served.attemptsSummary(), is("p1/m#k1:cancelled, p2/m#k1:ok (hedge)"));
        assertThat(startedAt("p2/m"), is(500L));
        assertThat(endedAt("p2/m"), is(600L));
        assertThat(endedAt("p1/m"), is(600L));
    }

    @Test
    void noHedgeWhenTheFirstAnswersWithinTheDelay() throws Exception {
        TimedProvider p1 = provider("p1", (n, t) -> Reply.ok(499));
        TimedProvider p2 = provider("p2", (n, t) -> Reply.ok(100));

        Served<ChatResponse> served = complete(plan(hedgeAfter(500), p1, p2));

        assertThat(served.attemptsSummary(), is("p1/m#k1:ok"));
        assertThat(p2.calls.get(), is(0));
        assertThat(health.budget().balance(), is(100.0 + 1.0));
    }

    @Test
    void aFailureNeverWinsWhileASiblingRuns() throws Exception {
        for (FailureKind kind : List.of(FailureKind.BAD_REQUEST, FailureKind.CONTENT_FILTER)) {
            health = health(AMPLE, DemotionSettings.DEFAULTS);
            seen.clear();
            TimedProvider p1 = provider("p1", (n, t) -> Reply.ok(1000));
            // The hedge's provider refuses a parameter the primary accepted.
            TimedProvider p2 = provider("p2", (n, t) -> Reply.fail(50, kind, 400));

            Served<ChatResponse> served = complete(plan(hedgeAfter(100), p1, p2));

            assertThat(kind.name(), served.value().message().text(), is("p1"));
            assertThat(served.attemptsSummary(), is("p1/m#k1:ok, p2/m#k1:400 " + kind.description() + " (hedge)"));
            assertThat(endedAt("p1/m") - startedAt("p1/m"), is(1000L));
        }
    }

    @Test
    void aRequestErrorStillEndsTheRequestWhenNothingElseRuns() {
        TimedProvider p1 = provider("p1", (n, t) -> Reply.fail(50, FailureKind.BAD_REQUEST, 400));
        TimedProvider p2 = provider("p2", (n, t) -> Reply.ok(100));

        ChainFailedException e = assertThrows(ChainFailedException.class,
                                              () -> complete(plan(hedgeAfter(500), p1, p2)));

        assertThat(e.decisive().kind(), is(FailureKind.BAD_REQUEST));
        assertThat(p2.calls.get(), is(0));
    }

    @Test
    void theBudgetCapsHedgesAtItsShareOfRequests() throws Exception {
        // No floor: 60 requests at once deposit 6 hedges' worth.
        health = health(new BudgetSettings(0.1, 0, Duration.ofSeconds(10)), DemotionSettings.DEFAULTS);
        TimedProvider p1 = provider("p1", (n, t) -> Reply.ok(2000));
        TimedProvider p2 = provider("p2", (n, t) -> Reply.ok(100));
        RoutePlan plan = plan(hedgeAfter(500), p1, p2);

        List<CompletableFuture<Served<ChatResponse>>> requests =
                clock.spawn(60, () -> executor().complete(REQUEST, plan, Optional.empty()));
        long hedgesWon = 0;
        for (CompletableFuture<Served<ChatResponse>> request : requests) {
            hedgesWon += request.get(30, TimeUnit.SECONDS).hedged() ? 1 : 0;
        }

        assertThat(hedgesWon, is(6L));
        assertThat(p2.calls.get(), is(6));
        assertThat(count(ExecutionEvent.HedgeRefused.class), is(54L));
    }

    @Test
    void anAllowanceThatStartedNothingGoesBack() throws Exception {
        // One hedge a second from the floor, no deposits: the only allowance there is.
        health = health(new BudgetSettings(0, 1, Duration.ofSeconds(10)), DemotionSettings.DEFAULTS);
        TimedProvider p1 = provider("p1", (n, t) -> Reply.ok(500));
        TimedProvider p2 = provider("p2", (n, t) -> Reply.ok(100));
        // The hedge is due, but p2's only key is cooling down: it is skipped, and no hedge starts.
        health.keys().onFailure(p2.config.keys().getFirst(), FailureKind.RATE_LIMITED,
                                Optional.of(Duration.ofMinutes(1)));

        Served<ChatResponse> served = complete(plan(hedgeAfter(100), p1, p2));

        assertThat(served.attemptsSummary(), is("p1/m#k1:ok, p2/m:skipped (every key cooling down, next in 59.9s)"));
        assertThat(clock.millisSince(t0), is(500L)); // still the second the floor was taken in
        assertThat(health.budget().balance(), is(1.0));
    }

    @Test
    void inFlightNeverExceedsItsCap() throws Exception {
        Failure wait1s = new Failure(FailureKind.RATE_LIMITED, 429, "slow down", Optional.of(Duration.ofSeconds(1)));
        TimedProvider p1 = provider("p1", (n, t) -> Reply.fail(300, FailureKind.NOT_FOUND, 404));
        TimedProvider p2 = provider("p2", (n, t) -> n == 1 ? Reply.fail(10, wait1s) : Reply.ok(5000));
        TimedProvider p3 = provider("p3", (n, t) -> Reply.ok(5000));
        TimedProvider p4 = provider("p4", (n, t) -> Reply.ok(5000));

        // p2 (a hedge) waits 1 s to retry; meanwhile p1 fails, p3 takes over and p4 hedges it: two run when p2's
        // retry is due, so the retry waits for room.
        Served<ChatResponse> served = complete(plan(hedgeAfter(100), p1, p2, p3, p4));

        assertThat(served.value().message().text(), is("p3"));
        assertThat(inFlight.max(), lessThanOrEqualTo(2));
        assertThat(p2.calls.get(), is(1));
    }

    @Test
    void aHedgeNeverStartsForAnAttemptThatHasEnded() throws Exception {
        Failure wait200 = new Failure(FailureKind.RATE_LIMITED, 429, "slow down",
                                      Optional.of(Duration.ofMillis(200)));
        TimedProvider p1 = provider("p1", (n, t) -> n == 1 ? Reply.fail(50, wait200) : Reply.ok(10));
        TimedProvider p2 = provider("p2", (n, t) -> Reply.ok(10));

        // The hedge timer was armed for p1's first attempt, which failed at 50 ms: at 100 ms nothing runs.
        Served<ChatResponse> served = complete(plan(hedgeAfter(100), p1, p2));

        assertThat(served.attemptsSummary(), is("p1/m#k1:429 rate limited, p1/m#k1:ok"));
        assertThat(p2.calls.get(), is(0));
        assertThat(endedAt("p1/m"), is(260L));
    }

    @Test
    void aDemotedPrimaryGoesLastAndComesBackOnceItsProbesAreFast() throws Exception {
        // Every request also probes a demoted candidate, so p1's recovery is measured.
        health = health(AMPLE, new DemotionSettings(3.0, 0.25, 1.5, 1.0));
        demote("p1/m");
        TimedProvider p1 = provider("p1", (n, t) -> Reply.fail(10, FailureKind.SERVER_ERROR, 503));
        TimedProvider p2 = provider("p2", (n, t) -> Reply.fail(10, FailureKind.SERVER_ERROR, 503));
        TimedProvider p3 = provider("p3", (n, t) -> Reply.ok(400));
        RoutePlan noProbes = plan(HedgeSettings.OFF, p1, p2, p3);

        Served<ChatResponse> served = complete(noProbes);
        assertThat(served.attemptsSummary(), is("p2/m#k1:503 server error, p2/m#k1:503 server error, "
                                                + "p2/m#k1:503 server error, p3/m#k1:ok"));
        assertThat(p1.calls.get(), is(0));

        // p1 is fast again: probes beside each request find out, and it takes its place back.
        TimedProvider fast = provider("p1", (n, t) -> Reply.ok(100));
        TimedProvider steady = provider("p3", (n, t) -> Reply.ok(400));
        RoutePlan plan = plan(hedgeAfter(1000), fast, steady);
        int requests = 0;
        while (health.candidate("p1/m").demoted()) {
            assertThat("requests before p1 came back", requests++ < 400, is(true));
            Served<ChatResponse> probed = complete(plan);
            assertThat(probed.value().message().text(), is("p1"));
        }
        seen.clear();
        Served<ChatResponse> back = complete(plan);
        assertThat(back.attemptsSummary(), is("p1/m#k1:ok"));
        assertThat(back.winner().role(), is(AttemptRole.PRIMARY));
    }

    @Test
    void aFullBulkheadIsASkipOfItsOwnKind() throws Exception {
        TimedProvider p1 = provider("p1", (n, t) -> Reply.ok(100));
        TimedProvider p2 = provider("p2", (n, t) -> Reply.ok(100));
        // p1 hangs: its limit's worth of attempts, none answered, the oldest overdue.
        for (int i = 0; i < Bulkheads.INITIAL; i++) {
            assertThat(bulkheads.tryAcquire(p1.config, 0, false).isPresent(), is(true));
        }
        clock.advance(Duration.ofSeconds(1));

        Served<ChatResponse> served = complete(plan(HedgeSettings.OFF, p1, p2));

        assertThat(served.attemptsSummary(), is("p1/m:skipped (bulkhead full), p2/m#k1:ok"));
        assertThat(seen.stream().map(Seen::event).filter(e -> e instanceof ExecutionEvent.CandidateSkipped)
                           .map(e -> ((ExecutionEvent.CandidateSkipped) e).reason()).toList(),
                   contains(SkipReason.BULKHEAD));
    }

    @Test
    void aBugInAnAdapterIsOursNotTheUpstreams() throws Exception {
        TimedProvider p1 = provider("p1", (n, t) -> Reply.ok(100));
        TimedProvider p2 = provider("p2", (n, t) -> Reply.ok(100));
        AtomicInteger calls = new AtomicInteger();
        ProviderClient buggy = new ProviderClient() {
            @Override
            public String name() {
                return "p1";
            }

            @Override
            public ChatResponse complete(ProviderCall call) {
                calls.incrementAndGet();
                throw new NullPointerException("a field the adapter forgot");
            }

            @Override
            public ChatStream stream(ProviderCall call) {
                throw new UnsupportedOperationException();
            }
        };
        RoutePlan plan = new RoutePlan("route", List.of(new Candidate(p1.config, "m", buggy),
                                                        new Candidate(p2.config, "m", p2)),
                                       new RoutePolicy(RETRY, HedgeSettings.OFF, false, Optional.empty()));

        Served<ChatResponse> served;
        try (LogCapture logs = LogCapture.start()) {
            served = complete(plan);
            // Logged once, with its stack trace, as a bug of ours.
            assertThat(logs.containing("a bug in the sim adapter").size(), is(1));
            assertThat(logs.containing("a bug in the sim adapter").getFirst(),
                       containsString("NullPointerException: a field the adapter forgot"));
        }
        // Not retried on the same adapter, not a connection failure, and the upstream's breaker never heard of it.
        assertThat(served.attemptsSummary(), is("p1/m#k1:router error, p2/m#k1:ok"));
        assertThat(calls.get(), is(1));
        assertThat(health.candidate("p1/m").breaker().state().callsInWindow(), is(0L));
    }

    // ---- the rig ----

    private HealthRegistry health(BudgetSettings budget, DemotionSettings demotion) {
        HedgingSettings hedging = new HedgingSettings(budget, HedgingSettings.DEFAULTS.baseline(), demotion,
                                                      HedgingSettings.DEFAULTS.defaults());
        return new HealthRegistry(FailoverSettings.DEFAULTS, hedging, clock, HealthListener.NONE);
    }

    /** 60 s of 300 ms, then 5 s of 1.5 s: slow against its own past. */
    private void demote(String label) {
        for (int i = 0; i < 3250; i++) {
            clock.advance(Duration.ofMillis(20));
            health.candidate(label).recordLatency(false, Duration.ofMillis(i < 3000 ? 300 : 1500).toNanos());
        }
        assertThat(health.candidate(label).demoted(), is(true));
    }

    private ChatExecutor executor() {
        return new ChatExecutor((RaceTime) clock, watchdog, health, new Random(7), Duration.ofMinutes(5),
                                event -> seen.add(new Seen(clock.millisSince(t0), event)), bulkheads);
    }

    private Served<ChatResponse> complete(RoutePlan plan) throws Exception {
        try {
            return clock.spawn(() -> executor().complete(REQUEST, plan, Optional.empty())).get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof ChainFailedException chain) {
                throw chain;
            }
            throw e;
        }
    }

    private TimedProvider provider(String name, TimedProvider.Script script) {
        return new TimedProvider(name, clock, inFlight, script);
    }

    private static HedgeSettings hedgeAfter(long millis) {
        return new HedgeSettings(true, new HedgeSettings.Delay.Fixed(Duration.ofMillis(millis)), Duration.ofMillis(1),
                                 Duration.ofSeconds(10), Optional.empty(), 2, false);
    }

    private static RoutePlan plan(HedgeSettings hedge, TimedProvider... providers) {
        return new RoutePlan("route", Arrays.stream(providers).map(p -> new Candidate(p.config, "m", p)).toList(),
                             new RoutePolicy(RETRY, hedge, false, Optional.empty()));
    }

    private long startedAt(String label) {
        return seen.stream().filter(s -> s.event() instanceof ExecutionEvent.AttemptStarted a
                        && a.attempt().candidate().label().equals(label))
                .mapToLong(Seen::millis).reduce((a, b) -> b).orElseThrow();
    }

    private long endedAt(String label) {
        return seen.stream().filter(s -> s.event() instanceof ExecutionEvent.AttemptEnded a
                        && a.attempt().candidate().label().equals(label))
                .mapToLong(Seen::millis).reduce((a, b) -> b).orElseThrow();
    }

    private long count(Class<? extends ExecutionEvent> type) {
        return seen.stream().filter(s -> type.isInstance(s.event())).count();
    }
}
