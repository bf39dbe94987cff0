package io.hedgerow.exec;

import io.hedgerow.config.FailoverSettings;
import io.hedgerow.config.HedgeSettings;
import io.hedgerow.config.HedgingSettings;
import io.hedgerow.config.RetrySettings;
import io.hedgerow.exec.TimedProvider.Reply;
import io.hedgerow.health.HealthListener;
import io.hedgerow.health.HealthRegistry;
import io.hedgerow.health.LatencyBaseline;
import io.hedgerow.model.ChatRequest;
import io.hedgerow.model.ChatResponse;
import io.hedgerow.model.FailureKind;
import io.hedgerow.model.Message;
import io.hedgerow.model.Role;
import io.hedgerow.model.StreamEvent;
import io.hedgerow.route.Candidate;
import io.hedgerow.route.RoutePlan;
import io.hedgerow.route.RoutePolicy;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.LongUnaryOperator;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.closeTo;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.lessThanOrEqualTo;

/**
 * The health model under traffic, on a simulated clock with the router's default settings: what the baselines
 * learn, who gets demoted and who comes back, judged on literal latencies (issue 12). Each test is minutes of
 * simulated traffic that runs in a moment, the same way every time.
 */
class HealthModelTest {
    private static final ChatRequest REQUEST = new ChatRequest("route", List.of(Message.text(Role.USER, "hi")),
            List.of(), Optional.empty(), ChatRequest.Sampling.defaults(), false, false, Map.of());
    private static final ChatRequest STREAMED = new ChatRequest("route", List.of(Message.text(Role.USER, "hi")),
            List.of(), Optional.empty(), ChatRequest.Sampling.defaults(), true, false, Map.of());

    private final SimClock clock = new SimClock();
    private final StallWatchdog watchdog = StallWatchdog.manual(clock);
    private final TimedProvider.InFlight inFlight = new TimedProvider.InFlight();
    private final HealthRegistry health = new HealthRegistry(FailoverSettings.DEFAULTS, HedgingSettings.DEFAULTS,
                                                             clock, HealthListener.NONE);
    private final ChatExecutor executor = new ChatExecutor((RaceTime) clock, watchdog, health, new Random(11),
                                                           Duration.ofMinutes(5), ExecutionListener.NONE,
                                                           new Bulkheads(clock));

    /** One request as the client saw it: when it started and ended, and who served it first-hand. */
    private record Outcome(long startNanos, long endNanos, String servedBy, AttemptRole role, String primary,
                           int skipped) {
        long millis() {
            return (endNanos - startNanos) / 1_000_000;
        }
    }

    @AfterEach
    void close() {
        watchdog.close();
    }

    @Test
    void aBackupThatOnlyServesHedgesKeepsAnHonestBaseline() throws Exception {
        // The primary is just over the hedge delay most of the time (it wins 20 ms after the hedge starts) and far
        // over it a third of the time (the backup wins, in its real 450 ms).
        TimedProvider primary = provider("p1", (n, t) -> Reply.ok(n % 3 == 0 ? 3000 : 520));
        TimedProvider backup = provider("p2", (n, t) -> Reply.ok(450));
        RoutePlan plan = plan(fixedHedge(500), primary, backup);

        for (int i = 0; i < 400; i++) {
            complete(plan);
        }

        LatencyBaseline baseline = health.candidate("p2/m").baseline(false);
        // Cancelled 20 ms into a 450 ms answer says nothing about it: only its real answers are samples.
        assertThat((double) baseline.percentileNanos(50).orElseThrow() / 1e6, closeTo(450, 450 * 0.05));
        assertThat((double) baseline.longRunMedianNanos().orElseThrow() / 1e6, closeTo(450, 450 * 0.05));
        assertThat(health.candidate("p2/m").demoted(), is(false));
    }

    @Test
    void aColdRouterHedgesASilentFirstProviderByDefault() throws Exception {
        TimedProvider silent = provider("p1", (n, t) -> Reply.ok(60_000));
        TimedProvider backup = provider("p2", (n, t) -> Reply.ok(1000));
        long start = clock.read();

        Served<ChatResponse> served = complete(plan(HedgeSettings.DEFAULTS, silent, backup));

        assertThat(served.value().message().text(), is("p2"));
        assertThat(served.attemptsSummary(), is("p1/m#k1:cancelled, p2/m#k1:ok (hedge)"));
        assertThat(clock.millisSince(start), is(11_000L));
    }

