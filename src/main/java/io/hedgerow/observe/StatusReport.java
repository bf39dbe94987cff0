package io.hedgerow.observe;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hedgerow.config.ApiKey;
import io.hedgerow.config.Checks;
import io.hedgerow.config.HedgeSettings;
import io.hedgerow.exec.HedgeDelay;
import io.hedgerow.health.BreakerState;
import io.hedgerow.health.CandidateHealth;
import io.hedgerow.health.HedgeBudget;
import io.hedgerow.health.KeyStatus;
import io.hedgerow.health.SizedBaseline;
import io.hedgerow.preflight.CheckResult;
import io.hedgerow.preflight.PreflightReport;
import io.hedgerow.preflight.Round;
import io.hedgerow.preflight.Target;
import io.hedgerow.route.Candidate;
import io.hedgerow.route.RoutePlan;
import io.hedgerow.json.Json;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * The router's state as one JSON document, for {@code GET /status} and its page: each route with its candidates
 * in the order a request would try them now and why (demoted, breaker open, keys cooling down and for how long),
 * their latency baselines and recent latencies, the last live check of each of their keys, each route's hedge delay,
 * the hedge budget, the live checks' last round, and recent events. Keys appear by label only.
 */
final class StatusReport {
    private StatusReport() {
    }

    /**
     * One candidate as a request would see it now.
     *
     * @param label     {@code provider/model}
     * @param position  1-based place in the configured chain
     * @param available whether a request could try it now
     * @param state     {@code ok}, {@code demoted}, {@code half_open}, {@code breaker_open} or {@code keys_cooling}
     * @param why       for people: empty when {@code ok}
     */
    record CandidateView(Candidate candidate, String label, int position, CandidateHealth health, boolean available,
                         String state, String why, List<KeyStatus> keys) {
    }

    /** A route's candidates in the order a request would try them: configured order, demoted ones last. */
    static List<CandidateView> candidates(Generation g, String route) {
        RoutePlan plan = g.engine().router().routes().get(route);
        List<CandidateView> first = new ArrayList<>();
        List<CandidateView> demoted = new ArrayList<>();
        int position = 0;
        for (Candidate candidate : plan.candidates()) {
            position++;
            CandidateHealth health = g.health().candidate(candidate.label());
            List<KeyStatus> keys = new ArrayList<>();
            boolean keyAvailable = candidate.provider().keys().isEmpty();
            Duration soonest = null;
            for (ApiKey key : candidate.provider().keys()) {
                KeyStatus status = g.health().keys().status(key);
                // Several keys may share a value (and so a state); the label shown is this provider's.
                keys.add(new KeyStatus(key.label(), status.coolingFor(), status.cause(), status.consecutiveFailures()));
                if (!status.cooling()) {
                    keyAvailable = true;
                } else if (soonest == null || status.coolingFor().compareTo(soonest) < 0) {
                    soonest = status.coolingFor();
                }
            }
            BreakerState breaker = health.breaker().state();
            boolean open = breaker.kind() == BreakerState.Kind.OPEN && breaker.retryIn().isPositive();
            String state;
            String why;
            if (open) {
                state = "breaker_open";
                why = "breaker open, retry in " + Checks.human(round(breaker.retryIn()));
            } else if (!keyAvailable) {
                state = "keys_cooling";
                why = "every key cooling down, next in " + Checks.human(round(soonest));
            } else if (health.demoted()) {
                state = "demoted";
                why = "demoted: " + health.demotionReason();
            } else if (breaker.kind() == BreakerState.Kind.HALF_OPEN
                    || breaker.kind() == BreakerState.Kind.OPEN) {
                state = "half_open";
                why = "breaker half-open: probing";
            } else {
                state = "ok";
                why = "";
            }
            CandidateView view = new CandidateView(candidate, candidate.label(), position, health, !open && keyAvailable,
                                                   state, why, keys);
            (health.demoted() ? demoted : first).add(view);
        }
        first.addAll(demoted);
        return first;
    }

