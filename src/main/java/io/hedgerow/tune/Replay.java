package io.hedgerow.tune;

import io.hedgerow.config.BaselineSettings;
import io.hedgerow.config.HedgeSettings;
import io.hedgerow.health.SizedBaseline;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.TreeSet;

/**
 * Hedging policies replayed on a route's own recorded requests ({@link RequestSample}s): what no hedging, the route's
 * current policy, a range of fixed delays and the request-aware policy at a range of percentiles would have given,
 * as p50/p99/p99.9, p99 slowdown and extra load ({@link TuneTable}).
 *
 * <h2>Algorithm</h2>
 * For each request, {@code A} is the time its first attempt took (to the first token of a stream, else to the whole
 * answer) and {@code B} the time the route's hedge target would take, from when it is started. With a delay
 * {@code d} the client waits {@code A} when {@code A <= d}, else {@code min(A, d + B)} (a hedge that failed cannot
 * win: then {@code A}), and the request adds one hedge when {@code A > d}.
 * <p>What was recorded decides how much is known: a first attempt that answered gives {@code A}; one cut off (it lost
 * to a hedge, or timed out) only says {@code A >= t}; a hedge or probe to the target that answered gives {@code B},
 * one cut off {@code B >= t}, and most requests never called the target at all. What is not known is drawn from the
 * candidate's own latency for a request of that size, above the bound when there is one: the same size-conditioned
 * model the router hedges by ({@link SizedBaseline}), built here from every answered attempt in the samples.
 * When nothing above the bound was ever seen, the bound itself is used and the row's tail is marked as a lower bound.
 * Each request is replayed {@value #REPLICAS} times with draws from a fixed seed, every policy on the same draws, so
 * the comparison between rows is paired and the table the same from run to run.
 * <p>Request-aware rows use delays from the same model: percentile {@code p} of the primary's latency for a request
 * of that size (clamped to the route's {@code min-delay}/{@code max-delay}). A route's budget is not replayed: rows
 * show the load a policy asks for; the budget caps it live.
 */
public final class Replay {
    static final int REPLICAS = 8;
    static final double[] FIXED_QUANTILES = {50, 75, 90, 95, 98, 99};
    static final double[] PERCENTILES = {98, 96, 92, 84};
    private static final long SEED = 0x5EEDL;

    private final Map<String, RouteInfo> routes;
    private final double budgetRatio;
    private final List<RequestSample> samples;
    private final Map<String, SizedBaseline> models = new HashMap<>();

    public Replay(SampleCodec.Samples samples) {
        this.routes = samples.routes();
        this.budgetRatio = samples.budgetRatio();
        this.samples = samples.requests();
        // Every answered attempt teaches its candidate's model; time stands still, so nothing decays or rotates.
        BaselineSettings settings = new BaselineSettings(Duration.ofDays(7), 20, Duration.ofDays(7));
        for (RequestSample s : this.samples) {
            for (RequestSample.Attempt a : s.attempts()) {
                if (a.outcome() == RequestSample.Outcome.OK && a.ended()) {
                    models.computeIfAbsent(key(a.candidate(), s.stream()), k -> new SizedBaseline(settings, () -> 0L))
                            .record(s.promptTokens(), Math.round(a.millis() * 1e6));
                }
            }
        }
    }

    private static String key(String candidate, boolean stream) {
        return candidate + (stream ? "\n1" : "\n0");
    }

    /** One table per route and measure that has requests, routes in the header's order, then any others. */
    public List<TuneTable> tables() {
        Map<String, List<RequestSample>> byTable = new LinkedHashMap<>();
        for (String route : routes.keySet()) {
            byTable.put(route + "\n1", new ArrayList<>());
            byTable.put(route + "\n0", new ArrayList<>());
        }
        for (RequestSample s : samples) {
            byTable.computeIfAbsent(s.route() + (s.stream() ? "\n1" : "\n0"), k -> new ArrayList<>()).add(s);
        }
        List<TuneTable> tables = new ArrayList<>();
        byTable.forEach((k, list) -> {
            if (!list.isEmpty()) {
                tables.add(table(list.getFirst().route(), list.getFirst().stream(), list));
            }
        });
        return tables;
    }

    // ---- one table ----