    @Test
    void aPrimaryThatTurnsSlowLeavesFirstPlaceWithinTenSeconds() throws Exception {
        long step = clock.read() + Duration.ofSeconds(120).toNanos();
        TimedProvider primary = provider("p1", (n, t) -> Reply.ok(jitter(t < step ? 300 : 1500, n)));
        TimedProvider backup = provider("p2", (n, t) -> Reply.ok(jitter(450, n)));

        List<Outcome> outcomes = traffic(plan(HedgeSettings.DEFAULTS, primary, backup), 20, Duration.ofSeconds(240));

        long left = leftFirstPlace(outcomes, "p1/m", step);
        assertThat("left first place " + seconds(left - step) + " s after the step", left - step,
                   lessThanOrEqualTo(Duration.ofSeconds(10).toNanos()));
        long after = p99(outcomes, left, Long.MAX_VALUE);
        long backupAlone = 540; // p99 of jitter(450)
        assertThat("p99 after demotion " + after + " ms", (double) after, lessThanOrEqualTo(1.25 * backupAlone));
    }

    @Test
    void aStreamedPrimaryWhoseFirstTokenTurnsSlowLeavesFirstPlaceWithinTenSeconds() throws Exception {
        // The same step, streamed: the first token is what turns slow, and what the client waits for.
        long step = clock.read() + Duration.ofSeconds(120).toNanos();
        TimedProvider primary = provider("p1", (n, t) -> Reply.ok(jitter(t < step ? 300 : 1500, n)));
        TimedProvider backup = provider("p2", (n, t) -> Reply.ok(jitter(450, n)));

        List<Outcome> outcomes = traffic(plan(HedgeSettings.DEFAULTS, primary, backup), STREAMED, 20,
                                         Duration.ofSeconds(240));

        long left = leftFirstPlace(outcomes, "p1/m", step);
        assertThat("left first place " + seconds(left - step) + " s after the step", left - step,
                   lessThanOrEqualTo(Duration.ofSeconds(10).toNanos()));
        long after = p99(outcomes, left, Long.MAX_VALUE);
        long backupAlone = 540; // p99 of jitter(450)
        assertThat("first-token p99 after demotion " + after + " ms", (double) after,
                   lessThanOrEqualTo(1.25 * backupAlone));
    }

    @Test
    void aPrimaryThatSlowsDownGraduallyGivesUpFirstPlaceToAClearlyFasterBackup() throws Exception {
        long start = clock.read() + Duration.ofSeconds(120).toNanos();
        long minute = Duration.ofSeconds(60).toNanos();
        // 300 ms to 1.5 s over a minute: its own long-run baseline drifts along with it.
        LongUnaryOperator ramp = t -> t < start ? 300 : 300 + Math.min(1200, 1200 * (t - start) / minute);
        TimedProvider primary = provider("p1", (n, t) -> Reply.ok(jitter(ramp.applyAsLong(t), n)));
        TimedProvider backup = provider("p2", (n, t) -> Reply.ok(jitter(450, n)));

        List<Outcome> outcomes = traffic(plan(HedgeSettings.DEFAULTS, primary, backup), 20, Duration.ofSeconds(260));

        // Clearly slower: twice the backup's 450 ms at 900 ms, half-way down the ramp.
        long clearly = start + minute / 2;
        long left = leftFirstPlace(outcomes, "p1/m", start);
        assertThat("left first place " + seconds(left - clearly) + " s after being twice as slow", left - clearly,
                   lessThanOrEqualTo(Duration.ofSeconds(15).toNanos()));
    }

