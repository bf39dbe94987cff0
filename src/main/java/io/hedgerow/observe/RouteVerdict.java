package io.hedgerow.observe;

import io.hedgerow.json.Json;
import io.hedgerow.observe.StatusReport.CandidateView;
import io.hedgerow.preflight.CheckResult;
import io.hedgerow.preflight.PreflightReport;
import io.hedgerow.preflight.Round;
import io.hedgerow.preflight.Target;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The answer to an operator's first question for one route: can it serve right now, and if not (or not on its first
 * rung), which rung and why. One verdict, used by {@code /status}, its page and readiness alike, so that they cannot
 * contradict each other.
 *
 * <p>A rung is <em>down</em> when a request could not use it now: its breaker is open, its keys are all cooling down,
 * or its last live checks say it cannot serve (every key refused, missing, or nothing answering). It is <em>weak</em>
 * when it can be used but is demoted or half-open. The route is
 * <ul>
 *     <li>{@code cannot_serve} when every rung is down;</li>
 *     <li>{@code degraded} when it serves, but some rung is down or weak;</li>
 *     <li>{@code ok} otherwise.</li>
 * </ul>
 *
 * @param route   the route's alias
 * @param state   {@code ok}, {@code degraded} or {@code cannot_serve}
 * @param serving the rung a request would be served by now, first in the try order among those not down
 * @param rungs   each rung, in configured order, with its state and why
 */
record RouteVerdict(String route, String state, Optional<Rung> serving, List<Rung> rungs) {
    static final String OK = "ok";
    static final String DEGRADED = "degraded";
    static final String CANNOT_SERVE = "cannot_serve";

    RouteVerdict {
        Objects.requireNonNull(route, "route");
        Objects.requireNonNull(state, "state");
        Objects.requireNonNull(serving, "serving");
        rungs = List.copyOf(rungs);
    }

    /**
     * One rung.
     *
     * @param position its place in the configured chain (1-based)
     * @param label    {@code provider/model}
     * @param state    the candidate's state ({@code ok}, {@code demoted}, {@code half_open}, {@code breaker_open},
     *                 {@code keys_cooling}), or {@code check_failed} when only the live checks rule it out
     * @param why      for people; empty when ok
     * @param down     whether a request could not use it now
     */
    record Rung(int position, String label, String state, String why, boolean down) {
        String describe() {
            return "rung " + position + " " + label + ": " + why;
        }
    }

    /** The verdicts of every route of {@code g}, judged with the latest live checks. */
    static List<RouteVerdict> judge(Generation g, Optional<Round> preflight) {
        Map<Target, CheckResult> latest = preflight.map(Round::latest).orElse(Map.of());
        PreflightReport checks = PreflightReport.judge(g.config(), latest);
        List<RouteVerdict> verdicts = new ArrayList<>();
        for (String route : g.engine().router().routes().keySet()) {
            verdicts.add(judge(route, StatusReport.candidates(g, route), checks));
        }
        return verdicts;
    }

    static RouteVerdict judge(String route, List<CandidateView> inTryOrder, PreflightReport checks) {
        List<Rung> tryOrder = new ArrayList<>();
        for (CandidateView c : inTryOrder) {
            Optional<PreflightReport.RungCheck> dead = checks.deadRungs().stream()
                    .filter(r -> r.route().equals(route) && r.position() == c.position()).findFirst();
            if (!c.available()) {
                tryOrder.add(new Rung(c.position(), c.label(), c.state(), c.why(), true));
            } else if (dead.isPresent()) {
                tryOrder.add(new Rung(c.position(), c.label(), "check_failed", "live check: " + dead.get().whyDead(),
                                      true));
            } else {
                tryOrder.add(new Rung(c.position(), c.label(), c.state(), c.why(), false));
            }
        }
        Optional<Rung> serving = tryOrder.stream().filter(r -> !r.down()).findFirst();
        List<Rung> configured = tryOrder.stream().sorted(Comparator.comparingInt(Rung::position)).toList();
        String state = serving.isEmpty() ? CANNOT_SERVE
                : configured.stream().allMatch(r -> r.state().equals("ok")) ? OK : DEGRADED;
        return new RouteVerdict(route, state, serving, configured);
    }

    /** The verdict for {@code /status}: state, summary, the serving rung's position, and each rung. */
    ObjectNode toJson() {
        ObjectNode node = Json.object().put("state", state).put("summary", summary());
        serving.ifPresentOrElse(r -> node.put("serving_rung", r.position()), () -> node.putNull("serving_rung"));
        ArrayNode list = node.putArray("rungs");
        for (Rung r : rungs) {
            list.addObject().put("position", r.position()).put("label", r.label()).put("state", r.state())
                    .put("why", r.why()).put("down", r.down());
        }
        return node;
    }

    /** The router's state: {@code cannot_serve} if a route cannot, else {@code degraded} if one is, else {@code ok}. */
    static String overall(List<RouteVerdict> verdicts) {
        if (verdicts.stream().anyMatch(v -> v.state.equals(CANNOT_SERVE))) {
            return CANNOT_SERVE;
        }
        return verdicts.stream().anyMatch(v -> v.state.equals(DEGRADED)) ? DEGRADED : OK;
    }

    /** The answer to the first question, in one line: {@code every route can serve}, or which cannot and which limp. */
    static String headline(List<RouteVerdict> verdicts) {
        List<String> down = verdicts.stream().filter(v -> v.state.equals(CANNOT_SERVE)).map(RouteVerdict::route)
                .toList();
        List<String> degraded = verdicts.stream().filter(v -> v.state.equals(DEGRADED)).map(RouteVerdict::route)
                .toList();
        if (down.isEmpty() && degraded.isEmpty()) {
            return "every route can serve, each on its first rung";
        }
        List<String> parts = new ArrayList<>();
        if (!down.isEmpty()) {
            parts.add((down.size() == 1 ? "route " : "routes ") + String.join(", ", down) + " cannot serve");
        }
        if (!degraded.isEmpty()) {
            parts.add((degraded.size() == 1 ? "route " : "routes ") + String.join(", ", degraded)
                              + " serving with a rung down or weak");
        }
        return String.join("; ", parts);
    }

    /** One line for people: {@code ok}; {@code serving on rung 2 (p2/m2); rung 1 p1/m1: breaker open, ...}. */
    String summary() {
        List<String> problems = rungs.stream().filter(r -> !r.state().equals("ok")).map(Rung::describe).toList();
        if (serving.isEmpty()) {
            return "cannot serve: " + String.join("; ", problems);
        }
        if (problems.isEmpty()) {
            return "ok";
        }
        return "serving on rung " + serving.get().position() + " (" + serving.get().label() + "); "
                + String.join("; ", problems);
    }
}