    static ObjectNode build(Generation g, EventLog events, LatencyTrail trail, Clock clock, Instant startedAt,
                            String configFile, Optional<Round> preflight) {
        Map<Target, CheckResult> checks = preflight.map(Round::latest).orElse(Map.of());
        Instant now = clock.instant();
        ObjectNode root = Json.object();
        ArrayNode routes = Json.MAPPER.createArrayNode();
        List<RouteVerdict> verdicts = RouteVerdict.judge(g, preflight);
        for (RouteVerdict verdict : verdicts) {
            RoutePlan plan = g.engine().router().routes().get(verdict.route());
            List<CandidateView> candidates = candidates(g, plan.alias());
            ObjectNode route = routes.addObject().put("name", plan.alias()).put("ready", verdict.serving().isPresent());
            route.set("verdict", verdict.toJson());
            route.set("hedge", hedge(g, plan, candidates));
            ArrayNode list = route.putArray("candidates");
            int order = 0;
            for (CandidateView c : candidates) {
                ObjectNode candidate = candidate(c, ++order, trail, now);
                candidate.set("preflight", checks(c, checks));
                list.add(candidate);
            }
        }
        root.put("status", RouteVerdict.overall(verdicts));
        root.put("headline", RouteVerdict.headline(verdicts));
        root.put("generation", g.number());
        root.put("config_file", configFile);
        root.put("loaded_at", g.loadedAt().toString());
        root.put("started_at", startedAt.toString());
        root.put("now", now.toString());
        HedgeBudget budget = g.health().budget();
        root.putObject("hedge_budget").put("balance", round2(budget.balance()))
                .put("ratio", budget.settings().ratio()).put("min_per_second", budget.settings().minPerSecond())
                .put("ttl_seconds", budget.settings().ttlSeconds())
                .put("cost_share", Math.round(budget.costShare() * 10_000) / 10_000.0)
                .put("max_cost_share", budget.settings().maxCostShare().isPresent()
                        ? budget.settings().maxCostShare().getAsDouble() : null);
        root.set("routes", routes);
        root.set("preflight", preflight(g, preflight, checks));
        ArrayNode recent = root.putArray("recent_events");
        ArrayNode requests = root.putArray("recent_requests");
        List<JsonNode> list = events.recent();
        for (int i = list.size() - 1; i >= 0; i--) {
            recent.add(list.get(i));
            if (EventLog.REQUESTS.contains(list.get(i).path("event").asText())) {
                requests.add(list.get(i));
            }
        }
        ArrayNode changes = root.putArray("recent_changes");
        List<JsonNode> changeList = events.recentChanges();
        for (int i = changeList.size() - 1; i >= 0; i--) {
            changes.add(changeList.get(i));
        }
        return root;
    }

    private static ObjectNode candidate(CandidateView c, int order, LatencyTrail trail, Instant now) {
        ObjectNode node = Json.object();
        node.put("order", order).put("position", c.position()).put("label", c.label())
                .put("provider", c.candidate().provider().name()).put("model", c.candidate().model())
                .put("available", c.available()).put("state", c.state()).put("why", c.why())
                .put("demoted", c.health().demoted());
        BreakerState breaker = c.health().breaker().state();
        node.putObject("breaker").put("state", Labels.snake(breaker.kind()))
                .put("calls", breaker.callsInWindow()).put("failures", breaker.failuresInWindow())
                .put("failure_ratio", round2(breaker.failureRatio()))
                .put("retry_in_ms", breaker.retryIn().toMillis());
        ArrayNode keys = node.putArray("keys");
        for (KeyStatus k : c.keys()) {
            ObjectNode key = keys.addObject().put("label", k.label()).put("cooling", k.cooling())
                    .put("cooling_for_ms", k.coolingFor().toMillis());
            if (k.cooling()) {
                key.put("until", now.plus(k.coolingFor()).toString());
            } else {
                key.putNull("until");
            }
            k.cause().ifPresentOrElse(cause -> key.put("cause", Labels.snake(cause)), () -> key.putNull("cause"));
            key.put("consecutive_failures", k.consecutiveFailures());
        }
        ObjectNode baseline = node.putObject("baseline");
        baseline.set("first_token", SizeView.baseline(c.health(), true));
        baseline.set("complete", SizeView.baseline(c.health(), false));
        ArrayNode recent = node.putArray("recent_ms");
        for (long ms : trail.millis(c.label())) {
            recent.add(ms);
        }
        return node;
    }

    /**
     * The last live check of each key of a candidate's provider (one entry without a key when it has none):
     * {@code result} ({@code ok}, {@code auth_failed}, {@code unreachable}, {@code error}, or {@code not_checked}),
     * {@code detail}, {@code checked_at}, and {@code model_listed} (null when the provider gave no list).
     */
    private static ArrayNode checks(CandidateView c, Map<Target, CheckResult> latest) {
        ArrayNode list = Json.MAPPER.createArrayNode();
        for (Target target : Target.of(c.candidate().provider())) {
            ObjectNode check = list.addObject().put("key", target.keyLabel());
            CheckResult r = latest.get(target);
            if (r == null) {
                check.put("result", "not_checked").putNull("detail").putNull("checked_at").putNull("model_listed");
                continue;
            }
            check.put("result", r.verdict().wireName()).put("detail", r.detail())
                    .put("checked_at", r.checkedAt().toString());
            r.listing().lists(c.candidate().model()).ifPresentOrElse(listed -> check.put("model_listed", listed),
                                                                      () -> check.putNull("model_listed"));
        }
        return list;
    }