    @Test
    void aPrimaryThatSlowsDownGraduallyOnAYoungRouterGivesUpFirstPlaceToABackupThatOnlyServesHedges()
            throws Exception {
        // The bench's situation: a router 30 s old, lognormal spreads (A 300 ms, B 450 ms, sigma 0.3), so the
        // backup is sampled only when it wins a hedge against A's tail: few samples, and mostly once A has
        // slowed down. A then goes from 300 ms to 1.5 s over a minute, dragging its own young long run along.
        long start = clock.read() + Duration.ofSeconds(30).toNanos();
        long minute = Duration.ofSeconds(60).toNanos();
        LongUnaryOperator ramp = t -> t < start ? 300 : 300 + Math.min(1200, 1200 * (t - start) / minute);
        TimedProvider primary = provider("p1", (n, t) -> Reply.ok(lognormal(ramp.applyAsLong(t), 1, n)));
        TimedProvider backup = provider("p2", (n, t) -> Reply.ok(lognormal(450, 2, n)));

        List<Outcome> outcomes = traffic(plan(HedgeSettings.DEFAULTS, primary, backup), 20, Duration.ofSeconds(150));

        long clearly = start + minute / 2;
        long left = leftFirstPlace(outcomes, "p1/m", start);
        assertThat("left first place " + seconds(left - clearly) + " s after being twice as slow", left - clearly,
                   lessThanOrEqualTo(Duration.ofSeconds(15).toNanos()));
        assertThat("the backup served only hedges before the ramp", outcomes.stream()
                .filter(o -> o.endNanos() < start && o.servedBy().equals("p2") && o.role() != AttemptRole.HEDGE)
                .count(), is(0L));
    }

    @Test
    void aProviderDownForAMinuteIsBackInUseWithin30SecondsOfRecovering() throws Exception {
        for (FailureKind kind : List.of(FailureKind.SERVER_ERROR, FailureKind.CONNECTION, FailureKind.TIMEOUT)) {
            long down = clock.read() + Duration.ofSeconds(30).toNanos();
            long up = down + Duration.ofSeconds(60).toNanos();
            TimedProvider primary = provider("p1", (n, t) -> t >= down && t < up
                    ? Reply.fail(kind == FailureKind.TIMEOUT ? 5000 : 20, kind, kind == FailureKind.SERVER_ERROR ? 503 : 0)
                    : Reply.ok(jitter(300, n)));
            TimedProvider backup = provider("p2", (n, t) -> Reply.ok(jitter(450, n)));
            RoutePlan plan = plan(HedgeSettings.DEFAULTS, primary, backup);

            List<Outcome> outcomes = traffic(plan, 10, Duration.ofSeconds(150));

            long back = outcomes.stream().filter(o -> o.startNanos() >= up && o.servedBy().equals("p1"))
                    .mapToLong(Outcome::startNanos).min().orElseThrow();
            assertThat(kind + ": back in use " + seconds(back - up) + " s after recovering", back - up,
                       lessThanOrEqualTo(Duration.ofSeconds(30).toNanos()));
            // From then on it serves again.
            long servedByP1 = outcomes.stream().filter(o -> o.startNanos() >= back + Duration.ofSeconds(5).toNanos())
                    .filter(o -> o.servedBy().equals("p1")).count();
            long total = outcomes.stream().filter(o -> o.startNanos() >= back + Duration.ofSeconds(5).toNanos()).count();
            assertThat(kind + ": share served by p1 after", (double) servedByP1 / total, closeTo(1.0, 0.1));
        }
    }

    @Test
    void aStepFromIdleToAThousandRequestsASecondIsServedWithoutShedding() throws Exception {
        TimedProvider primary = provider("p1", (n, t) -> Reply.ok(jitter(300, n)));
        TimedProvider backup = provider("p2", (n, t) -> Reply.ok(jitter(450, n)));

        List<Outcome> outcomes = traffic(plan(HedgeSettings.DEFAULTS, primary, backup), 1000, Duration.ofSeconds(2));

        assertThat(outcomes.size(), is(2000));
        assertThat(outcomes.stream().filter(o -> o.servedBy().isEmpty()).count(), is(0L));
        assertThat(outcomes.stream().mapToInt(Outcome::skipped).sum(), is(0));
    }

    // ---- the rig ----

    /** Open-loop traffic: {@code rate} requests a second for {@code length} of simulated time. */
    private List<Outcome> traffic(RoutePlan plan, int rate, Duration length) throws Exception {
        return traffic(plan, REQUEST, rate, length);
    }

