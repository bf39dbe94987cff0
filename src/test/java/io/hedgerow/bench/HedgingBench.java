package io.hedgerow.bench;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.HdrHistogram.Histogram;

import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code scripts/bench hedging}: does hedging cut the tail as much as the best fixed delay chosen in hindsight,
 * for the load it adds, and does it stay inside its budget and demote a provider that turns slow?
 *
 * <p>Two fake upstreams over real HTTP on loopback ({@link LatencyUpstream}): A with a lognormal time to first
 * token (median 300 ms, sigma 0.3) where 5% of requests are 10x slower, B lognormal (400 ms, 0.3). Open-loop
 * streamed requests at 50/s through the real router (the fat jar in its own process):
 * <ol>
 *     <li><b>steady</b>: a route without hedging, then the same chain with the default hedging;</li>
 *     <li><b>brownout</b>: A and B both turn 5x slower halfway; the extra load must stay inside the budget;</li>
 *     <li><b>A slows down</b>: A turns 5x slower halfway; it must be demoted within 10 s, and afterwards the client
 *     p99 must be within 1.25x of B's own p99.</li>
 * </ol>
 * Beside the measurements, Monte Carlo on the same distributions gives no hedging, the best fixed delay in
 * hindsight for the measured extra load, and the 100%-duplication oracle. Median of several runs.
 */
public final class HedgingBench {
    static final LatencyUpstream.Model A = new LatencyUpstream.Model(Duration.ofMillis(300), 0.3, 0.05, 10);
    static final LatencyUpstream.Model B = new LatencyUpstream.Model(Duration.ofMillis(400), 0.3, 0, 1);
    private static final String BODY = "{\"model\":\"%s\",\"stream\":true,\"stream_options\":{\"include_usage\":true},"
            + "\"messages\":[{\"role\":\"user\",\"content\":\"Tell me something.\"}]}";
    private static final double BUDGET = 0.10;

    private final PrintStream out = System.out;
    private final Path root = Path.of("").toAbsolutePath();
    private final Path outDir = root.resolve("target/bench");
    private final String stamp = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
    private final Duration phase;
    private final double rate;
    private final int runs;
    private final Sections sections;

    /**
     * Which scenarios run: the classic ones (one prompt size), the request-aware ones, the health model's, or all (the
     * default).
     */
    private record Sections(boolean classic, RequestAwareBench.Pace normal, RequestAwareBench.Pace low,
                            boolean health) {
        boolean requestAware() {
            return normal != null;
        }
    }

    /**
     * Request-aware scenarios to run (all when empty), or with {@code --only health} the health section's
     * ({@link HealthBench#SCENARIOS}); and whether each request-aware one is run again with the classic fixed delay.
     */
    private java.util.Set<String> scenarios = java.util.Set.of();
    private boolean fixedToo;
    /** The health section's step from idle: its rate. */
    private double stepRate = 1000;

    private HedgingBench(Duration phase, double rate, int runs, Sections sections) {
        this.phase = phase;
        this.rate = rate;
        this.runs = runs;
        this.sections = sections;
    }

