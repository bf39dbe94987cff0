package io.hedgerow.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.function.Function;

/**
 * {@code scripts/bench overhead}: what Hedgerow adds to every call (issue #7).
 *
 * <p>Two fake OpenAI upstreams ({@link FakeUpstream}, each its own process, answering at once; streams of 50 chunks,
 * written back to back by one and 1 ms apart by the other) are loaded directly and through Hedgerow (the fat
 * jar, started by {@code scripts/run}, its own process), phase by phase, direct first:
 * <ol>
 *   <li>warm-up, closed loop, both targets, JSON and streams;</li>
 *   <li>open loop at each rate (200, 1000, 3000 req/s): latency from each request's due time, so stalls are not
 *       hidden; <em>added</em> latency is Hedgerow's percentile minus the direct one;</li>
 *   <li>the other APIs at the first rate, open loop ({@link ApiPhase}): {@code /v1/embeddings}, and
 *       {@code /v1/responses} as written and translated, each beside the upstream's own API called directly;</li>
 *   <li>closed loop with 50 connections: peak throughput of each;</li>
 *   <li>paced streams, open loop: time to first content chunk, and each chunk's delay from its upstream write
 *       to its arrival at the client (Hedgerow's minus the direct one is the time added per chunk);</li>
 *   <li>burst streams, open loop: the stream's duration from first to last chunk; its increase divided by the
 *       49 gaps is what relaying costs per chunk when chunks come faster than they can be relayed.</li>
 * </ol>
 * and the router's memory (RSS from /proc, heap from its metrics) after warm-up and under load, and its start-up
 * time to the first served request. Everything is repeated {@code --runs} times (a fresh router each run); the
 * table shows medians, the JSON under {@code target/bench/} has every run.
 */
public final class OverheadBench {
    private static final String JSON_BODY = "{\"model\":\"%s\",\"messages\":[{\"role\":\"system\",\"content\":"
            + "\"You are terse.\"},{\"role\":\"user\",\"content\":\"Say hello to the benchmark.\"}],"
            + "\"max_tokens\":64,\"temperature\":0.2%s}";
    private static final String STREAM_FIELDS = ",\"stream\":true,\"stream_options\":{\"include_usage\":true}";
    private static final int MAX_CONNECTIONS = 1000;
    /** The floor proxy runs with the heap and collector scripts/run gives the router. */
    private static final List<String> ROUTER_JVM = List.of("-Xmx256m", "-XX:+UseG1GC");
    /** The gap between two chunks of a paced stream: each is relayed on its own, as with a real model. */
    private static final String PACE = "1ms";