    /**
     * Open-loop traffic of {@code request}; a streamed one ends, for the client, at its first token (the stream is then
     * read to its end and closed, as the front door would).
     */
    private List<Outcome> traffic(RoutePlan plan, ChatRequest request, int rate, Duration length) throws Exception {
        List<CompletableFuture<Outcome>> requests = Collections.synchronizedList(new ArrayList<>());
        long gap = Duration.ofSeconds(1).toNanos() / rate;
        long count = length.toNanos() / gap;
        clock.spawn(() -> {
            for (long i = 0; i < count; i++) {
                requests.add(clock.spawn(() -> {
                    long start = clock.read();
                    try {
                        Served<?> served;
                        String text;
                        long end;
                        if (request.stream()) {
                            Served<LiveStream> live = executor.stream(request, plan, Optional.empty());
                            end = clock.read();
                            served = live;
                            text = firstText(live.value());
                        } else {
                            Served<ChatResponse> whole = executor.complete(request, plan, Optional.empty());
                            end = clock.read();
                            served = whole;
                            text = whole.value().message().text();
                        }
                        return new Outcome(start, end, text, served.winner().role(),
                                           served.attempts().stream().filter(a -> a.role() == AttemptRole.PRIMARY)
                                                   .findFirst()
                                                   .map(a -> a.candidate().label()).orElse(""),
                                           (int) served.attempts().stream().filter(a -> !a.called()).count());
                    } catch (ChainFailedException e) {
                        return new Outcome(start, clock.read(), "", AttemptRole.PRIMARY, "", e.attempts().size());
                    }
                }));
                clock.sleep(Duration.ofNanos(gap));
            }
            return null;
        }).get(60, TimeUnit.SECONDS);
        List<Outcome> outcomes = new ArrayList<>();
        for (CompletableFuture<Outcome> pending : List.copyOf(requests)) {
            outcomes.add(pending.get(60, TimeUnit.SECONDS));
        }
        return outcomes;
    }

    /** The first text of a stream, read to its end and closed. */
    private static String firstText(LiveStream stream) throws StreamFailedException {
        try (stream) {
            String text = "";
            for (Optional<StreamEvent> e = stream.next(); e.isPresent(); e = stream.next()) {
                if (text.isEmpty() && e.get() instanceof StreamEvent.TextDelta delta) {
                    text = delta.text();
                }
            }
            return text;
        }
    }

    /** When requests stopped going to {@code label} first, for good, after {@code since}. */
    private static long leftFirstPlace(List<Outcome> outcomes, String label, long since) {
        long left = -1;
        for (Outcome o : outcomes) {
            if (o.startNanos() < since) {
                continue;
            }
            if (o.primary().equals(label)) {
                left = -1;
            } else if (left < 0) {
                left = o.startNanos();
            }
        }
        assertThat(label + " left first place", left > 0, is(true));
        return left;
    }

    private static long p99(List<Outcome> outcomes, long from, long to) {
        long[] millis = outcomes.stream().filter(o -> o.startNanos() >= from && o.startNanos() < to)
                .mapToLong(Outcome::millis).sorted().toArray();
        return millis[(int) Math.ceil(0.99 * millis.length) - 1];
    }

    /** {@code base} ± 20%, spread evenly and deterministically over calls. */
    private static long jitter(long base, int call) {
        return base * (80 + (call * 37L) % 41) / 100;
    }

    /**
     * {@code median * e^(sigma * z)} with sigma 0.3 and {@code z} standard normal, drawn from a generator seeded by
     * the stream and the call's number: a lognormal spread, the same every run.
     */
    private static long lognormal(long median, int stream, int call) {
        double z = new java.util.SplittableRandom(stream * 1_000_003L + call).nextGaussian();
        return Math.max(1, Math.round(median * Math.exp(0.3 * z)));
    }

    private static String seconds(long nanos) {
        return String.format(java.util.Locale.ROOT, "%.1f", nanos / 1e9);
    }

    private Served<ChatResponse> complete(RoutePlan plan) throws Exception {
        return clock.spawn(() -> executor.complete(REQUEST, plan, Optional.empty())).get(30, TimeUnit.SECONDS);
    }

    private TimedProvider provider(String name, TimedProvider.Script script) {
        return new TimedProvider(name, clock, inFlight, script);
    }

    private static HedgeSettings fixedHedge(long millis) {
        return new HedgeSettings(true, new HedgeSettings.Delay.Fixed(Duration.ofMillis(millis)), Duration.ofMillis(1),
                                 Duration.ofSeconds(10), Optional.empty(), 2, false);
    }

    private static RoutePlan plan(HedgeSettings hedge, TimedProvider... providers) {
        return new RoutePlan("route", Arrays.stream(providers).map(p -> new Candidate(p.config, "m", p)).toList(),
                             new RoutePolicy(RetrySettings.DEFAULTS, hedge, false, Optional.empty()));
    }
}
