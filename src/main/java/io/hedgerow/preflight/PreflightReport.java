package io.hedgerow.preflight;

import io.hedgerow.config.CandidateRef;
import io.hedgerow.config.HedgerowConfig;
import io.hedgerow.config.ProviderConfig;
import io.hedgerow.config.RouteConfig;

import java.io.PrintStream;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Live check results judged against a config's routes: for each rung of each route, the result of each of its keys
 * and whether its provider lists its model.
 *
 * <ul>
 *     <li>A rung is <em>dead</em> when every key was checked and each was refused or found nothing answering: no
 *     request will ever be served there. {@code check --live} exits 1 for it.</li>
 *     <li>A rung <em>failed</em> when every key was checked and none was ok (errors such as a 404 or a 5xx
 *     included). A route whose rungs all failed is <em>down</em>: a warning of its own, since each failure alone
 *     may be passing, but all of them at once is the 7 am story.</li>
 *     <li>A model missing from a list that was present is a warning only: some providers do not list everything
 *     they serve.</li>
 * </ul>
 * Keys not checked yet count as neither.
 *
 * @param routes every route, in config order
 */
public record PreflightReport(List<RouteCheck> routes) {
    public PreflightReport {
        routes = List.copyOf(routes);
    }

    /**
     * One key of one rung.
     *
     * @param keyLabel    the key's label, or {@value Target#NO_KEY}
     * @param result      its latest check, when there was one
     * @param modelListed whether the provider lists the rung's model, when it answered with a list
     */
    public record KeyCheck(String keyLabel, Optional<CheckResult> result, Optional<Boolean> modelListed) {
        public KeyCheck {
            Objects.requireNonNull(keyLabel, "keyLabel");
            Objects.requireNonNull(result, "result");
            Objects.requireNonNull(modelListed, "modelListed");
        }
    }

    /**
     * One rung of a route.
     *
     * @param route     the route's alias
     * @param position  1-based place in the chain
     * @param candidate {@code provider/model}
     * @param baseUrl   its provider's base URL (none for the simulator)
     * @param keys      one entry per key of its provider (one without a key when it has none)
     */
    public record RungCheck(String route, int position, CandidateRef candidate, Optional<URI> baseUrl,
                            List<KeyCheck> keys) {
        public RungCheck {
            keys = List.copyOf(keys);
        }

        /** Every key checked, each refused or unreachable: this rung cannot serve. */
        public boolean dead() {
            return !keys.isEmpty() && keys.stream().allMatch(k -> k.result().map(r -> r.verdict().fatal()).orElse(false));
        }

        /** Every key checked, none ok. */
        public boolean failed() {
            return !keys.isEmpty() && keys.stream().allMatch(k -> k.result().map(r -> r.verdict() != Verdict.OK)
                    .orElse(false));
        }

        /** Why a dead rung cannot serve, for people. */
        public String whyDead() {
            boolean allAuth = keys.stream().allMatch(k -> k.result().orElseThrow().verdict() == Verdict.AUTH_FAILED);
            boolean allUnreachable = keys.stream()
                    .allMatch(k -> k.result().orElseThrow().verdict() == Verdict.UNREACHABLE);
            String keysWord = keys.size() == 1 ? "its key was" : "every key was";
            if (allAuth) {
                return keysWord + " refused (expired, revoked, unpaid or mistyped)";
            }
            if (allUnreachable) {
                return "nothing answers" + baseUrl.map(u -> " at " + u).orElse("")
                        + " (a wrong base-url, a server that is down, or the network)";
            }
            return keys.size() == 1 ? "its key was refused or nothing answered"
                    : "every key was refused or found nothing answering";
        }
    }

    /** One route and its rungs, in chain order. */
    public record RouteCheck(String alias, List<RungCheck> rungs) {
        public RouteCheck {
            rungs = List.copyOf(rungs);
        }

        /** Every rung failed: a request to this route would fail now. */
        public boolean down() {
            return !rungs.isEmpty() && rungs.stream().allMatch(RungCheck::failed);
        }
    }

    /** Judges the latest results (by target) against {@code config}'s routes. */
    public static PreflightReport judge(HedgerowConfig config, Map<Target, CheckResult> results) {
        Objects.requireNonNull(config, "config");
        Objects.requireNonNull(results, "results");
        List<RouteCheck> routes = new ArrayList<>();
        for (RouteConfig route : config.routes().values()) {
            List<RungCheck> rungs = new ArrayList<>();
            int position = 0;
            for (CandidateRef ref : route.chain()) {
                position++;
                ProviderConfig provider = config.providers().get(ref.provider());
                if (provider == null) {
                    continue;
                }
                List<KeyCheck> keys = new ArrayList<>();
                for (Target target : Target.of(provider)) {
                    Optional<CheckResult> result = Optional.ofNullable(results.get(target));
                    keys.add(new KeyCheck(target.keyLabel(), result,
                                          result.flatMap(r -> r.listing().lists(ref.model()))));
                }
                rungs.add(new RungCheck(route.alias(), position, ref, provider.baseUrl(), keys));
            }
            routes.add(new RouteCheck(route.alias(), rungs));
        }
        return new PreflightReport(routes);
    }

