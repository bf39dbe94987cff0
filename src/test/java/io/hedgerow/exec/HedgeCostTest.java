package io.hedgerow.exec;

import io.hedgerow.config.BudgetSettings;
import io.hedgerow.config.HedgeSettings;
import io.hedgerow.config.KeyRotation;
import io.hedgerow.config.ModelSettings;
import io.hedgerow.config.Price;
import io.hedgerow.config.ProviderConfig;
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
import java.util.OptionalDouble;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.is;

/** {@code max-cost-share} in a race on the simulated clock: a dear hedge is refused where a cheap one is sent. */
class HedgeCostTest {
    private static final ChatRequest REQUEST = new ChatRequest("route", List.of(Message.text(Role.USER, "hi")),
            List.of(), Optional.empty(), ChatRequest.Sampling.defaults(), false, false, Map.of());
    private static final RetrySettings RETRY = new RetrySettings(1, Duration.ofMillis(100), Duration.ofSeconds(1),
                                                                 Duration.ofSeconds(10));
    private static final HedgeSettings AFTER_500MS = new HedgeSettings(
            true, new HedgeSettings.Delay.Fixed(Duration.ofMillis(500)), Duration.ofMillis(1), Duration.ofSeconds(10),
            Optional.empty(), 2, false);

    private final SimClock clock = new SimClock();
    private final StallWatchdog watchdog = StallWatchdog.manual(clock);
    private final TimedProvider.InFlight inFlight = new TimedProvider.InFlight();
    private final List<ExecutionEvent> seen = new CopyOnWriteArrayList<>();
    // Only money limits hedges here: a request share of 1 and no floor, 10% of spend.
    private final HealthRegistry health = clock.health(
            new BudgetSettings(1.0, 0, Duration.ofSeconds(10), OptionalDouble.of(0.1)));

    @AfterEach
    void close() {
        watchdog.close();
    }

    /** {@code provider}'s config with model {@code m} priced at {@code perMillion} dollars in and out. */
    private static ProviderConfig priced(ProviderConfig c, double perMillion) {
        return new ProviderConfig(c.name(), c.type(), c.baseUrl(), c.keys(), c.headers(), c.roleMap(), c.timeouts(),
                                  c.sim(), KeyRotation.ORDERED,
                                  Map.of("m", new ModelSettings("m", Optional.empty(),
                                                                Optional.of(new Price(perMillion, perMillion)))),
                                  false);
    }

    private Served<ChatResponse> serve(RoutePlan plan) throws Exception {
        ChatExecutor executor = new ChatExecutor((RaceTime) clock, watchdog, health, new Random(7),
                                                 Duration.ofMinutes(5), seen::add, new Bulkheads(clock));
        return clock.spawn(() -> executor.complete(REQUEST, plan, Optional.empty())).get(30, TimeUnit.SECONDS);
    }

    private RoutePlan plan(TimedProvider primary, double primaryPrice, TimedProvider backup, double backupPrice) {
        return new RoutePlan("route", List.of(new Candidate(priced(primary.config, primaryPrice), "m", primary),
                                              new Candidate(priced(backup.config, backupPrice), "m", backup)),
                             new RoutePolicy(RETRY, AFTER_500MS, false, Optional.empty()));
    }

    @Test
    void aHedgeFifteenTimesDearerThanItsRequestsIsRefusedWhereAnEqualOneIsSent() throws Exception {
        // Ten quick requests spend 10 request-costs: 10% of that buys one hedge that costs what a request costs.
        TimedProvider quick = new TimedProvider("p1", clock, inFlight, (n, t) -> Reply.ok(n <= 10 ? 100 : 2000));
        TimedProvider dear = new TimedProvider("p2", clock, inFlight, (n, t) -> Reply.ok(100));
        TimedProvider cheap = new TimedProvider("p3", clock, inFlight, (n, t) -> Reply.ok(100));
        for (int i = 0; i < 10; i++) {
            serve(plan(quick, 1, dear, 15));
        }
        // The 11th is slow: its hedge to p2 (15x the price) would cost 1.5 request-costs: refused.
        Served<ChatResponse> slow = serve(plan(quick, 1, dear, 15));
        assertThat(slow.attemptsSummary(), is("p1/m#k1:ok"));
        assertThat(dear.calls.get(), is(0));
        assertThat(seen.stream().filter(e -> e instanceof ExecutionEvent.HedgeRefused).count(), is(1L));
        // The same slow request with a backup at the primary's price is hedged (11 request-costs allow 1.1).
        Served<ChatResponse> hedged = serve(plan(quick, 1, cheap, 1));
        assertThat(hedged.attemptsSummary(), is("p1/m#k1:cancelled, p3/m#k1:ok (hedge)"));
        assertThat(health.budget().costShare() > 0.08 && health.budget().costShare() <= 0.1, is(true));
    }
}