    /** The live checks: settings, the last round that ran, and what the latest results mean for the routes now. */
    private static ObjectNode preflight(Generation g, Optional<Round> last, Map<Target, CheckResult> latest) {
        io.hedgerow.config.PreflightSettings settings = g.config().observe().preflight();
        ObjectNode node = Json.object().put("enabled", settings.enabled())
                .put("interval_s", settings.interval().toSeconds()).put("timeout_ms", settings.timeout().toMillis());
        last.ifPresentOrElse(r -> node.putObject("last_round").put("trigger", r.trigger())
                                     .put("at", r.startedAt().toString()).put("checked", r.ran().size())
                                     .put("took_ms", r.took().toMillis()),
                             () -> node.putNull("last_round"));
        PreflightReport report = PreflightReport.judge(g.config(), latest);
        ArrayNode dead = node.putArray("cannot_serve");
        report.deadRungs().forEach(r -> dead.add(r.route() + ": " + r.candidate() + " (" + r.whyDead() + ")"));
        ArrayNode down = node.putArray("routes_down");
        report.routesDown().forEach(down::add);
        ArrayNode notListed = node.putArray("not_listed");
        report.notListed().forEach(notListed::add);
        // The table check --live prints, as check --format json writes it.
        node.set("check", io.hedgerow.preflight.ReportJson.write(report));
        return node;
    }

    /**
     * The route's hedge policy and the delay it would use now before hedging the first candidate, for streams
     * (time to first token) and whole answers, as the executor's {@link HedgeDelay} computes it.
     */
    private static ObjectNode hedge(Generation g, RoutePlan plan, List<CandidateView> candidates) {
        HedgeSettings h = plan.policy().hedge();
        ObjectNode node = Json.object().put("enabled", h.enabled());
        if (!h.enabled()) {
            return node.put("summary", candidates.size() < 2 ? "no hedging: one candidate, nothing to hedge to"
                    : "hedging off");
        }
        double ratio = g.health().hedging().budget().ratio();
        String policy = switch (h.delay()) {
            case HedgeSettings.Delay.Fixed fixed -> Checks.human(fixed.delay());
            case HedgeSettings.Delay.Percentile p -> "p" + trim(p.percentile());
            case HedgeSettings.Delay.Auto auto -> "auto (p" + trim(100 * (1 - HedgeDelay.AUTO_BUDGET_SHARE * ratio))
                    + ")";
        };
        node.put("delay", policy).put("min_delay_ms", h.minDelay().toMillis())
                .put("max_delay_ms", h.maxDelay().toMillis()).put("max_in_flight", h.maxInFlight())
                .put("same_provider", h.sameProvider());
        h.warmupDelay().ifPresentOrElse(w -> node.put("warmup_delay_ms", w.toMillis()),
                                        () -> node.putNull("warmup_delay_ms"));
        if (candidates.size() == 1) {
            node.put("summary", "no hedging: one candidate, nothing to hedge to");
        } else if (!candidates.isEmpty()) {
            CandidateView first = candidates.getFirst();
            node.put("for", first.label());
            SizeView.Delays delays = SizeView.hedgeDelays(node, h, first.health(), ratio);
            int minSamples = g.health().hedging().baseline().minSamples();
            node.put("min_samples", minSamples);
            node.put("summary", "hedge " + policy + " for " + first.label() + " on a "
                    + SizeView.tokens(delays.tokens()) + "-token prompt: "
                    + delayText("streams", h, delays.stream(), first.health().sized(true), delays.tokens(),
                                minSamples) + "; "
                    + delayText("whole answers", h, delays.complete(), first.health().sized(false), delays.tokens(),
                                minSamples)
                    + "; at most " + h.maxInFlight() + " in flight");
        } else {
            node.put("summary", "hedge " + policy);
        }
        return node;
    }

    /**
     * {@code streams after 412 ms}; while too few samples are within reach of the prompt's size, the warm-up delay
     * ({@code streams after 10s (warm-up until 20 samples, 3 so far)}) or none ({@code streams: no hedge until
     * 20 samples (3 so far)}).
     */
    private static String delayText(String what, HedgeSettings h, OptionalLong nanos, SizedBaseline baseline,
                                    long tokens, int minSamples) {
        boolean learned = h.delay() instanceof HedgeSettings.Delay.Fixed
                || baseline.percentileNanos(tokens, 50).isPresent();
        String samples = minSamples + " samples, " + baseline.windowCount() + " so far";
        if (nanos.isEmpty()) {
            return what + ": no hedge until " + samples.replace(", ", " (") + ")";
        }
        String after = what + " after " + Checks.human(Duration.ofMillis(Math.max(1, nanos.getAsLong() / 1_000_000)));
        return learned ? after : after + " (warm-up until " + samples + ")";
    }

    private static void putMillis(ObjectNode node, String field, OptionalLong nanos) {
        if (nanos.isPresent()) {
            node.put(field, nanos.getAsLong() / 1_000_000);
        } else {
            node.putNull(field);
        }
    }

    private static Duration round(Duration d) {
        return d.toMillis() >= 10_000 ? Duration.ofSeconds((d.toMillis() + 999) / 1000) : Duration.ofMillis(d.toMillis());
    }

    private static double round2(double d) {
        return Math.round(d * 100) / 100.0;
    }

    private static String trim(double d) {
        return d == Math.rint(d) ? String.valueOf((long) d) : String.format(Locale.ROOT, "%.1f", d);
    }
}
