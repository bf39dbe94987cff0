package io.hedgerow.preflight;

import io.hedgerow.config.CandidateRef;
import io.hedgerow.config.ConfigDraft;
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
import java.util.function.Function;

/**
 * Live check results judged against a config's routes: for each rung of each route, the result of each of its keys
 * and whether its provider lists its model.
 *
 * <ul>
 *     <li>A rung is <em>dead</em> when every key was checked (or could not be: its key is missing) and each was
 *     refused, missing, or found nothing answering (unreachable, or nothing at the base URL's path): no request will
 *     ever be served there. {@code check --live} exits 1 for it.</li>
 *     <li>A rung <em>failed</em> when every key was checked and none was ok (errors such as a 5xx included). A route
 *     whose rungs all failed is <em>down</em>: a warning of its own, since each failure alone may be passing, but all
 *     of them at once is the 7 am story.</li>
 *     <li>A model missing from a list that was present is a warning only: some providers do not list everything
 *     they serve.</li>
 * </ul>
 * Keys not checked yet count as neither, and so do rungs whose provider has errors in the file.
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
     * @param missing     why the key could not be resolved from the file (an unset variable, an unreadable file):
     *                    such a key was not checked, and cannot serve
     */
    public record KeyCheck(String keyLabel, Optional<CheckResult> result, Optional<Boolean> modelListed,
                           Optional<String> missing) {
        public KeyCheck {
            Objects.requireNonNull(keyLabel, "keyLabel");
            Objects.requireNonNull(result, "result");
            Objects.requireNonNull(modelListed, "modelListed");
            Objects.requireNonNull(missing, "missing");
        }

        /** Whether this key can never serve: missing, refused, or nothing answering. */
        boolean fatal() {
            return missing.isPresent() || result.map(r -> r.verdict().fatal()).orElse(false);
        }

        /** Whether it is known not to work now: {@link #fatal()}, or checked and not ok. */
        boolean failed() {
            return missing.isPresent() || result.map(r -> r.verdict() != Verdict.OK).orElse(false);
        }

        boolean is(Verdict verdict) {
            return result.map(r -> r.verdict() == verdict).orElse(false);
        }
    }

    /**
     * One rung of a route.
     *
     * @param route      the route's alias
     * @param position   1-based place in the chain
     * @param candidate  {@code provider/model}
     * @param baseUrl    its provider's base URL (none for the simulator)
     * @param keys       one entry per key of its provider (one without a key when it has none)
     * @param notChecked why the rung was not checked at all, when its provider has errors in the file
     */
    public record RungCheck(String route, int position, CandidateRef candidate, Optional<URI> baseUrl,
                            List<KeyCheck> keys, Optional<String> notChecked) {
        public RungCheck {
            keys = List.copyOf(keys);
            Objects.requireNonNull(notChecked, "notChecked");
        }

        /** Every key checked or missing, each refused, missing or finding nothing: this rung cannot serve. */
        public boolean dead() {
            return notChecked.isEmpty() && !keys.isEmpty() && keys.stream().allMatch(KeyCheck::fatal);
        }

        /** Every key checked (or missing), none ok. */
        public boolean failed() {
            return notChecked.isEmpty() && !keys.isEmpty() && keys.stream().allMatch(KeyCheck::failed);
        }

        /** Whether this rung can serve, as far as is known: false when dead, true when a key is ok. */
        public Optional<Boolean> canServe() {
            if (dead()) {
                return Optional.of(false);
            }
            return keys.stream().anyMatch(k -> k.is(Verdict.OK)) ? Optional.of(true) : Optional.empty();
        }

        /** Why a dead rung cannot serve, for people. */
        public String whyDead() {
            String keysWord = keys.size() == 1 ? "its key was" : "every key was";
            if (keys.stream().allMatch(k -> k.missing().isPresent())) {
                return "no key: " + String.join("; ", keys.stream().map(k -> k.missing().orElseThrow())
                        .distinct().toList());
            }
            if (keys.stream().allMatch(k -> k.is(Verdict.AUTH_FAILED))) {
                return keysWord + " refused (expired, revoked, unpaid or mistyped)";
            }
            if (keys.stream().allMatch(k -> k.is(Verdict.UNREACHABLE))) {
                return "nothing answers" + baseUrl.map(u -> " at " + u).orElse("")
                        + " (a wrong base-url, a server that is down, or the network)";
            }
            if (keys.stream().allMatch(k -> k.is(Verdict.NOT_FOUND))) {
                return "nothing is at " + baseUrl.map(Object::toString).orElse("its base-url") + ": 404 for the list "
                        + "of models and for a chat request (a wrong base-url path? an OpenAI-compatible one "
                        + "includes the version, e.g. /v1)";
            }
            return keys.size() == 1 ? "its key was refused, missing, or found nothing answering"
                    : "every key was refused, missing, or found nothing answering";
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
        return judge(config, p -> List.of(), p -> Optional.empty(), results);
    }

    /**
     * Judges the results against a file that may have errors: keys that could not be resolved appear as missing,
     * rungs of providers with errors of their own as not checked.
     */
    public static PreflightReport judge(ConfigDraft draft, Map<Target, CheckResult> results) {
        Objects.requireNonNull(draft, "draft");
        return judge(draft.config(), draft::missingKeys, draft::broken, results);
    }

    private static PreflightReport judge(HedgerowConfig config,
                                         Function<String, List<ConfigDraft.MissingKey>> missingKeys,
                                         Function<String, Optional<String>> broken,
                                         Map<Target, CheckResult> results) {
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
                Optional<String> notChecked = broken.apply(provider.name());
                List<KeyCheck> keys = new ArrayList<>();
                if (notChecked.isEmpty()) {
                    for (Target target : targets(provider, missingKeys.apply(provider.name()))) {
                        Optional<CheckResult> result = Optional.ofNullable(results.get(target));
                        keys.add(new KeyCheck(target.keyLabel(), result,
                                              result.flatMap(r -> r.listing().lists(ref.model())), Optional.empty()));
                    }
                    for (ConfigDraft.MissingKey missing : missingKeys.apply(provider.name())) {
                        keys.add(new KeyCheck(missing.label(), Optional.empty(), Optional.empty(),
                                              Optional.of(missing.problem())));
                    }
                }
                rungs.add(new RungCheck(route.alias(), position, ref, provider.baseUrl(), keys, notChecked));
            }
            routes.add(new RouteCheck(route.alias(), rungs));
        }
        return new PreflightReport(routes);
    }

    /**
     * What to check of a provider: one target per resolved key; one without a key only when the file names no key
     * for it (a keyless provider), not when its keys are all missing.
     */
    static List<Target> targets(ProviderConfig provider, List<ConfigDraft.MissingKey> missing) {
        return provider.keys().isEmpty() && !missing.isEmpty() ? List.of() : Target.of(provider);
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

    /** Prints the table and its verdicts ({@link ReportTable}). */
    public void print(PrintStream out) {
        ReportTable.print(this, out);
    }
}
