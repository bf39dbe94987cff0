package io.hedgerow.exec;

import io.hedgerow.config.BudgetSettings;
import io.hedgerow.config.HedgeSettings;
import io.hedgerow.config.RetrySettings;
import io.hedgerow.exec.TimedProvider.Reply;
import io.hedgerow.health.HealthRegistry;
import io.hedgerow.model.ChatRequest;
import io.hedgerow.model.ChatResponse;
import io.hedgerow.model.Message;
import io.hedgerow.model.Role;
import io.hedgerow.route.Candidate;
import io.hedgerow.route.RoutePlan;
import io.hedgerow.route.RoutePolicy;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.closeTo;
import static org.hamcrest.Matchers.is;

/**
 * The hedge delay for a request like this one, on the simulated clock: one route, a short prompt hedged at the p92 of
 * what is usual for short prompts, a long one at the p92 of what is usual for long ones; and the size learned in the
 * provider's own tokens once it has reported usage.
 */
class RequestAwareHedgeTest {
    private static final RetrySettings RETRY = new RetrySettings(1, Duration.ofMillis(100), Duration.ofSeconds(1),
                                                                 Duration.ofSeconds(10));
    private static final HedgeSettings P92 = new HedgeSettings(
            true, new HedgeSettings.Delay.Percentile(92), Duration.ofMillis(1), Duration.ofSeconds(30), Optional.empty(),
            2, false);
    private static final long MS = 1_000_000L;

    private final SimClock clock = new SimClock();
    private final long t0 = clock.read();
    private final StallWatchdog watchdog = StallWatchdog.manual(clock);
    private final TimedProvider.InFlight inFlight = new TimedProvider.InFlight();
    private final List<long[]> hedges = new CopyOnWriteArrayList<>();
    private final HealthRegistry health = clock.health(new BudgetSettings(1.0, 100, Duration.ofSeconds(10)));

    @AfterEach
    void close() {
        watchdog.close();
    }

    /** A request whose prompt the router estimates at {@code tokens} tokens (4 characters each, 4 for the message). */
    private static ChatRequest prompt(int tokens) {
        return new ChatRequest("route", List.of(Message.text(Role.USER, "x".repeat(4 * (tokens - 4)))), List.of(),
                               Optional.empty(), ChatRequest.Sampling.defaults(), false, false, Map.of());
    }

    /** When the hedge started, in simulated ms after the request. */
    private long hedgeAfter(ChatRequest request, RoutePlan plan) throws Exception {
        long start = clock.millisSince(t0);
        ChatExecutor executor = new ChatExecutor((RaceTime) clock, watchdog, health, new Random(7),
                                                 Duration.ofMinutes(5), event -> {
            if (event instanceof ExecutionEvent.AttemptStarted s && s.attempt().role() == AttemptRole.HEDGE) {
                hedges.add(new long[] {clock.millisSince(t0)});
            }
        }, new Bulkheads(clock));
        Served<ChatResponse> served = clock.spawn(() -> executor.complete(request, plan, Optional.empty()))
                .get(30, TimeUnit.SECONDS);
        assertThat(served.hedged(), is(true));
        return hedges.getLast()[0] - start;
    }

    @Test
    void eachPromptIsHedgedAtWhatIsUsualForItsSize() throws Exception {
        // What p1 took for whole answers: 100..199 ms for 400-token prompts, 1000..1990 ms for 40k-token ones.
        for (int i = 0; i < 100; i++) {
            health.candidate("p1/m").recordLatency(false, 400, (100 + i) * MS);
            health.candidate("p1/m").recordLatency(false, 40_000, (1000 + 10 * i) * MS);
        }
        TimedProvider p1 = new TimedProvider("p1", clock, inFlight, (n, t) -> Reply.ok(5000));
        TimedProvider p2 = new TimedProvider("p2", clock, inFlight, (n, t) -> Reply.ok(10));
        RoutePlan plan = new RoutePlan("route", List.of(new Candidate(p1.config, "m", p1), new Candidate(p2.config, "m", p2)),
                                       new RoutePolicy(RETRY, P92, false, Optional.empty()));
        // p92 of each size within the histogram's precision, read cautiously (the 88th of 100, at or below the p92
        // with 90% confidence): 187 ms and 1870 ms. A size-blind p92 is 1830 ms for both.
        assertThat((double) hedgeAfter(prompt(400), plan), closeTo(187, 187 * 0.05));
        assertThat((double) hedgeAfter(prompt(40_000), plan), closeTo(1870, 1870 * 0.05));
        // A size never seen (4k tokens) lies between: rescaled from its neighbours, about 600 ms.
        assertThat((double) hedgeAfter(prompt(4_000), plan), closeTo(604, 604 * 0.12));
    }

    @Test
    void sizesAreLearnedInTheProvidersOwnTokens() throws Exception {
        // p1's tokenizer counts 4 tokens where the router estimates 3 (it reports usage): a prompt estimated at
        // 30k tokens is a 40k-token prompt for p1, hedged at what is usual for 40k.
        for (int i = 0; i < 100; i++) {
            health.candidate("p1/m").recordLatency(false, 400, (100 + i) * MS);
            health.candidate("p1/m").recordLatency(false, 40_000, (1000 + 10 * i) * MS);
            health.candidate("p1/m").calibration().observe(3000, 4000);
        }
        TimedProvider p1 = new TimedProvider("p1", clock, inFlight, (n, t) -> Reply.ok(5000));
        TimedProvider p2 = new TimedProvider("p2", clock, inFlight, (n, t) -> Reply.ok(10));
        RoutePlan plan = new RoutePlan("route", List.of(new Candidate(p1.config, "m", p1), new Candidate(p2.config, "m", p2)),
                                       new RoutePolicy(RETRY, P92, false, Optional.empty()));
        assertThat((double) hedgeAfter(prompt(30_000), plan), closeTo(1870, 1870 * 0.05));
    }
}