    /** A request as the replay sees it. */
    private record Case(RequestSample sample, String primary, RequestSample.Attempt first, Optional<String> target,
                        Optional<RequestSample.Attempt> backup) {
    }

    /** A policy: a label, its config, and a delay per request (infinite: no hedge). */
    private record Policy(String label, String config, boolean current, double[] delays) {
    }

    private TuneTable table(String route, boolean stream, List<RequestSample> list) {
        RouteInfo info = routes.get(route);
        List<Case> cases = new ArrayList<>();
        int excluded = 0;
        Map<String, Integer> primaries = new HashMap<>();
        for (RequestSample s : list) {
            // The first attempt that is not a probe (a probe of a demoted candidate may start just before it).
            Optional<RequestSample.Attempt> first = s.attempts().stream().filter(a -> !a.role().equals("probe"))
                    .findFirst();
            if (first.isEmpty() || first.get().outcome() == RequestSample.Outcome.FAILED || !first.get().ended()) {
                excluded++;
                continue;
            }
            String primary = first.get().candidate();
            Optional<String> target = s.attempts().stream().filter(a -> a.role().equals("hedge"))
                    .map(RequestSample.Attempt::candidate).findFirst();
            if (target.isEmpty() && info != null) {
                target = info.hedgeTarget(primary);
            }
            String t = target.orElse(null);
            RequestSample.Attempt head = first.get();
            Optional<RequestSample.Attempt> backup = s.attempts().stream()
                    .filter(a -> a != head && a.candidate().equals(t)
                            && (a.role().equals("hedge") || a.role().equals("probe")))
                    .findFirst();
            cases.add(new Case(s, primary, first.get(), target, backup));
            primaries.merge(primary, 1, Integer::sum);
        }
        String primary = primaries.entrySet().stream().max(Map.Entry.comparingByValue()).map(Map.Entry::getKey)
                .orElse(list.getFirst().attempts().isEmpty() ? "-" : list.getFirst().attempts().getFirst().candidate());
        Optional<String> hedgeTo = cases.stream().filter(c -> c.primary().equals(primary)).findFirst()
                .flatMap(Case::target);
        if (cases.isEmpty()) {
            return new TuneTable(route, stream, primary, hedgeTo, 0, excluded, 0, List.of());
        }
        HedgeSettings hedge = info == null ? HedgeSettings.DEFAULTS : info.hedge();
        List<Policy> policies = policies(cases, stream, hedge);
        return evaluate(route, stream, primary, hedgeTo, cases, excluded, policies);
    }

    private List<Policy> policies(List<Case> cases, boolean stream, HedgeSettings hedge) {
        int n = cases.size();
        List<Policy> policies = new ArrayList<>();
        double[] never = new double[n];
        Arrays.fill(never, Double.POSITIVE_INFINITY);
        boolean off = !hedge.enabled();
        policies.add(new Policy("no hedging", "off", off, never));
        // Fixed delays at the primaries' own answered latencies' quantiles, rounded to two significant digits.
        double[] answered = cases.stream().filter(c -> c.first().outcome() == RequestSample.Outcome.OK)
                .mapToDouble(c -> c.first().millis()).sorted().toArray();
        TreeSet<Double> fixed = new TreeSet<>();
        for (double q : FIXED_QUANTILES) {
            if (answered.length > 0) {
                fixed.add(roundTwo(answered[Math.clamp((int) Math.ceil(q / 100 * answered.length) - 1, 0,
                                                       answered.length - 1)]));
            }
        }
        boolean currentFixed = hedge.enabled() && hedge.delay() instanceof HedgeSettings.Delay.Fixed;
        double currentMillis = currentFixed ? ((HedgeSettings.Delay.Fixed) hedge.delay()).delay().toNanos() / 1e6 : -1;
        if (currentFixed) {
            fixed.add(currentMillis);
        }
        for (double d : fixed) {
            double[] delays = new double[n];
            Arrays.fill(delays, d);
            String text = millisText(d);
            policies.add(new Policy("fixed " + text, "{delay: " + text + "}", currentFixed && d == currentMillis,
                                    delays));
        }
        // Request-aware: a percentile of the primary's latency for a request like this one.
        double currentPercentile = !hedge.enabled() || currentFixed ? -1 : switch (hedge.delay()) {
            case HedgeSettings.Delay.Percentile p -> p.percentile();
            case HedgeSettings.Delay.Auto a -> autoPercentile(budgetRatio);
            case HedgeSettings.Delay.Fixed f -> -1;
        };
        TreeSet<Double> percentiles = new TreeSet<>(java.util.Comparator.reverseOrder());
        for (double p : PERCENTILES) {
            percentiles.add(p);
        }
        if (currentPercentile > 0) {
            percentiles.add(currentPercentile);
        }
        for (double p : percentiles) {
            boolean current = p == currentPercentile;
            String label = "request-aware p" + trim(p) + (current && hedge.delay() instanceof HedgeSettings.Delay.Auto
                    ? " (auto)" : "");
            String config = current && hedge.delay() instanceof HedgeSettings.Delay.Auto ? "{delay: auto}"
                    : "{delay: p" + trim(p) + "}";
            policies.add(new Policy(label, config, current, sizedDelays(cases, stream, p, hedge)));
        }
        return policies;
    }

