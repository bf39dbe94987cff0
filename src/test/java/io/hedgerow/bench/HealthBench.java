package io.hedgerow.bench;

import com.fasterxml.jackson.databind.JsonNode;
import org.HdrHistogram.Histogram;

import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * {@code scripts/bench hedging}, the health section: does the health model judge right on workloads beyond the
 * classic ones (issue 12)? Two {@link LatencyUpstream}s over real HTTP, the fat jar in its own process at its default
 * settings (only {@code max-concurrent-requests} raised for the step), and a watcher reading {@code /status} every
 * 100 ms for who is moved back:
 * <ol>
 *     <li><b>backup</b>: A lognormal(300 ms, 0.3) with 5% 10x slower, B lognormal(450 ms, 0.3), streamed at the
 *     bench's rate: B only ever serves hedges. It must never be demoted.</li>
 *     <li><b>step</b>: non-streamed at 20/s, A (300 ms) turns 5x slower halfway, B stays at 450 ms. A must leave
 *     first place within 10 s, and the p99 after that must be within 1.25x of B's own.</li>
 *     <li><b>step-streamed</b>: the same, streamed: A's first token turns 5x slower.</li>
 *     <li><b>gradual</b>: non-streamed at 20/s, A goes from 300 ms to 1.5 s over a minute. It must give up first place
 *     once clearly slower than B (twice B's median, at 900 ms).</li>
 *     <li><b>sub-millisecond</b>: A 0.5 ms, B 0.8 ms, streamed at 200/s on a fresh router (JIT warm-up noise). Nobody
 *     may be demoted.</li>
 *     <li><b>step to 1000/s</b>: a fresh router, idle, then 1000 streamed requests/s for 10 s to healthy upstreams. No
 *     request may fail.</li>
 *     <li><b>thousand-warm</b>: the same step on a router (and load client, and upstreams) that served a quarter of
 *     that rate for 15 s and then idled 5 s: a router in service has compiled its request path, a fresh JVM has not,
 *     and on a small host the cold JVMs' compilation alone can saturate it.</li>
 * </ol>
 */
final class HealthBench {
    static final LatencyUpstream.Model A = HedgingBench.A;
    static final LatencyUpstream.Model B = new LatencyUpstream.Model(Duration.ofMillis(450), 0.3, 0, 1);
    static final LatencyUpstream.Model PLAIN_A = new LatencyUpstream.Model(Duration.ofMillis(300), 0.3, 0, 1);
    private static final String STREAMED = "{\"model\":\"%s\",\"stream\":true,\"messages\":[{\"role\":\"user\","
            + "\"content\":\"Tell me something.\"}]}";
    private static final String WHOLE = "{\"model\":\"%s\",\"messages\":[{\"role\":\"user\","
            + "\"content\":\"Tell me something.\"}]}";

    private final PrintStream out;
    private final Path root;
    private final Path outDir;
    private final String stamp;
    /** The scenarios' names, for {@code --scenarios}. */
    static final List<String> SCENARIOS = List.of("backup", "step", "step-streamed", "gradual", "submillisecond",
                                                  "thousand", "thousand-warm");

    private final Duration phase;
    private final double rate;
    private final java.util.Set<String> only;
    /** The step's rate (1000/s unless {@code --step-rate}). */
    private double stepRate = 1000;

    /** @param only the scenarios to run ({@link #SCENARIOS}); all when empty */
    HealthBench(PrintStream out, Path root, Path outDir, String stamp, Duration phase, double rate,
                java.util.Set<String> only) {
        this.out = out;
        this.root = root;
        this.outDir = outDir;
        this.stamp = stamp;
        this.phase = phase;
        this.rate = rate;
        for (String name : only) {
            if (!SCENARIOS.contains(name)) {
                throw new IllegalArgumentException("--scenarios: " + name + " (expected: one of " + SCENARIOS + ")");
            }
        }
        this.only = only;
    }

    HealthBench stepRate(double perSecond) {
        this.stepRate = perSecond;
        return this;
    }

    private boolean runs(String scenario) {
        return only.isEmpty() || only.contains(scenario);
    }

    void run(Map<String, Double> m, int run) throws Exception {
        if (runs("backup")) {
            backup(m, run);
        }
        if (runs("step")) {
            step(m, run, false);
        }
        if (runs("step-streamed")) {
            step(m, run, true);
        }
        if (runs("gradual")) {
            gradual(m, run);
        }
        if (runs("submillisecond")) {
            subMillisecond(m, run);
        }
        if (runs("thousand")) {
            thousand(m, run, "thousand", false);
        }
        if (runs("thousand-warm")) {
            thousand(m, run, "thousand-warm", true);
        }
    }

    private void backup(Map<String, Double> m, int run) throws Exception {
        try (Setup s = new Setup(run + 300, "backup", A, B, "");
             Watcher w = new Watcher(s.router.address())) {
            LoadClient.Phase p = load(s, STREAMED, rate, phase);
            record(m, "health.backup", p, true);
            m.put("health.backup.b_demoted", w.movedBack("b/m") ? 1.0 : 0.0);
        }
    }

    /** A turns 5x slower halfway; streamed, the slowness is in its first token, non-streamed in the whole answer. */
    private void step(Map<String, Double> m, int run, boolean streamed) throws Exception {
        String name = streamed ? "step-streamed" : "step";
        String body = streamed ? STREAMED : WHOLE;
        try (Setup s = new Setup(run + (streamed ? 450 : 400), name, PLAIN_A, B, "");
             Watcher w = new Watcher(s.router.address())) {
            load(s, body, 20, phase.dividedBy(2));
            long changed = System.nanoTime();
            s.a.slowDown(5);
            load(s, body, 20, Duration.ofSeconds(10));
            LoadClient.Phase after = load(s, body, 20, phase.dividedBy(2));
            String key = "health." + name;
            record(m, key + ".after", after, streamed);
            m.put(key + ".left_after_s", w.firstMovedBack("a/m", changed));
            m.put(key + ".a_demoted_before", w.movedBackBefore("a/m", changed) ? 1.0 : 0.0);
        }
    }

    private void gradual(Map<String, Double> m, int run) throws Exception {
        try (Setup s = new Setup(run + 500, "gradual", PLAIN_A, B, "");
             Watcher w = new Watcher(s.router.address())) {
            load(s, WHOLE, 20, phase.dividedBy(2));
            long started = System.nanoTime();
            s.a.ramp(5, Duration.ofSeconds(60));
            LoadClient.Phase during = load(s, WHOLE, 20, Duration.ofSeconds(60));
            LoadClient.Phase after = load(s, WHOLE, 20, phase.dividedBy(2));
            record(m, "health.gradual.during", during, false);
            record(m, "health.gradual.after", after, false);
            // A passes twice B's median (900 ms) half-way down the ramp.
            long clearly = started + Duration.ofSeconds(30).toNanos();
            m.put("health.gradual.left_after_clearly_s", Report.round(w.firstMovedBack("a/m", started)
                    - Duration.ofNanos(clearly - started).toSeconds()));
            m.put("health.gradual.a_demoted_before", w.movedBackBefore("a/m", started) ? 1.0 : 0.0);
        }
    }

    private void subMillisecond(Map<String, Double> m, int run) throws Exception {
        LatencyUpstream.Model a = new LatencyUpstream.Model(Duration.ofNanos(500_000), 0.3, 0, 1);
        LatencyUpstream.Model b = new LatencyUpstream.Model(Duration.ofNanos(800_000), 0.3, 0, 1);
        try (Setup s = new Setup(run + 600, "submillisecond", a, b, "");
             Watcher w = new Watcher(s.router.address())) {
            LoadClient.Phase p = load(s, STREAMED, 200, phase);
            record(m, "health.submillisecond", p, true);
            m.put("health.submillisecond.demoted", w.movedBack("a/m") || w.movedBack("b/m") ? 1.0 : 0.0);
        }
    }

    private void thousand(Map<String, Double> m, int run, String name, boolean warm) throws Exception {
        try (Setup s = new Setup(run + (warm ? 800 : 700), name, PLAIN_A, HedgingBench.B,
                                 "server: {port: %d, max-concurrent-requests: 5000}")) {
            if (warm) {
                load(s, STREAMED, stepRate / 4, Duration.ofSeconds(15));
            }
            Thread.sleep(5_000); // idle
            // Who used the two cores during the step: the router, this JVM (load client and both upstreams), the host.
            CpuTime router = CpuTime.of(s.router.pid());
            CpuTime bench = CpuTime.self();
            long[] host = hostTicks();
            long started = System.nanoTime();
            LoadClient.Phase p = load(s, STREAMED, stepRate, Duration.ofSeconds(10));
            double seconds = (System.nanoTime() - started) / 1e9;
            long[] hostAfter = hostTicks();
            m.put("health." + name + ".router_cores", Report.round(
                    CpuTime.of(s.router.pid()).minus(router).totalNanos() / 1e9 / seconds));
            m.put("health." + name + ".bench_cores", Report.round(CpuTime.self().minus(bench).totalNanos() / 1e9 / seconds));
            m.put("health." + name + ".host_busy", hostAfter[1] == host[1] ? -1
                    : Report.round((hostAfter[0] - host[0]) / (double) (hostAfter[1] - host[1])));
            record(m, "health." + name + "", p, true);
            m.put("health." + name + ".errors", (double) (p.failed.sum() + p.timedOut));
            m.put("health." + name + ".bulkhead_skips", bulkheadSkips(s.router.address()));
            out.println(Report.fmt("    router %.2f cores, bench JVM (client + upstreams) %.2f cores, host busy %.0f%%",
                                   m.get("health." + name + ".router_cores"), m.get("health." + name + ".bench_cores"),
                                   100 * m.get("health." + name + ".host_busy")));
            p.errorKinds.forEach((kind, n) -> out.println("    " + n.sum() + " x " + kind));
            if (p.timedOut > 0) {
                out.println("    " + p.timedOut + " x unanswered at the phase's end");
            }
        }
    }

    /** {@code [busy, total]} jiffies of every CPU since boot, from {@code /proc/stat}; zeros when unreadable. */
    private static long[] hostTicks() {
        try {
            String[] f = Files.readAllLines(Path.of("/proc/stat")).getFirst().trim().split("\\s+");
            long total = 0;
            for (int i = 1; i < f.length; i++) {
                total += Long.parseLong(f[i]);
            }
            long idle = Long.parseLong(f[4]) + (f.length > 5 ? Long.parseLong(f[5]) : 0);
            return new long[]{total - idle, total};
        } catch (IOException | RuntimeException e) {
            return new long[]{0, 0};
        }
    }

    /** Candidates the router passed over because their bulkhead was full, from its metrics; -1 when unreadable. */
    private static double bulkheadSkips(InetSocketAddress router) {
        try {
            BenchHttp.Result result = BenchHttp.once(router, BenchHttp.get(router, "/observe/metrics"), 10_000);
            return result.body.toString().lines()
                    .filter(l -> l.startsWith("hedgerow_skips_total") && l.contains("reason=\"bulkhead\""))
                    .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    private LoadClient.Phase load(Setup s, String body, double perSecond, Duration duration)
            throws InterruptedException {
        LoadClient.Target target = new LoadClient.Target("chain", s.router.address(),
                                                         BenchHttp.post(s.router.address(), "/v1/chat/completions",
                                                                        String.format(body, "chain")));
        LoadClient.Phase p = LoadClient.openLoop(target, perSecond, duration, Duration.ofSeconds(30),
                                                 (int) Math.max(400, perSecond * 2));
        out.println(Report.fmt("  %-28s %6d ok, %d failed%s", s.name + " " + (int) perSecond + "/s " + duration.toSeconds()
                                       + "s", p.ok.sum(), p.failed.sum() + p.timedOut,
                               p.firstError == null ? "" : " (" + p.firstError + ")"));
        return p;
    }

    private static void record(Map<String, Double> m, String prefix, LoadClient.Phase p, boolean firstToken) {
        Histogram h = firstToken ? p.firstChunk : p.latency;
        m.put(prefix + ".p50_ms", Report.round(h.getValueAtPercentile(50) / 1e6));
        m.put(prefix + ".p99_ms", Report.round(h.getValueAtPercentile(99) / 1e6));
        m.put(prefix + ".failed", (double) (p.failed.sum() + p.timedOut));
    }

    void print(Report.Table table, Map<String, Double> m) {
        table.section("health: who is moved back, on workloads beyond the classic ones");
        row(table, m, "backup", "backup serving only hedges (streamed, " + (int) rate + "/s)", "health.backup");
        row(table, m, "step", "A 5x slower, non-streamed 20/s: after", "health.step.after");
        row(table, m, "step-streamed", "A 5x slower, streamed 20/s: after (first token)", "health.step-streamed.after");
        row(table, m, "gradual", "A 300 ms -> 1.5 s over 60 s: during the ramp", "health.gradual.during");
        row(table, m, "gradual", "A 300 ms -> 1.5 s over 60 s: after", "health.gradual.after");
        row(table, m, "submillisecond", "sub-millisecond upstreams (200/s)", "health.submillisecond");
        row(table, m, "thousand", "idle to " + (int) stepRate + "/s", "health.thousand");
        row(table, m, "thousand-warm", "idle to " + (int) stepRate + "/s, warm JVMs", "health.thousand-warm");
        table.row("B alone, non-streamed (Monte Carlo)", "", "", bAloneP99(), "", "", "");
    }

    private void row(Report.Table table, Map<String, Double> m, String scenario, String what, String prefix) {
        if (runs(scenario)) {
            table.row(what, m.get(prefix + ".p50_ms"), "", m.get(prefix + ".p99_ms"), "", "", "");
        }
    }

    /** {@code [verdict, what, value]} rows, for the scenarios that ran. */
    List<String[]> verdicts(Map<String, Double> m) {
        List<String[]> rows = new ArrayList<>();
        if (runs("backup")) {
            rows.add(verdict(m.get("health.backup.b_demoted") == 0,
                             "a healthy backup serving only hedges is never demoted",
                             m.get("health.backup.b_demoted") == 0 ? "never" : "demoted"));
        }
        List<String> degrading = java.util.stream.Stream.of("step", "step-streamed", "gradual").filter(this::runs)
                .toList();
        if (!degrading.isEmpty()) {
            double early = degrading.stream().mapToDouble(s -> m.get("health." + s + ".a_demoted_before")).sum();
            rows.add(verdict(early == 0, "the healthy primary is not demoted before it degrades ("
                    + degrading.size() + " scenarios)", early == 0 ? "never" : "demoted in " + (int) early));
        }
        if (runs("step")) {
            double left = m.get("health.step.left_after_s");
            rows.add(verdict(left <= 10, "the degrading primary leaves first place within 10 s", left + " s"));
            double ratio = Report.round(m.get("health.step.after.p99_ms") / bAloneP99());
            rows.add(verdict(ratio <= 1.25, "p99 after that <= 1.25x B's own", ratio + "x"));
        }
        if (runs("step-streamed")) {
            double leftStreamed = m.get("health.step-streamed.left_after_s");
            rows.add(verdict(leftStreamed <= 10, "streamed: the degrading primary leaves first place within 10 s",
                             leftStreamed + " s"));
            double ratioStreamed = Report.round(m.get("health.step-streamed.after.p99_ms") / bAloneP99());
            rows.add(verdict(ratioStreamed <= 1.25, "streamed: first-token p99 after that <= 1.25x B's own",
                             ratioStreamed + "x"));
        }
        if (runs("gradual")) {
            double gradual = m.get("health.gradual.left_after_clearly_s");
            rows.add(verdict(gradual <= 15, "a gradually degrading primary gives up first place within 15 s of being "
                    + "twice as slow as B (the recent window's lag)", gradual + " s"));
        }
        if (runs("submillisecond")) {
            rows.add(verdict(m.get("health.submillisecond.demoted") == 0, "no demotion of a sub-millisecond upstream",
                             m.get("health.submillisecond.demoted") == 0 ? "none" : "demoted"));
        }
        for (String step : List.of("thousand", "thousand-warm")) {
            if (!runs(step)) {
                continue;
            }
            String how = step.equals("thousand") ? "" : " (warm JVMs)";
            double errors = m.get("health." + step + ".errors");
            rows.add(verdict(errors == 0, "0 errors on the step from idle to " + (int) stepRate + "/s" + how,
                             String.valueOf((long) errors)));
            double shed = m.get("health." + step + ".bulkhead_skips");
            rows.add(verdict(shed == 0, "no candidate skipped for a full bulkhead on that step (healthy upstreams)"
                    + how, String.valueOf((long) shed)));
        }
        return rows;
    }

    private static String[] verdict(boolean met, String what, String value) {
        return new String[]{met ? "MET" : "MISSED", what, value};
    }

    /** B's own p99 for whole answers: lognormal(450 ms, 0.3). */
    private static double bAloneP99() {
        return Report.round(B.median().toMillis() * Math.exp(B.sigma() * 2.3263));
    }

    /** Reads {@code /status} every 100 ms: when each candidate was seen moved back for slowness. */
    private static final class Watcher implements AutoCloseable {
        private final Map<String, List<Long>> seen = new ConcurrentHashMap<>();
        private final Thread thread;

        Watcher(InetSocketAddress router) {
            HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                    .connectTimeout(Duration.ofSeconds(2)).build();
            HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + router.getPort() + "/status"))
                    .header("Accept", "application/json").timeout(Duration.ofSeconds(5)).build();
            thread = Thread.ofVirtual().start(() -> {
                while (!Thread.currentThread().isInterrupted()) {
                    try {
                        HttpResponse<String> response = client.send(request, HttpResponse.BodyHandlers.ofString());
                        long at = System.nanoTime();
                        for (JsonNode node : Report.MAPPER.readTree(response.body()).findParents("label")) {
                            if (node.path("state").asText().equals("demoted")) {
                                seen.computeIfAbsent(node.path("label").asText(),
                                                     l -> new java.util.concurrent.CopyOnWriteArrayList<>()).add(at);
                            }
                        }
                        Thread.sleep(100);
                    } catch (IOException e) {
                        return;
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            });
        }

        boolean movedBack(String label) {
            return seen.containsKey(label);
        }

        /** Whether {@code label} was seen moved back before {@code before} (for the primary: a false demotion). */
        boolean movedBackBefore(String label, long before) {
            return seen.getOrDefault(label, List.of()).stream().anyMatch(at -> at < before);
        }

        /** Seconds from {@code since} to when {@code label} was first seen moved back after it; infinite when never. */
        double firstMovedBack(String label, long since) {
            return seen.getOrDefault(label, List.of()).stream().filter(at -> at >= since).findFirst()
                    .map(at -> Report.round((at - since) / 1e9)).orElse(Double.POSITIVE_INFINITY);
        }

        @Override
        public void close() throws InterruptedException {
            thread.interrupt();
            thread.join();
        }
    }

    /** Two upstreams and a router at its default settings for one scenario. */
    private final class Setup implements AutoCloseable {
        final String name;
        final LatencyUpstream a;
        final LatencyUpstream b;
        final RouterProcess router;

        Setup(int seed, String name, LatencyUpstream.Model modelA, LatencyUpstream.Model modelB, String server)
                throws Exception {
            this.name = name;
            a = new LatencyUpstream(modelA, 1000 + seed);
            b = new LatencyUpstream(modelB, 2000 + seed);
            int port = HedgingBench.freePort();
            Path config = outDir.resolve("health-" + name + ".yaml");
            Files.writeString(config, ((server.isEmpty() ? "server: {port: %d}" : server) + """

                    observe: {preflight: off}   # no live checks: their calls would mix with the measured ones
                    state: {file: off}          # a fresh router per scenario and run: no health state carried over
                    providers:
                      a: {type: openai, base-url: "%s", keys: [{label: bench, value: bench-a}]}
                      b: {type: openai, base-url: "%s", keys: [{label: bench, value: bench-b}]}
                    routes:
                      chain: {chain: [a/m, b/m]}
                    """).formatted(port, a.baseUrl(), b.baseUrl()));
            InetSocketAddress address = new InetSocketAddress("127.0.0.1", port);
            router = RouterProcess.start(root, config, port, "", outDir.resolve("health-" + stamp + "-router.log"),
                                         BenchHttp.post(address, "/v1/chat/completions", String.format(WHOLE, "chain")),
                                         Duration.ofSeconds(60));
        }

        @Override
        public void close() throws Exception {
            router.close();
            a.close();
            b.close();
        }
    }
}