    private final Options options;
    private final PrintStream out = System.out;
    private final Path root = Path.of("").toAbsolutePath();
    private final Path outDir;
    private final String stamp = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));

    private OverheadBench(Options options) {
        this.options = options;
        this.outDir = root.resolve("target/bench");
    }

    /** Command-line options; {@code --quick} is one short run, for a smoke test. */
    record Options(int runs, Duration phase, Duration warmup, List<Integer> rates, int peakConnections,
                   int streamRate, int chunks, boolean jfr, boolean markdown, List<String> phases,
                   boolean floor) {
        static Options parse(String[] args) {
            int runs = 3;
            Duration phase = Duration.ofSeconds(10);
            Duration warmup = Duration.ofSeconds(8);
            List<Integer> rates = List.of(200, 1000, 3000);
            int peak = 50;
            int streamRate = 50;
            int chunks = 50;
            boolean jfr = false;
            boolean markdown = false;
            List<String> phases = List.of("open", "state", "apis", "peak", "stream");
            boolean floor = true;
            for (int i = 0; i < args.length; i++) {
                String arg = args[i];
                Function<String, String> value = name -> {
                    throw new IllegalArgumentException(name + " needs a value");
                };
                String next = i + 1 < args.length ? args[i + 1] : null;
                switch (arg) {
                case "--quick" -> {
                    runs = 1;
                    phase = Duration.ofSeconds(3);
                    warmup = Duration.ofSeconds(4);
                }
                case "--runs" -> runs = Integer.parseInt(next == null ? value.apply(arg) : args[++i]);
                case "--phase" -> phase = Delay.duration(next == null ? value.apply(arg) : args[++i]);
                case "--warmup" -> warmup = Delay.duration(next == null ? value.apply(arg) : args[++i]);
                case "--rates" -> rates = java.util.Arrays.stream((next == null ? value.apply(arg) : args[++i])
                                                                          .split(","))
                        .map(String::trim).map(Integer::parseInt).toList();
                case "--peak-connections" -> peak = Integer.parseInt(next == null ? value.apply(arg) : args[++i]);
                case "--stream-rate" -> streamRate = Integer.parseInt(next == null ? value.apply(arg) : args[++i]);
                case "--chunks" -> chunks = Integer.parseInt(next == null ? value.apply(arg) : args[++i]);
                case "--jfr" -> jfr = true;
                case "--markdown" -> markdown = true;
                case "--no-floor" -> floor = false;
                case "--phases" -> phases = List.of((next == null ? value.apply(arg) : args[++i]).split(","));
                default -> throw new IllegalArgumentException("unknown argument '" + arg + "'");
                }
            }
            if (runs < 1 || runs > 9 || phase.toSeconds() > 120 || warmup.toSeconds() > 120) {
                throw new IllegalArgumentException("--runs 1..9, --phase and --warmup up to 120s");
            }
            if (!List.of("open", "state", "apis", "peak", "stream").containsAll(phases)) {
                throw new IllegalArgumentException("--phases: " + phases
                                                           + " (expected: some of open,state,peak,stream)");
            }
            return new Options(runs, phase, warmup, rates, peak, streamRate, chunks, jfr, markdown, phases, floor);
        }
    }

    public static void main(String[] args) throws Exception {
        Options options;
        try {
            options = Options.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println("bench overhead: " + e.getMessage());
            System.err.println("usage: scripts/bench overhead [--quick] [--runs N] [--phase 10s] [--warmup 8s] "
                                       + "[--rates 200,1000,3000] [--peak-connections 50] [--stream-rate 50] "
                                       + "[--chunks 50] [--phases open,state,apis,peak,stream] [--no-floor] [--jfr] [--markdown]");
            System.exit(2);
            return;
        }
        new OverheadBench(options).run();
        System.exit(0);
    }

    private void run() throws Exception {
        Files.createDirectories(outDir);
        Machine machine = Machine.describe();
        out.println("Hedgerow overhead benchmark: " + machine.summary());
        out.println(Report.fmt("%d run(s); phases of %d s after %d s of warm-up; logs in %s", options.runs(),
                               options.phase().toSeconds(), options.warmup().toSeconds(), root.relativize(outDir)));
        Path upstreamLog = outDir.resolve("overhead-" + stamp + "-upstream.log");
        Path routerLog = outDir.resolve("overhead-" + stamp + "-router.log");
        List<String> jvm = List.of("-Xmx256m", "-XX:+UseSerialGC");
        String chunks = String.valueOf(options.chunks());
        try (UpstreamProcess upstream = UpstreamProcess.start(
                jvm, List.of("--chunks", chunks, "--max-seconds", "3600"), upstreamLog);
             UpstreamProcess paced = UpstreamProcess.start(
                     jvm, List.of("--chunks", chunks, "--chunk-gap", PACE, "--max-seconds", "3600"), upstreamLog);
             UpstreamProcess floor = UpstreamProcess.start(
                     PassThroughProxy.class, ROUTER_JVM, List.of("--upstream", upstream.baseUrl().toString()),
                     upstreamLog)) {
            int port = freePort();
            Path config = outDir.resolve("overhead-router.yaml");
            Files.writeString(config, routerConfig(upstream, paced, port));
            InetSocketAddress router = new InetSocketAddress("127.0.0.1", port);
            Targets targets = new Targets(upstream.address(), paced.address(), floor.address(), router);
            check(targets.direct, false);
            check(targets.floor, false);
            check(targets.directStream, true);
            check(targets.directPaced, true);

            // A first start after a build may write the class-data archive: reported, not counted.
            long firstStart;
            try (RouterProcess first = RouterProcess.start(root, config, port, javaOpts(0), routerLog,
                                                           targets.proxied.request(), Duration.ofSeconds(60))) {
                firstStart = first.startupNanos();
                check(targets.proxied, false);
                check(targets.proxiedStream, true);
                check(targets.proxiedPaced, true);
                out.println("router: " + first.commandLine());
            }
            out.println(Report.fmt("first start after build: %.2f s", firstStart / 1e9));

            List<Map<String, Double>> runs = new ArrayList<>();
            ArrayNode runsJson = Report.MAPPER.createArrayNode();
            for (int r = 1; r <= options.runs(); r++) {
                ObjectNode runJson = runsJson.addObject();
                Map<String, Double> metrics = runOnce(r, targets, config, port, routerLog, runJson, upstream, paced,
                                                      floor);
                runs.add(metrics);
                runJson.set("metrics", Report.MAPPER.valueToTree(metrics));
            }
            Map<String, Double> median = Report.medians(runs);
            median.put("startup.first_after_build_ms", Report.round(firstStart / 1e6));
            Report.Table table = table(median);
            out.println();
            out.println("Median of " + options.runs() + " run(s); " + machine.summary());
            table.print(out);
            List<String> verdicts = targets(median);
            out.println();
            verdicts.forEach(out::println);
            if (options.markdown()) {
                out.println();
                table.printMarkdown(out);
            }

            ObjectNode json = Report.MAPPER.createObjectNode();
            json.put("benchmark", "overhead").put("timestamp", stamp);
            json.set("machine", machine.json());
            json.set("options", Report.MAPPER.createObjectNode().put("runs", options.runs())
                    .put("phase_seconds", options.phase().toSeconds())
                    .put("warmup_seconds", options.warmup().toSeconds())
                    .put("rates", options.rates().toString())
                    .put("peak_connections", options.peakConnections())
                    .put("stream_rate", options.streamRate()).put("chunks", options.chunks())
                    .put("jfr", options.jfr()));
            json.set("median", Report.MAPPER.valueToTree(median));
            json.set("targets", Report.MAPPER.valueToTree(verdicts));
            json.set("runs", runsJson);
            json.set("upstream_stats", upstream.stats());
            json.set("paced_upstream_stats", paced.stats());
            Path file = outDir.resolve("overhead-" + stamp + ".json");
            Report.write(file, json);
            out.println();
            out.println("JSON: " + root.relativize(file));
        }
    }

    /** The four kinds of request: JSON and stream, direct and through Hedgerow. */
    private static final class Targets {
        final LoadClient.Target direct;
        final LoadClient.Target floor;
        final LoadClient.Target proxied;
        final LoadClient.Target directStream;
        final LoadClient.Target proxiedStream;
        final LoadClient.Target directPaced;
        final LoadClient.Target proxiedPaced;

        Targets(InetSocketAddress upstream, InetSocketAddress paced, InetSocketAddress floorProxy,
                InetSocketAddress router) {
            String path = "/v1/chat/completions";
            floor = new LoadClient.Target("floor", floorProxy,
                                          BenchHttp.post(floorProxy, path, body(FakeUpstream.MODEL, false)));
            direct = new LoadClient.Target("direct", upstream,
                                           BenchHttp.post(upstream, path, body(FakeUpstream.MODEL, false)));
            proxied = new LoadClient.Target("hedgerow", router, BenchHttp.post(router, path, body("bench", false)));
            directStream = new LoadClient.Target("direct", upstream,
                                                 BenchHttp.post(upstream, path, body(FakeUpstream.MODEL, true)));
            proxiedStream = new LoadClient.Target("hedgerow", router,
                                                  BenchHttp.post(router, path, body("bench", true)));
            directPaced = new LoadClient.Target("direct", paced,
                                                BenchHttp.post(paced, path, body(FakeUpstream.MODEL, true)));
            proxiedPaced = new LoadClient.Target("hedgerow", router,
                                                 BenchHttp.post(router, path, body("bench-paced", true)));
        }

        private static String body(String model, boolean stream) {
            return String.format(JSON_BODY, model, stream ? STREAM_FIELDS : "");
        }
    }

    private Map<String, Double> runOnce(int run, Targets t, Path config, int port, Path routerLog, ObjectNode json,
                                        UpstreamProcess upstream, UpstreamProcess paced, UpstreamProcess floor)
            throws Exception {
        Map<String, Double> m = new LinkedHashMap<>();
        ArrayNode phases = json.putArray("phases");
        out.println();
        out.println("run " + run + "/" + options.runs());
        try (RouterProcess router = RouterProcess.start(root, config, port, javaOpts(run), routerLog,
                                                        t.proxied.request(), Duration.ofSeconds(60))) {
            m.put("startup_ms", Report.round(router.startupNanos() / 1e6));
            out.println(Report.fmt("  start-up to first served request: %.0f ms", router.startupNanos() / 1e6));

            Duration warm = options.warmup();
            LoadClient.closedLoop(t.direct, 16, warm.dividedBy(2));
            LoadClient.closedLoop(t.floor, 16, warm.dividedBy(2));
            LoadClient.closedLoop(t.proxied, 16, warm);
            LoadClient.closedLoop(t.directStream, 4, warm.dividedBy(4));
            LoadClient.closedLoop(t.proxiedStream, 4, warm.dividedBy(2));
            Thread.sleep(1000);
            long[] heap = router.heapBytes();
            m.put("memory.after_warmup.rss_mb", mb(router.rssBytes().orElse(-1)));
            m.put("memory.after_warmup.rss_anon_mb", mb(router.rssAnonBytes().orElse(-1)));
            m.put("memory.after_warmup.heap_used_mb", mb(heap[0]));
            m.put("memory.after_warmup.heap_committed_mb", mb(heap[1]));

            Duration grace = Duration.ofSeconds(5);
            for (int rate : options.phases().contains("open") ? options.rates() : List.<Integer>of()) {
                LoadClient.Phase d = LoadClient.openLoop(t.direct, rate, options.phase(), grace, MAX_CONNECTIONS);
                phase(phases, d);
                LoadClient.Phase f = options.floor()
                        ? LoadClient.openLoop(t.floor, rate, options.phase(), grace, MAX_CONNECTIONS)
                        : LoadClient.closedLoop(t.floor, 1, Duration.ofMillis(100));
                phase(phases, f);
                LoadClient.Phase p;
                try (MemorySampler sampler = new MemorySampler(router)) {
                    p = LoadClient.openLoop(t.proxied, rate, options.phase(), grace, MAX_CONNECTIONS);
                    sampler.into(m, "memory.at_" + rate + "rps");
                }
                phase(phases, p);
                openMetrics(m, "open." + rate, d, options.floor() ? f : null, p);
                out.println(Report.fmt("  %5d req/s  direct p50 %.3f p99 %.3f ms (%.0f/s)  hedgerow p50 %.3f p99 %.3f "
                                               + "ms (%.0f/s)%s", rate, p50(d), p99(d), d.achievedRate(), p50(p),
                                       p99(p), p.achievedRate(), p.failureRatio() > 0 ? " failures "
                                               + p.failed.sum() + "+" + p.timedOut + " " + p.firstError : ""));
            }

            if (options.phases().contains("state") && !options.rates().isEmpty()) {
                int statePort = freePort();
                StatePhase.run(m, root, outDir, routerConfig(upstream, paced, statePort), statePort, t.proxied,
                               options.rates().get(0), options.phase(), options.warmup(), grace, javaOpts(run),
                               routerLog, out)
                        .forEach(p -> phase(phases, p));
            }
            if (options.phases().contains("apis") && !options.rates().isEmpty()) {
                ApiPhase.run(m, upstream.address(), router.address(), t.direct, options.rates().get(0),
                             options.phase(), grace, out).forEach(p -> phase(phases, p));
            }
            if (options.phases().contains("peak")) {
                CpuTime client0 = CpuTime.self();
                CpuTime upstream0 = CpuTime.of(upstream.pid());
                LoadClient.Phase dPeak = LoadClient.closedLoop(t.direct, options.peakConnections(), options.phase());
                CpuTime client1 = CpuTime.self();
                CpuTime upstream1 = CpuTime.of(upstream.pid());
                phase(phases, dPeak);
                CpuTime floor0 = CpuTime.of(floor.pid());
                LoadClient.Phase fPeak = LoadClient.closedLoop(t.floor, options.peakConnections(), options.phase());
                CpuTime floor1 = CpuTime.of(floor.pid());
                CpuTime client2 = CpuTime.self();
                CpuTime upstream2 = CpuTime.of(upstream.pid());
                CpuTime router1 = CpuTime.of(router.pid());
                phase(phases, fPeak);
                cpu(m, "peak.floor.cpu_us.", fPeak, client2.minus(client1), upstream2.minus(upstream1),
                    floor1.minus(floor0));
                m.put("peak.floor.rps", Math.rint(fPeak.achievedRate()));
                m.put("peak.floor_ratio", Report.round(fPeak.achievedRate() / dPeak.achievedRate()));
                m.put("peak.floor.p50_ms", p50(fPeak));
                m.put("peak.floor.p99_ms", p99(fPeak));
                LoadClient.Phase pPeak;
                JsonNode stats0 = upstream.stats();
                try (MemorySampler sampler = new MemorySampler(router)) {
                    pPeak = LoadClient.closedLoop(t.proxied, options.peakConnections(), options.phase());
                    sampler.into(m, "memory.at_peak");
                }
                JsonNode stats1 = upstream.stats();
                phase(phases, pPeak);
                cpu(m, "peak.direct.cpu_us.", dPeak, client1.minus(client0), upstream1.minus(upstream0), null);
                cpu(m, "peak.hedgerow.cpu_us.", pPeak, CpuTime.self().minus(client2),
                    CpuTime.of(upstream.pid()).minus(upstream2), CpuTime.of(router.pid()).minus(router1));
                m.put("peak.hedgerow.upstream_connections", (double) (stats1.path("connections").asLong()
                        - stats0.path("connections").asLong()));
                m.put("peak.direct.rps", Math.rint(dPeak.achievedRate()));
                m.put("peak.hedgerow.rps", Math.rint(pPeak.achievedRate()));
                m.put("peak.ratio", Report.round(pPeak.achievedRate() / dPeak.achievedRate()));
                m.put("peak.direct.p50_ms", p50(dPeak));
                m.put("peak.hedgerow.p50_ms", p50(pPeak));
                m.put("peak.direct.p99_ms", p99(dPeak));
                m.put("peak.hedgerow.p99_ms", p99(pPeak));
                m.put("peak.hedgerow.failures", (double) (pPeak.failed.sum() + pPeak.timedOut));
                out.println(Report.fmt("  peak (%d connections): direct %.0f/s, hedgerow %.0f/s (%.0f%%)",
                                       options.peakConnections(), dPeak.achievedRate(), pPeak.achievedRate(),
                                       100 * pPeak.achievedRate() / dPeak.achievedRate()));
            }
            if (options.phases().contains("stream")) {
                JsonNode before = paced.stats();
                LoadClient.Phase dPaced = LoadClient.openLoop(t.directPaced, options.streamRate(), options.phase(), grace,
                                                              MAX_CONNECTIONS);
                phase(phases, dPaced);
                LoadClient.Phase pPaced;
                try (MemorySampler sampler = new MemorySampler(router)) {
                    pPaced = LoadClient.openLoop(t.proxiedPaced, options.streamRate(), options.phase(), grace,
                                                 MAX_CONNECTIONS);
                    sampler.into(m, "memory.streaming");
                }
                phase(phases, pPaced);
                JsonNode after = paced.stats();
                m.put("stream.hedgerow.upstream_abandoned", (double) (after.path("abandoned_streams").asLong()
                        - before.path("abandoned_streams").asLong()));
                LoadClient.Phase dBurst = LoadClient.openLoop(t.directStream, options.streamRate(), options.phase(), grace,
                                                              MAX_CONNECTIONS);
                phase(phases, dBurst);
                JsonNode burst0 = upstream.stats();
                LoadClient.Phase pBurst = LoadClient.openLoop(t.proxiedStream, options.streamRate(), options.phase(),
                                                              grace, MAX_CONNECTIONS);
                JsonNode burst1 = upstream.stats();
                phase(phases, pBurst);
                m.put("stream.burst.hedgerow.upstream_connections", (double) (burst1.path("connections").asLong()
                        - burst0.path("connections").asLong()));
                streamMetrics(m, "stream.paced", dPaced, pPaced);
                streamMetrics(m, "stream.burst", dBurst, pBurst);
                out.println(Report.fmt("  streams at %d/s: first chunk p50 direct %.3f, hedgerow %.3f ms; chunk delay "
                                               + "+%.3f ms; burst +%.4f ms per chunk", options.streamRate(),
                                       m.get("stream.paced.direct.ttfc.p50_ms"), m.get("stream.paced.hedgerow.ttfc.p50_ms"),
                                       m.get("stream.paced.added.lag.p50_ms"), m.get("stream.burst.added.per_chunk_ms")));
            }
        }
        return m;
    }

    /** CPU microseconds per answered request, per process, and the router's share spent in the kernel. */
    private static void cpu(Map<String, Double> m, String prefix, LoadClient.Phase phase, CpuTime client,
                            CpuTime upstream, CpuTime router) {
        double n = Math.max(1, phase.ok.sum());
        m.put(prefix + "client", Report.round(client.totalNanos() / n / 1000));
        m.put(prefix + "upstream", Report.round(upstream.totalNanos() / n / 1000));
        double total = client.totalNanos() + upstream.totalNanos();
        if (router != null) {
            m.put(prefix + "router", Report.round(router.totalNanos() / n / 1000));
            m.put(prefix + "router_system", Report.round(router.systemNanos() / n / 1000));
            total += router.totalNanos();
        }
        m.put(prefix + "total", Report.round(total / n / 1000));
    }

    private static void openMetrics(Map<String, Double> m, String prefix, LoadClient.Phase d, LoadClient.Phase f,
                                    LoadClient.Phase p) {
        // f is null with --no-floor: its short keep-warm loop measures nothing worth reporting.
        for (LoadClient.Phase phase : f == null ? List.of(d, p) : List.of(d, f, p)) {
            String k = prefix + "." + phase.target;
            m.put(k + ".p50_ms", p50(phase));
            m.put(k + ".p90_ms", pct(phase, 90));
            m.put(k + ".p99_ms", p99(phase));
            m.put(k + ".p99.9_ms", pct(phase, 99.9));
            m.put(k + ".achieved_rps", Math.rint(phase.achievedRate()));
            m.put(k + ".reachable", phase.reachable() ? 1.0 : 0.0);
            m.put(k + ".failures", (double) (phase.failed.sum() + phase.timedOut));
        }
        m.put(prefix + ".added.p50_ms", Report.round(p50(p) - p50(d)));
        m.put(prefix + ".added.p99_ms", Report.round(p99(p) - p99(d)));
        if (f != null) {
            m.put(prefix + ".floor_added.p50_ms", Report.round(p50(f) - p50(d)));
            m.put(prefix + ".floor_added.p99_ms", Report.round(p99(f) - p99(d)));
        }
    }

    private void streamMetrics(Map<String, Double> m, String prefix, LoadClient.Phase d, LoadClient.Phase p) {
        for (LoadClient.Phase phase : List.of(d, p)) {
            String k = prefix + "." + phase.target;
            m.put(k + ".ttfc.p50_ms", ms(phase.firstChunk.getValueAtPercentile(50)));
            m.put(k + ".ttfc.p99_ms", ms(phase.firstChunk.getValueAtPercentile(99)));
            m.put(k + ".total.p50_ms", p50(phase));
            m.put(k + ".total.p99_ms", p99(phase));
            m.put(k + ".tail.p50_ms", ms(phase.streamTail.getValueAtPercentile(50)));
            m.put(k + ".lag.p50_ms", ms(phase.chunkLag.getValueAtPercentile(50)));
            m.put(k + ".lag.p99_ms", ms(phase.chunkLag.getValueAtPercentile(99)));
            m.put(k + ".chunks_per_stream", phase.ok.sum() == 0 ? 0 : (double) phase.chunks.sum() / phase.ok.sum());
            m.put(k + ".failures", (double) (phase.failed.sum() + phase.timedOut));
            m.put(k + ".reachable", phase.reachable() ? 1.0 : 0.0);
            m.put(k + ".clock_anomalies", (double) phase.clockAnomalies.sum());
        }
        for (String metric : List.of("ttfc.p50", "ttfc.p99", "lag.p50", "lag.p99", "tail.p50")) {
            m.put(prefix + ".added." + metric + "_ms", Report.round(m.get(prefix + ".hedgerow." + metric + "_ms")
                                                                          - m.get(prefix + ".direct." + metric + "_ms")));
        }
        m.put(prefix + ".added.per_chunk_ms", Report.round(m.get(prefix + ".added.tail.p50_ms")
                                                                   / Math.max(1, options.chunks() - 1)));
    }

    private Report.Table table(Map<String, Double> m) {
        Report.Table table = new Report.Table("", "direct", "pass-through proxy", "via Hedgerow", "Hedgerow added",
                                              "Hedgerow / direct");
        if (options.phases().contains("open")) {
            table.section("Non-streaming, open loop: latency p50 / p99 (ms), from each request's due time");
            for (int rate : options.rates()) {
                String k = "open." + rate;
                table.row(rate + " req/s", open(m, k + ".direct"), options.floor() ? open(m, k + ".floor") : "",
                          open(m, k + ".hedgerow"),
                          reached(m, k + ".hedgerow") ? pair(m, k + ".added.p50_ms", k + ".added.p99_ms") : "-",
                          reached(m, k + ".hedgerow") ? ratio(m, k + ".hedgerow.p50_ms", k + ".direct.p50_ms") : "-");
            }
        }
        if (options.phases().contains("state") && m.containsKey("state.local.p50_ms")) {
            StatePhase.rows(table, m, options.rates().get(0));
        }
        if (options.phases().contains("apis") && !options.rates().isEmpty()) {
            ApiPhase.rows(table, m, options.rates().get(0));
        }
        if (options.phases().contains("peak")) {
            peakRows(table, m);
        }
        if (options.phases().contains("stream")) {
            streamRows(table, m);
        }
        memoryRows(table, m);
        return table;
    }

    private static boolean reached(Map<String, Double> m, String k) {
        return m.getOrDefault(k + ".reachable", 0.0) >= 0.5;
    }

    private static String open(Map<String, Double> m, String k) {
        return reached(m, k) ? pair(m, k + ".p50_ms", k + ".p99_ms")
                : Report.fmt("not reached (%.0f/s)", m.getOrDefault(k + ".achieved_rps", Double.NaN));
    }

    private void peakRows(Report.Table table, Map<String, Double> m) {
        table.section("Peak, closed loop, " + options.peakConnections() + " connections");
        table.row("throughput (req/s)", Report.fmt("%.0f", m.get("peak.direct.rps")),
                  Report.fmt("%.0f (%.0f%%)", m.get("peak.floor.rps"), 100 * m.get("peak.floor_ratio")),
                  Report.fmt("%.0f", m.get("peak.hedgerow.rps")), "",
                  Report.fmt("%.0f%%", 100 * m.get("peak.ratio")));
        table.row("latency p50 / p99 (ms)", pair(m, "peak.direct.p50_ms", "peak.direct.p99_ms"),
                  pair(m, "peak.floor.p50_ms", "peak.floor.p99_ms"),
                  pair(m, "peak.hedgerow.p50_ms", "peak.hedgerow.p99_ms"), "", "");
        table.row("CPU per request, all processes (us)", num1(m, "peak.direct.cpu_us.total"),
                  num1(m, "peak.floor.cpu_us.total"), num1(m, "peak.hedgerow.cpu_us.total"), "",
                  ratio(m, "peak.hedgerow.cpu_us.total", "peak.direct.cpu_us.total"));
        table.row("  the proxy's own (us; in the kernel)", "",
                  num1(m, "peak.floor.cpu_us.router") + "; " + num1(m, "peak.floor.cpu_us.router_system"),
                  num1(m, "peak.hedgerow.cpu_us.router") + "; " + num1(m, "peak.hedgerow.cpu_us.router_system"),
                  "", "");
        table.row("  load client / upstream (us)",
                  num1(m, "peak.direct.cpu_us.client") + " / " + num1(m, "peak.direct.cpu_us.upstream"),
                  num1(m, "peak.floor.cpu_us.client") + " / " + num1(m, "peak.floor.cpu_us.upstream"),
                  num1(m, "peak.hedgerow.cpu_us.client") + " / " + num1(m, "peak.hedgerow.cpu_us.upstream"), "", "");
        table.row("upstream connections opened", "", "",
                  Report.fmt("%.0f for %.0f requests", m.get("peak.hedgerow.upstream_connections"),
                             m.get("peak.hedgerow.rps") * options.phase().toSeconds()), "", "");
    }

    private void streamRows(Report.Table table, Map<String, Double> m) {
        table.section("Streaming, " + options.chunks() + " chunks, " + options.streamRate()
                              + " streams/s, open loop (ms)");
        String pd = "stream.paced.";
        table.row("time to first chunk p50 / p99", pair(m, pd + "direct.ttfc.p50_ms", pd + "direct.ttfc.p99_ms"), "",
                  pair(m, pd + "hedgerow.ttfc.p50_ms", pd + "hedgerow.ttfc.p99_ms"),
                  pair(m, pd + "added.ttfc.p50_ms", pd + "added.ttfc.p99_ms"),
                  ratio(m, pd + "hedgerow.ttfc.p50_ms", pd + "direct.ttfc.p50_ms"));
        table.row("chunk delay from upstream write p50 / p99 (" + PACE + " apart)",
                  pair(m, pd + "direct.lag.p50_ms", pd + "direct.lag.p99_ms"), "",
                  pair(m, pd + "hedgerow.lag.p50_ms", pd + "hedgerow.lag.p99_ms"),
                  pair(m, pd + "added.lag.p50_ms", pd + "added.lag.p99_ms"), "");
        String bd = "stream.burst.";
        table.row("first to last chunk p50 (sent back to back)", num(m, bd + "direct.tail.p50_ms"), "",
                  num(m, bd + "hedgerow.tail.p50_ms"),
                  Report.fmt("%.4f per chunk", m.get(bd + "added.per_chunk_ms")), "");
        table.row("upstream connections opened for the streams", "", "",
                  Report.fmt("%.0f for %.0f streams", m.get(bd + "hedgerow.upstream_connections"),
                             (double) options.streamRate() * options.phase().toSeconds()), "", "");
    }

    private void memoryRows(Report.Table table, Map<String, Double> m) {
        table.section("Router process (-Xmx256m, as scripts/run starts it)");
        table.row("RSS / heap used after warm-up (MB)", "", "",
                  Report.fmt("%.0f / %.0f", m.get("memory.after_warmup.rss_mb"),
                             m.get("memory.after_warmup.heap_used_mb")), "", "");
        if (options.rates().contains(1000) && options.phases().contains("open")) {
            table.row("max RSS / heap used at 1000 req/s (MB)", "", "",
                      Report.fmt("%.0f / %.0f", m.get("memory.at_1000rps.rss_max_mb"),
                                 m.get("memory.at_1000rps.heap_used_max_mb")), "", "");
        }
        if (options.phases().contains("peak")) {
            table.row("max RSS / heap used at peak (MB)", "", "",
                      Report.fmt("%.0f / %.0f", m.get("memory.at_peak.rss_max_mb"),
                                 m.get("memory.at_peak.heap_used_max_mb")), "", "");
        }
        table.row("start-up to first served request (s)", "", "",
                  Report.fmt("%.2f (first after build %.2f)", m.get("startup_ms") / 1000,
                             m.get("startup.first_after_build_ms") / 1000), "", "");
    }

    /** The targets, each with its measured value and PASS/MISS. */
    private List<String> targets(Map<String, Double> m) {
        List<String> lines = new ArrayList<>();
        if (options.rates().contains(1000) && options.phases().contains("open")) {
            verdict(lines, "added p50 at 1000 req/s <= 0.3 ms", m.get("open.1000.added.p50_ms"), 0.3, true, "ms");
            verdict(lines, "added p99 at 1000 req/s <= 2 ms", m.get("open.1000.added.p99_ms"), 2.0, true, "ms");
        }
        if (options.phases().contains("peak")) {
            verdict(lines, "peak throughput >= 50% of direct", 100 * m.get("peak.ratio"), 50.0, false, "%");
        }
        if (options.phases().contains("stream")) {
            verdict(lines, "added delay per streamed chunk p50 <= 0.2 ms", m.get("stream.paced.added.lag.p50_ms"),
                    0.2, true, "ms");
            verdict(lines, "relay cost per chunk (burst) <= 0.2 ms", m.get("stream.burst.added.per_chunk_ms"), 0.2,
                    true, "ms");
        }
        Double rss = options.rates().contains(1000) && options.phases().contains("open")
                ? m.get("memory.at_1000rps.rss_max_mb") : null;
        if (rss != null) {
            verdict(lines, "RSS at 1000 req/s <= 300 MB", rss, 300.0, true, "MB");
        }
        verdict(lines, "start-up to first served request <= 2 s", m.get("startup_ms") / 1000, 2.0, true, "s");
        return lines;
    }

    private static void verdict(List<String> lines, String what, Double value, double limit, boolean atMost,
                                String unit) {
        boolean ok = value != null && (atMost ? value <= limit : value >= limit);
        lines.add(Report.fmt("%s  %-42s measured %s %s", ok ? "PASS" : "MISS", what,
                             value == null ? "n/a" : Report.fmt("%.3f", value), unit));
    }

    private static String pair(Map<String, Double> m, String a, String b) {
        return Report.fmt("%.3f / %.3f", m.getOrDefault(a, Double.NaN), m.getOrDefault(b, Double.NaN));
    }

    private static String num1(Map<String, Double> m, String a) {
        return Report.fmt("%.1f", m.getOrDefault(a, Double.NaN));
    }

    private static String num(Map<String, Double> m, String a) {
        return Report.fmt("%.3f", m.getOrDefault(a, Double.NaN));
    }

    private static String ratio(Map<String, Double> m, String a, String b) {
        return Report.fmt("%.2fx", m.getOrDefault(a, Double.NaN) / m.getOrDefault(b, Double.NaN));
    }

    private static void phase(ArrayNode phases, LoadClient.Phase p) {
        ObjectNode node = phases.addObject();
        node.put("target", p.target).put("mode", p.mode).put("rate", p.rate).put("connections", p.connections)
                .put("scheduled", p.scheduled).put("ok", p.ok.sum()).put("failed", p.failed.sum())
                .put("timed_out", p.timedOut).put("achieved_rps", Report.round(p.achievedRate()))
                .put("reachable", p.reachable()).put("max_connections_open", p.maxConnectionsOpen.get());
        if (p.firstError != null) {
            node.put("first_error", p.firstError);
        }
        node.set("latency", Report.histogram(p.latency));
        node.set("service", Report.histogram(p.service));
        if (p.firstChunk.getTotalCount() > 0) {
            node.set("first_chunk", Report.histogram(p.firstChunk));
            node.set("first_to_last_chunk", Report.histogram(p.streamTail));
            node.set("chunk_delay", Report.histogram(p.chunkLag));
            node.put("clock_anomalies", p.clockAnomalies.sum());
        }
    }

    private static double p50(LoadClient.Phase p) {
        return pct(p, 50);
    }

    private static double p99(LoadClient.Phase p) {
        return pct(p, 99);
    }

    private static double pct(LoadClient.Phase p, double percentile) {
        return p.latency.getTotalCount() == 0 ? Double.NaN : ms(p.latency.getValueAtPercentile(percentile));
    }

    private static double ms(long nanos) {
        return Report.round(nanos / 1e6);
    }

    private static double mb(long bytes) {
        return bytes < 0 ? Double.NaN : Math.rint(bytes / 1e6);
    }

    private String javaOpts(int run) {
        String opts = System.getenv().getOrDefault("JAVA_OPTS", "");
        if (options.jfr()) {
            Path jfr = outDir.resolve("overhead-" + stamp + "-run" + run + ".jfr");
            opts += " -XX:StartFlightRecording=filename=" + jfr + ",settings=profile,dumponexit=true";
        }
        return opts.trim();
    }

    private String routerConfig(UpstreamProcess upstream, UpstreamProcess paced, int port) {
        return """
                # Written by scripts/bench overhead: OpenAI-compatible providers on the fake upstreams (the apis phase's too).
                server: {host: 127.0.0.1, port: %d}
                observe: {preflight: off}   # no live checks: their calls would mix with the measured ones
                providers:
                  bench:
                    type: openai
                    base-url: "%s"
                    keys: [{label: bench, value: bench}]
                  bench-paced:
                    type: openai
                    base-url: "%s"
                    keys: [{label: bench, value: bench}]
                %sroutes:
                  bench: {chain: [bench/%s]}
                  bench-paced: {chain: [bench-paced/%s]}
                %s""".formatted(port, upstream.baseUrl(), paced.baseUrl(), ApiPhase.providers(upstream.baseUrl().toString()),
                               FakeUpstream.MODEL, FakeUpstream.MODEL, ApiPhase.routes());
    }

    /** One request through a target, checked: a 200, and for streams every chunk and {@code [DONE]}. */
    private void check(LoadClient.Target target, boolean stream) throws IOException {
        BenchHttp.Result result = BenchHttp.once(target.address(), target.request(), 10_000);
        boolean ok = result.status == 200 && (stream ? result.done && result.contentChunks == options.chunks()
                : result.body.toString().contains("Hello from the bench upstream."));
        if (!ok) {
            throw new IOException("check failed for " + target.name() + (stream ? " stream" : "") + ": status "
                                          + result.status + ", " + result.contentChunks + " chunks, body "
                                          + result.body);
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    /** Samples the router's RSS every 100 ms and its heap every second while a phase runs; keeps the maxima. */
    private static final class MemorySampler implements AutoCloseable {
        private final RouterProcess router;
        private final Thread thread;
        private volatile boolean running = true;
        private volatile long maxRss = -1;
        private volatile long maxRssAnon = -1;
        private volatile long maxHeapUsed = -1;
        private volatile long maxHeapCommitted = -1;

        MemorySampler(RouterProcess router) {
            this.router = router;
            this.thread = Thread.ofPlatform().daemon().name("memory-sampler").start(this::loop);
        }

        private void loop() {
            int tick = 0;
            while (running) {
                OptionalLong rss = router.rssBytes();
                if (rss.isPresent()) {
                    maxRss = Math.max(maxRss, rss.getAsLong());
                }
                OptionalLong anon = router.rssAnonBytes();
                if (anon.isPresent()) {
                    maxRssAnon = Math.max(maxRssAnon, anon.getAsLong());
                }
                if (tick++ % 10 == 5) {
                    long[] heap = router.heapBytes();
                    maxHeapUsed = Math.max(maxHeapUsed, heap[0]);
                    maxHeapCommitted = Math.max(maxHeapCommitted, heap[1]);
                }
                try {
                    Thread.sleep(100);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }

        void into(Map<String, Double> m, String prefix) {
            stop();
            m.put(prefix + ".rss_max_mb", mb(maxRss));
            m.put(prefix + ".rss_anon_max_mb", mb(maxRssAnon));
            m.put(prefix + ".heap_used_max_mb", mb(maxHeapUsed));
            m.put(prefix + ".heap_committed_max_mb", mb(maxHeapCommitted));
        }

        private void stop() {
            running = false;
            thread.interrupt();
            try {
                thread.join(2000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        @Override
        public void close() {
            stop();
        }
    }
}