    /** {@code delay: auto}'s percentile: {@code 100 * (1 - 0.8 * ratio)}. */
    static double autoPercentile(double ratio) {
        return Math.round(1000 * (100 * (1 - 0.8 * ratio))) / 1000.0;
    }

    private double[] sizedDelays(List<Case> cases, boolean stream, double p, HedgeSettings hedge) {
        double[] delays = new double[cases.size()];
        double min = hedge.minDelay().toNanos() / 1e6;
        double max = hedge.maxDelay().toNanos() / 1e6;
        double warmup = hedge.warmupDelay().map(w -> w.toNanos() / 1e6).orElse(Double.POSITIVE_INFINITY);
        for (int i = 0; i < delays.length; i++) {
            Case c = cases.get(i);
            SizedBaseline model = models.get(key(c.primary(), stream));
            Optional<Long> nanos = model == null ? Optional.empty()
                    : model.percentile(c.sample().promptTokens(), p).map(SizedBaseline.Estimate::nanos);
            delays[i] = nanos.map(v -> Math.clamp(v / 1e6, min, max)).orElse(warmup);
        }
        return delays;
    }

    private TuneTable evaluate(String route, boolean stream, String primary, Optional<String> hedgeTo, List<Case> cases,
                               int excluded, List<Policy> policies) {
        int n = cases.size();
        int total = n * REPLICAS;
        double[][] latency = new double[policies.size()][total];
        boolean[][] bounded = new boolean[policies.size()][total];
        long[] hedged = new long[policies.size()];
        double[] usual = new double[n];
        long imputed = 0;
        long values = 0;
        for (int i = 0; i < n; i++) {
            Case c = cases.get(i);
            SizedBaseline model = models.get(key(c.primary(), stream));
            usual[i] = model == null ? Double.NaN
                    : model.usualNanos(c.sample().promptTokens()).stream().mapToDouble(v -> v / 1e6).findFirst()
                            .orElse(Double.NaN);
            for (int r = 0; r < REPLICAS; r++) {
                SplittableRandom random = new SplittableRandom(SEED * 1_000_003 + (long) i * REPLICAS + r);
                Draw a = primaryTime(c, stream, random);
                Draw b = null;
                values++;
                if (a.imputed()) {
                    imputed++;
                }
                for (int j = 0; j < policies.size(); j++) {
                    double d = policies.get(j).delays()[i];
                    int at = i * REPLICAS + r;
                    if (a.millis() <= d) {
                        latency[j][at] = a.millis();
                        bounded[j][at] = a.bound();
                        continue;
                    }
                    hedged[j]++;
                    if (b == null) {
                        b = backupTime(c, stream, random);
                        values++;
                        if (b.imputed()) {
                            imputed++;
                        }
                    }
                    boolean hedgeWins = d + b.millis() < a.millis();
                    latency[j][at] = hedgeWins ? d + b.millis() : a.millis();
                    bounded[j][at] = hedgeWins ? b.bound() : a.bound();
                }
            }
        }
        List<TuneTable.Row> rows = new ArrayList<>();
        for (int j = 0; j < policies.size(); j++) {
            Policy p = policies.get(j);
            double[] slowdown = new double[total];
            for (int at = 0; at < total; at++) {
                slowdown[at] = latency[j][at] / usual[at / REPLICAS];
            }
            rows.add(new TuneTable.Row(p.label(), p.config(), p.current(), hedged[j] / (double) total,
                                       percentile(latency[j], 50), percentile(latency[j], 99),
                                       percentile(latency[j], 99.9), nanPercentile(slowdown, 99),
                                       boundAtOrAbove(latency[j], bounded[j], percentile(latency[j], 99))));
        }
        return new TuneTable(route, stream, primary, hedgeTo, n, excluded, values == 0 ? 0 : imputed / (double) values,
                             rows);
    }