    /** Rungs that cannot serve, in config order. */
    public List<RungCheck> deadRungs() {
        return routes.stream().flatMap(r -> r.rungs().stream()).filter(RungCheck::dead).toList();
    }

    /** Routes whose every rung failed. */
    public List<String> routesDown() {
        return routes.stream().filter(RouteCheck::down).map(RouteCheck::alias).toList();
    }

    /** {@code provider/model#key} for each key whose provider answered with a list that lacks the model. */
    public List<String> notListed() {
        List<String> out = new ArrayList<>();
        for (RouteCheck route : routes) {
            for (RungCheck rung : route.rungs()) {
                for (KeyCheck key : rung.keys()) {
                    String entry = rung.candidate() + "#" + key.keyLabel();
                    if (key.modelListed().equals(Optional.of(false)) && !out.contains(entry)) {
                        out.add(entry);
                    }
                }
            }
        }
        return out;
    }

    /** What {@code check --live} exits with: 1 when a rung cannot serve, else 0. */
    public int exitCode() {
        return deadRungs().isEmpty() ? 0 : 1;
    }

    /**
     * Prints a table, route by route, with a line per key of each rung (rung, candidate, key, result, detail), then the errors (dead rungs), warnings
     * (routes down, models not listed) and a last line with the verdict.
     */
    public void print(PrintStream out) {
        List<String[]> rows = new ArrayList<>();
        String[] header = {"#", "candidate", "key", "result", "detail"};
        rows.add(header);
        for (RouteCheck route : routes) {
            for (RungCheck rung : route.rungs()) {
                boolean first = true;
                for (KeyCheck key : rung.keys()) {
                    rows.add(new String[] {first ? String.valueOf(rung.position()) : "",
                            first ? rung.candidate().toString() : "", key.keyLabel(), result(key), detail(key)});
                    first = false;
                }
            }
        }
        int[] width = new int[4];
        for (String[] row : rows) {
            for (int i = 0; i < 4; i++) {
                width[i] = Math.max(width[i], row[i].length());
            }
        }
        String format = "  %" + width[0] + "s  %-" + width[1] + "s  %-" + width[2] + "s  %-" + width[3] + "s  %s%n";
        out.print(String.format(java.util.Locale.ROOT, format, (Object[]) header));
        int row = 1;
        for (RouteCheck route : routes) {
            out.println("route " + route.alias() + ":");
            for (RungCheck rung : route.rungs()) {
                for (int k = 0; k < rung.keys().size(); k++) {
                    String[] r = rows.get(row++);
                    out.print(String.format(java.util.Locale.ROOT, format, r[0], r[1], r[2], r[3], r[4]).stripTrailing()
                                      + System.lineSeparator());
                }
            }
        }
        for (RungCheck rung : deadRungs()) {
            out.println("error: route " + rung.route() + ", rung " + rung.position() + " (" + rung.candidate()
                                + "): " + rung.whyDead() + ": it will never serve");
        }
        for (RouteCheck route : routes) {
            if (route.down()) {
                boolean allDead = route.rungs().stream().allMatch(RungCheck::dead);
                out.println("warning: route " + route.alias() + ": every rung failed its check at once: "
                                    + (allDead ? "every request to " + route.alias() + " will fail"
                                    : route.alias() + " may have no working rung"));
            }
        }
        for (RouteCheck route : routes) {
            for (RungCheck rung : route.rungs()) {
                for (KeyCheck key : rung.keys()) {
                    if (key.modelListed().equals(Optional.of(false))) {
                        out.println("warning: route " + route.alias() + ", rung " + rung.position() + " ("
                                            + rung.candidate() + "), key " + key.keyLabel() + ": model '"
                                            + rung.candidate().model() + "' not listed by the provider (some providers "
                                            + "do not list every model they serve; a typo would fail as 404)");
                    }
                }
            }
        }
        int dead = deadRungs().size();
        if (dead > 0) {
            out.println("live check FAILED: " + dead + " rung" + (dead == 1 ? "" : "s")
                                + " cannot serve (every key refused or unreachable)");
        } else {
            out.println("live check OK");
        }
    }

    private static String result(KeyCheck key) {
        return key.result().map(r -> switch (r.verdict()) {
            case OK -> key.modelListed().equals(Optional.of(false)) ? "ok, model not listed by the provider" : "ok";
            case AUTH_FAILED -> "AUTH FAILED";
            case UNREACHABLE -> "UNREACHABLE";
            case ERROR -> "error";
        }).orElse("not checked");
    }

    private static String detail(KeyCheck key) {
        return key.result().map(r -> r.detail() + " (" + r.tookText() + ")").orElse("");
    }
}