    public static void main(String[] args) throws Exception {
        Duration phase = Duration.ofSeconds(60);
        double rate = 50;
        int runs = 3;
        String only = "all";
        java.util.Set<String> scenarios = java.util.Set.of();
        boolean fixedToo = false;
        double stepRate = 1000;
        double lowRate = 2;
        Duration lowPhase = Duration.ofSeconds(180);
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
            case "--quick" -> {
                phase = Duration.ofSeconds(20);
                lowPhase = Duration.ofSeconds(60);
                runs = 1;
            }
            case "--phase" -> phase = Delay.duration(args[++i]);
            case "--rate" -> rate = Double.parseDouble(args[++i]);
            case "--runs" -> runs = Integer.parseInt(args[++i]);
            case "--only" -> only = args[++i];
            case "--scenarios" -> scenarios = java.util.Set.of(args[++i].split(","));
            case "--fixed-too" -> fixedToo = true;
            case "--step-rate" -> stepRate = Double.parseDouble(args[++i]);
            case "--low-rate" -> lowRate = Double.parseDouble(args[++i]);
            case "--low-phase" -> lowPhase = Delay.duration(args[++i]);
            default -> {
                System.err.println("usage: scripts/bench hedging [--quick] [--runs 3] [--phase 60s] [--rate 50]"
                                           + " [--only classic|request-aware|health] [--low-rate 2] [--low-phase 180s]"
                                           + " [--scenarios mixed_stream,single_stream,...|thousand,...] [--fixed-too]"
                                           + " [--step-rate 1000]");
                System.exit(2);
            }
            }
        }
        boolean classic = only.equals("all") || only.equals("classic");
        boolean requestAware = only.equals("all") || only.equals("request-aware");
        boolean health = only.equals("all") || only.equals("health");
        // Request-aware scenarios warm up on half a phase of their own traffic (at least 60 requests), unmeasured.
        RequestAwareBench.Pace normal = new RequestAwareBench.Pace(rate, phase.dividedBy(2), phase);
        RequestAwareBench.Pace low = new RequestAwareBench.Pace(
                lowRate, Duration.ofMillis(Math.max(phase.toMillis() / 2, (long) (60_000 / lowRate))), lowPhase);
        try {
            HedgingBench bench = new HedgingBench(phase, rate, runs, new Sections(classic, requestAware ? normal : null,
                                                                                  requestAware ? low : null, health));
            bench.scenarios = scenarios;
            bench.fixedToo = fixedToo;
            bench.stepRate = stepRate;
            bench.run();
        } catch (Exception | Error e) {
            // The fake upstreams' server threads would keep the JVM (and the bench lock) alive for BENCH_TIMEOUT.
            e.printStackTrace();
            System.exit(1);
        }
        System.exit(0);
    }

    private void run() throws Exception {
        Files.createDirectories(outDir);
        Machine machine = Machine.describe();
        out.println("Hedgerow hedging benchmark: " + machine.summary());
        out.println(Report.fmt("%d run(s); %.0f requests/s; phases of %d s", runs, rate, phase.toSeconds()));
        HedgingMonteCarlo mc = new HedgingMonteCarlo(A, B, 400_000, 42);
        RequestAwareBench requestAware = new RequestAwareBench(out, root, outDir, stamp).options(scenarios, fixedToo);
        HealthBench healthBench = new HealthBench(out, root, outDir, stamp, phase, rate,
                                                  sections.requestAware() ? java.util.Set.of() : scenarios)
                .stepRate(stepRate);
        List<Map<String, Double>> results = new ArrayList<>();
        ArrayNode runsJson = Report.MAPPER.createArrayNode();
        for (int r = 1; r <= runs; r++) {
            out.println();
            out.println("run " + r + "/" + runs);
            Map<String, Double> m = new LinkedHashMap<>();
            if (sections.classic()) {
                steady(m, r);
                brownout(m, r);
                slowdown(m, r);
                double load = m.get("steady.hedged.extra_load");
                double[] best = mc.bestFixed(load, 99);
                m.put("mc.best_fixed_at_load.delay_ms", Report.round(best[0]));
                m.put("mc.best_fixed_at_load.p99_ms", Report.round(best[1]));
                m.put("steady.p99_vs_best_fixed", Report.round(m.get("steady.hedged.p99_ms") / best[1]));
                m.put("steady.p99_gain_vs_no_hedging",
                      Report.round(m.get("steady.plain.p99_ms") / m.get("steady.hedged.p99_ms")));
            }
            if (sections.requestAware()) {
                requestAware.run(m, r, sections.normal(), sections.low());
            }
            if (sections.health()) {
                healthBench.run(m, r);
            }
            results.add(m);
            runsJson.add(Report.MAPPER.valueToTree(m));
        }
        Map<String, Double> median = Report.medians(results);
        double[] at500 = mc.fixed(500, 99);
        median.put("mc.no_hedging.p99_ms", Report.round(mc.noHedging(99)));
        median.put("mc.fixed_500ms.p99_ms", Report.round(at500[0]));
        median.put("mc.fixed_500ms.extra_load", Report.round(at500[1]));
        median.put("mc.oracle.p99_ms", Report.round(mc.oracle(99)));
        median.put("mc.b_alone.p99_ms", Report.round(mc.onlyB(99)));
        print(median, machine, requestAware, healthBench);

        ObjectNode json = Report.MAPPER.createObjectNode();
        json.put("benchmark", "hedging").put("timestamp", stamp);
        json.set("machine", machine.json());
        json.put("runs", runs).put("rate", rate).put("phase_seconds", phase.toSeconds());
        json.set("median", Report.MAPPER.valueToTree(median));
        json.set("runs_detail", runsJson);
        Path file = outDir.resolve("hedging-" + stamp + ".json");
        Report.write(file, json);
        out.println();
        out.println("JSON: " + root.relativize(file));
    }

    private void print(Map<String, Double> m, Machine machine, RequestAwareBench requestAware,
                       HealthBench healthBench) {
        out.println();
        out.println("Median of " + runs + " run(s); " + machine.summary());
        if (sections.requestAware()) {
            Report.Table table = new Report.Table("measure", "p50 ms", "p99 ms", "p99.9 ms", "p99 slowdown",
                                                  "extra load");
            requestAware.print(table, m, sections.normal(), sections.low());
            table.print(out);
            out.println();
            for (String[] v : requestAware.verdicts(m)) {
                verdict(v[1], v[2], v[0].equals("MET"));
            }
            out.println();
        }
        if (sections.health()) {
            Report.Table table = new Report.Table("measure", "p50 ms", "p90 ms", "p99 ms", "p99.9 ms", "extra load",
                                                  "cancelled/s");
            healthBench.print(table, m);
            table.print(out);
            out.println();
            for (String[] v : healthBench.verdicts(m)) {
                verdict(v[1], v[2], v[0].equals("MET"));
            }
            out.println();
        }
        if (!sections.classic()) {
            return;
        }
        Report.Table table = new Report.Table("measure", "p50 ms", "p90 ms", "p99 ms", "p99.9 ms", "extra load",
                                              "cancelled/s");
        table.section("steady: A lognormal(300ms, 0.3) with 5% 10x slower, B lognormal(400ms, 0.3), "
                              + (int) rate + "/s");
        row(table, m, "no hedging (measured)", "steady.plain");
        row(table, m, "hedging, default config (measured)", "steady.hedged");
        table.row("no hedging (Monte Carlo)", "", "", m.get("mc.no_hedging.p99_ms"), "", "0");
        table.row("fixed 500 ms (Monte Carlo)", "", "", m.get("mc.fixed_500ms.p99_ms"), "",
                  pct(m.get("mc.fixed_500ms.extra_load")));
        table.row("best fixed at the measured load (" + m.get("mc.best_fixed_at_load.delay_ms") + " ms, MC)", "", "",
                  m.get("mc.best_fixed_at_load.p99_ms"), "", "<= " + pct(m.get("steady.hedged.extra_load")));
        table.row("oracle: both, every request (Monte Carlo)", "", "", m.get("mc.oracle.p99_ms"), "", "100%");
        table.section("brownout: A and B 5x slower from halfway");
        row(table, m, "before", "brownout.before");
        row(table, m, "during", "brownout.during");
        table.section("A turns 5x slower halfway");
        row(table, m, "before", "slowdown.before");
        row(table, m, "10 s after the change", "slowdown.after");
        table.row("B alone (Monte Carlo)", "", "", m.get("mc.b_alone.p99_ms"), "", "");
        table.print(out);
        out.println();
        double load = m.get("steady.hedged.extra_load");
        verdict("Target 1: extra load <= 10%", pct(load), load <= BUDGET);
        verdict("Target 1: p99 <= 1.15x best fixed delay's at that load", m.get("steady.p99_vs_best_fixed") + "x",
                m.get("steady.p99_vs_best_fixed") <= 1.15);
        verdict("Target 1: p99 >= 3x better than no hedging", m.get("steady.p99_gain_vs_no_hedging") + "x",
                m.get("steady.p99_gain_vs_no_hedging") >= 3);
        // The budget's own bound over a window of T seconds: deposits made in it and in the ttl before it
        // (ratio x requests over T + ttl), plus the floor for each second.
        double seconds = m.get("brownout.during.seconds");
        double bound = BUDGET * (seconds + 10) / seconds + 1 / rate;
        verdict("Target 2: brownout extra load inside the budget (ratio x (T + ttl) / T + floor = " + pct(bound)
                        + ", far from the 100% of duplicating everything)",
                pct(m.get("brownout.during.extra_load")), m.get("brownout.during.extra_load") <= bound);
        verdict("Target 3: A demoted within 10 s", m.get("slowdown.demoted_after_s") + " s",
                m.get("slowdown.demoted_after_s") <= 10);
        double ratio = Report.round(m.get("slowdown.after.p99_ms") / m.get("mc.b_alone.p99_ms"));
        verdict("Target 3: p99 after demotion <= 1.25x B's own", ratio + "x", ratio <= 1.25);
    }

    private void verdict(String what, String value, boolean met) {
        out.println((met ? "MET     " : "MISSED  ") + what + ": " + value);
    }

    private static void row(Report.Table table, Map<String, Double> m, String label, String prefix) {
        table.row(label, m.get(prefix + ".p50_ms"), m.get(prefix + ".p90_ms"), m.get(prefix + ".p99_ms"),
                  m.get(prefix + ".p999_ms"), pct(m.get(prefix + ".extra_load")), m.get(prefix + ".cancelled_per_s"));
    }

    private static String pct(Double share) {
        return share == null ? "" : Report.fmt("%.1f%%", share * 100);
    }

    // ---- scenarios ----

    private void steady(Map<String, Double> m, int run) throws Exception {
        try (Setup s = new Setup(run, "steady")) {
            measure(m, "steady.plain", s, "plain", phase);
            measure(m, "steady.hedged", s, "hedged", phase);
        }
    }

    private void brownout(Map<String, Double> m, int run) throws Exception {
        try (Setup s = new Setup(run + 100, "brownout")) {
            measure(m, "brownout.before", s, "hedged", phase.dividedBy(2));
            s.a.slowDown(5);
            s.b.slowDown(5);
            measure(m, "brownout.during", s, "hedged", phase.dividedBy(2));
        }
    }

    private void slowdown(Map<String, Double> m, int run) throws Exception {
        try (Setup s = new Setup(run + 200, "slowdown")) {
            measure(m, "slowdown.before", s, "hedged", phase.dividedBy(2));
            long changed = System.nanoTime();
            s.a.slowDown(5);
            AtomicLong demotedAt = new AtomicLong(-1);
            Thread watcher = Thread.ofVirtual().start(() -> watchDemotion(s.router.address(), demotedAt));
            measure(m, "slowdown.transition", s, "hedged", Duration.ofSeconds(10));
            Duration rest = phase.dividedBy(2).minusSeconds(10);
            measure(m, "slowdown.after", s, "hedged", rest.compareTo(Duration.ofSeconds(10)) < 0
                    ? Duration.ofSeconds(10) : rest);
            watcher.interrupt();
            watcher.join();
            m.put("slowdown.demoted_after_s", demotedAt.get() < 0 ? Double.POSITIVE_INFINITY
                    : Report.round((demotedAt.get() - changed) / 1e9));
        }
    }

    /** Polls the router's {@code /status} every 100 ms until it shows candidate {@code a/m} demoted. */
    private static void watchDemotion(InetSocketAddress router, AtomicLong demotedAt) {
        // HTTP/1.1: the JDK client's default h2c upgrade attempt is not what agents send.
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(2)).build();
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + router.getPort() + "/status"))
                .header("Accept", "application/json")
                .timeout(Duration.ofSeconds(5))
                .build();
        while (!Thread.currentThread().isInterrupted()) {
            try {
                HttpResponse<String> response = client.send(request, HttpResponse.BodyHandlers.ofString());
                long seen = System.nanoTime();
                for (com.fasterxml.jackson.databind.JsonNode node : Report.MAPPER.readTree(response.body())
                        .findParents("label")) {
                    if (node.path("label").asText().equals("a/m") && node.path("state").asText().equals("demoted")) {
                        demotedAt.set(seen);
                        return;
                    }
                }
                Thread.sleep(100);
            } catch (IOException e) {
                System.err.println("demotion watcher: " + e);
                return;
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private void measure(Map<String, Double> m, String prefix, Setup s, String route, Duration duration)
            throws Exception {
        long aBefore = s.a.requests();
        long bBefore = s.b.requests();
        long cancelledBefore = s.a.abandoned() + s.b.abandoned();
        LoadClient.Target target = new LoadClient.Target(route, s.router.address(),
                                                         BenchHttp.post(s.router.address(), "/v1/chat/completions",
                                                                        String.format(BODY, route)));
        LoadClient.Phase p = LoadClient.openLoop(target, rate, duration, Duration.ofSeconds(30), 400);
        long upstream = s.a.requests() - aBefore + s.b.requests() - bBefore;
        long cancelled = s.a.abandoned() + s.b.abandoned() - cancelledBefore;
        long served = p.ok.sum();
        long requests = Math.max(1, p.attempts());
        Histogram h = p.firstChunk;
        m.put(prefix + ".p50_ms", Report.round(h.getValueAtPercentile(50) / 1e6));
        m.put(prefix + ".p90_ms", Report.round(h.getValueAtPercentile(90) / 1e6));
        m.put(prefix + ".p99_ms", Report.round(h.getValueAtPercentile(99) / 1e6));
        m.put(prefix + ".p999_ms", Report.round(h.getValueAtPercentile(99.9) / 1e6));
        // Extra load per client request sent (answered or not): upstream requests beyond one each.
        m.put(prefix + ".extra_load", Report.round(upstream / (double) requests - 1));
        m.put(prefix + ".seconds", (double) duration.toSeconds());
        m.put(prefix + ".cancelled_per_s", Report.round(cancelled / (double) duration.toSeconds()));
        m.put(prefix + ".failed", (double) (p.failed.sum() + p.timedOut));
        out.println(Report.fmt("  %-22s %5d ok, %d failed%s; first token p50 %.0f ms, p99 %.0f ms; "
                                       + "%.3f upstream requests per request", prefix, served,
                               p.failed.sum() + p.timedOut, p.firstError == null ? "" : " (" + p.firstError + ")",
                               h.getValueAtPercentile(50) / 1e6, h.getValueAtPercentile(99) / 1e6,
                               upstream / (double) requests));
    }

    /** Two upstreams and a router for one scenario. */
    private final class Setup implements AutoCloseable {
        final LatencyUpstream a;
        final LatencyUpstream b;
        final RouterProcess router;

        Setup(int seed, String name) throws Exception {
            a = new LatencyUpstream(A, 1000 + seed);
            b = new LatencyUpstream(B, 2000 + seed);
            int port = freePort();
            Path config = outDir.resolve("hedging-" + name + ".yaml");
            Files.writeString(config, """
                    server: {port: %d}
                    observe: {preflight: off}   # no live checks: their calls would mix with the measured ones
                    state: {file: off}          # a fresh router per run: no health state carried over
                    providers:
                      a: {type: openai, base-url: "%s", keys: [{label: bench, value: bench-a}]}
                      b: {type: openai, base-url: "%s", keys: [{label: bench, value: bench-b}]}
                    routes:
                      plain: {chain: [a/m, b/m], hedge: off}
                      hedged: {chain: [a/m, b/m]}
                    """.formatted(port, a.baseUrl(), b.baseUrl()));
            InetSocketAddress address = new InetSocketAddress("127.0.0.1", port);
            router = RouterProcess.start(root, config, port, "", outDir.resolve("hedging-" + stamp + "-router.log"),
                                         BenchHttp.post(address, "/v1/chat/completions", String.format(BODY, "plain")),
                                         Duration.ofSeconds(60));
        }

        @Override
        public void close() throws Exception {
            router.close();
            a.close();
            b.close();
        }
    }

    static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