    /** A latency for the replay: read or drawn, and whether it is only a lower bound. */
    private record Draw(double millis, boolean imputed, boolean bound) {
    }

    private Draw primaryTime(Case c, boolean stream, SplittableRandom random) {
        RequestSample.Attempt first = c.first();
        if (first.outcome() == RequestSample.Outcome.OK) {
            return new Draw(first.millis(), false, false);
        }
        return drawAbove(c.primary(), stream, c.sample().promptTokens(), first.millis(), random);
    }

    private Draw backupTime(Case c, boolean stream, SplittableRandom random) {
        if (c.target().isEmpty()) {
            return new Draw(Double.POSITIVE_INFINITY, false, false);
        }
        if (c.backup().isPresent()) {
            RequestSample.Attempt b = c.backup().get();
            if (b.outcome() == RequestSample.Outcome.OK) {
                return new Draw(b.millis(), false, false);
            }
            if (b.outcome() == RequestSample.Outcome.FAILED || !b.ended()) {
                // A backup that failed here would fail the hedge: it cannot win.
                return new Draw(Double.POSITIVE_INFINITY, false, false);
            }
            return drawAbove(c.target().get(), stream, c.sample().promptTokens(), b.millis(), random);
        }
        Draw d = drawAbove(c.target().get(), stream, c.sample().promptTokens(), 0, random);
        // Nothing known of the backup at all: it never wins.
        return Double.isNaN(d.millis()) || d.bound() ? new Draw(Double.POSITIVE_INFINITY, true, false) : d;
    }

    /**
     * A latency of {@code candidate} for a request of this size, at least {@code floorMillis}: drawn from its model
     * above the floor; the floor itself (a lower bound) when the model has nothing above it.
     */
    private Draw drawAbove(String candidate, boolean stream, long tokens, double floorMillis,
                           SplittableRandom random) {
        SizedBaseline model = models.get(key(candidate, stream));
        Optional<SizedBaseline.Distribution> d = model == null ? Optional.empty() : model.distribution(tokens);
        long floor = Math.round(floorMillis * 1e6);
        double below = d.map(x -> x.below(floor)).orElse(1.0);
        if (d.isEmpty() || below >= 1 - 1e-9) {
            return new Draw(floorMillis, true, true);
        }
        double u = below + random.nextDouble() * (1 - below);
        double value = Math.max(floorMillis, d.get().percentile(Math.min(1, u)) / 1e6);
        return new Draw(value, true, false);
    }

    static double percentile(double[] values, double p) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int index = (int) Math.ceil(p / 100 * sorted.length) - 1;
        return sorted[Math.clamp(index, 0, sorted.length - 1)];
    }

    private static double nanPercentile(double[] values, double p) {
        double[] known = Arrays.stream(values).filter(v -> !Double.isNaN(v)).toArray();
        return known.length == 0 ? Double.NaN : percentile(known, p);
    }

    /** Whether a lower-bound value sits at or above {@code threshold}: the percentile may then be higher. */
    private static boolean boundAtOrAbove(double[] values, boolean[] bounded, double threshold) {
        for (int i = 0; i < values.length; i++) {
            if (bounded[i] && values[i] >= threshold) {
                return true;
            }
        }
        return false;
    }

    /** Two significant digits: 447 -> 450, 3210 -> 3200. */
    static double roundTwo(double millis) {
        if (millis <= 0) {
            return millis;
        }
        double scale = Math.pow(10, Math.floor(Math.log10(millis)) - 1);
        return Math.round(millis / scale) * scale;
    }

    static String millisText(double millis) {
        if (millis >= 1000 && millis % 100 == 0) {
            return trim(millis / 1000) + "s";
        }
        return trim(Math.round(millis * 10) / 10.0) + "ms";
    }

    private static String trim(double d) {
        return d == Math.rint(d) ? String.valueOf((long) d) : String.format(Locale.ROOT, "%s", d);
    }
}
