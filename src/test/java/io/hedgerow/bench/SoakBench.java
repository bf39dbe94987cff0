package io.hedgerow.bench;

import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * {@code scripts/bench soak}: the chaos soak against the real fat jar in its own process (started by
 * {@code scripts/run}, 256 MiB heap), bounded and on loopback only. Three {@link ChaosUpstream}s (in this JVM) inject
 * every fault class at random; {@link SoakClient}s send an open-loop mix of routes, streamed and not, hanging up on
 * purpose now and then. Default: ten minutes at 200 requests a second.
 *
 * <p>Afterwards it checks and reports: every request got exactly one complete answer or one clean error, counted on
 * both sides (the router logs its count when it stops, and SIGTERM stops it: the drain is part of the run); no
 * truncated answer passed as a success; every upstream exchange ended; upstream connections, the router's threads
 * (virtual ones included, from {@code jcmd Thread.dump_to_file}) and its heap after a full GC are back near their
 * baseline; and the router logged no warning outside its own request events (no stray stack trace). A table on
 * stdout, JSON in {@code target/bench/soak-TIME.json}; the exit code is 1 when a check fails.
 */
public final class SoakBench {
    private final PrintStream out = System.out;
    private final Path root = Path.of("").toAbsolutePath();
    private final Path outDir = root.resolve("target/bench");
    private final String stamp = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
    private final Duration duration;
    private final double rate;
    private final double hangUps;
    private final List<String> histograms = new ArrayList<>();

    private SoakBench(Duration duration, double rate, double hangUps) {
        this.duration = duration;
        this.rate = rate;
        this.hangUps = hangUps;
    }

    /** Kept so the level holds: the chaos upstreams' Helidon servers need not narrate their start and stop. */
    private static final java.util.logging.Logger HELIDON = java.util.logging.Logger.getLogger("io.helidon");

    public static void main(String[] args) throws Exception {
        HELIDON.setLevel(java.util.logging.Level.WARNING);
        Duration duration = Duration.ofMinutes(10);
        double rate = 200;
        double hangUps = 0.05;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
            case "--quick" -> duration = Duration.ofSeconds(60);
            case "--duration" -> {
                String text = args[++i];
                duration = text.matches("\\d+m") ? Duration.ofMinutes(Long.parseLong(text.replace("m", "")))
                        : Delay.duration(text);
            }
            case "--rate" -> rate = Double.parseDouble(args[++i]);
            case "--hang-ups" -> hangUps = Double.parseDouble(args[++i]);
            default -> {
                System.err.println("usage: scripts/bench soak [--quick] [--duration 10m] [--rate 200] [--hang-ups 0.05]");
                System.exit(2);
            }
            }
        }
        boolean passed = new SoakBench(duration, rate, hangUps).run();
        System.exit(passed ? 0 : 1);
    }

    private boolean run() throws Exception {
        Files.createDirectories(outDir);
        Machine machine = Machine.describe();
        out.println("Hedgerow chaos soak: " + machine.summary());
        out.println(Report.fmt("%.0f requests/s for %d s, %.0f%% of clients hanging up", rate, duration.toSeconds(),
                               hangUps * 100));
        List<ChaosUpstream> upstreams = new ArrayList<>();
        for (int i = 1; i <= 3; i++) {
            upstreams.add(new ChaosUpstream("c" + i, ChaosUpstream.defaultMix(), 7000 + i,
                                            Soak.MAX_RESPONSE + 4096));
        }
        Set<Integer> upstreamPorts = upstreams.stream().map(ChaosUpstream::port).collect(Collectors.toSet());
        int port = freePort();
        Path config = outDir.resolve("soak-router.yaml");
        Files.writeString(config, Soak.routerConfig(upstreams, port));
        Path log = outDir.resolve("soak-router-" + stamp + ".log");
        InetSocketAddress address = new InetSocketAddress("127.0.0.1", port);
        List<String> problems = new ArrayList<>();
        ObjectNode json = Report.MAPPER.createObjectNode();
        json.put("benchmark", "soak").put("timestamp", stamp).put("rate", rate)
                .put("duration_s", duration.toSeconds()).put("hang_up_share", hangUps);
        json.set("machine", machine.json());
        SoakClient.Tally warm;
        SoakClient.Tally tally;
        Soak.Baseline before;
        Soak.Baseline after;
        Map<String, Long> served;
        try {
            RouterProcess router = RouterProcess.start(root, config, port, "", log,
                                                       BenchHttp.get(address, "/v1/models"), Duration.ofSeconds(90));
            try {
                out.println("router up in " + router.startupNanos() / 1_000_000 + " ms; warming up ...");
                warm = new SoakClient(address, new SoakClient.Mix(Soak.ROUTES, 0.5, 0, 3, 5), 1, Map.of())
                        .run(Math.min(rate, 50), Duration.ofSeconds(15), Duration.ofSeconds(40));
                quiesce(upstreams);
                before = measure(router, upstreamPorts);
                out.println("baseline: " + before + "; soaking ...");
                tally = new SoakClient(address, new SoakClient.Mix(Soak.ROUTES, 0.5, hangUps, 3, 20), 42, Map.of())
                        .run(rate, duration, Duration.ofSeconds(60));
                quiesce(upstreams);
                after = measure(router, upstreamPorts);
            } finally {
                // SIGTERM: the router drains and logs what it served.
                router.close();
            }
            served = routerLedger(log);
        } finally {
            upstreams.forEach(ChaosUpstream::close);
        }

        // The router's count covers the warm-up and the start-up probe (one GET /v1/models) too.
        SoakClient.Tally all = merge(warm, tally);
        all.count("ok");
        all.sent.incrementAndGet();
        problems.addAll(Soak.accounting(all, served));
        for (ChaosUpstream u : upstreams) {
            if (u.inFlight() != 0 || u.started() != u.ended()) {
                problems.add(u.name() + ": " + u.inFlight() + " exchanges still open");
            }
        }
        // The router's pool may keep a few more idle keep-alive connections than after the warm-up.
        problems.addAll(Soak.backToBaseline(before, after, 16, 16, 32L * 1024 * 1024));
        List<String> stray = strayLogLines(log);
        if (!stray.isEmpty()) {
            problems.add(stray.size() + " log lines without their request event, e.g. " + stray.subList(0,
                                                                                               Math.min(5, stray.size())));
        }

        json.set("clients", Report.MAPPER.valueToTree(tally.snapshot()));
        json.put("sent", tally.sent.get()).put("achieved_rate", Report.round(tally.sent.get() / tally.seconds))
                .put("anomalies", tally.anomalyCount.sum());
        json.set("anomaly_examples", Report.MAPPER.valueToTree(tally.anomalies));
        json.set("router_ledger_incl_warmup", Report.MAPPER.valueToTree(served));
        json.set("warmup_clients", Report.MAPPER.valueToTree(warm.snapshot()));
        json.set("ok_latency", Report.histogram(tally.okLatency));
        json.set("upstreams", Soak.upstreamsJson(upstreams));
        json.set("baseline", before.json());
        json.set("after", after.json());
        json.put("stray_log_lines", stray.size());
        if (histograms.size() == 2) {
            json.set("heap_growth_bytes_by_class", Report.MAPPER.valueToTree(growth(histograms.get(0),
                                                                                    histograms.get(1), 15)));
        }
        json.set("problems", Report.MAPPER.valueToTree(problems));
        json.put("passed", problems.isEmpty());
        Path file = outDir.resolve("soak-" + stamp + ".json");
        Report.write(file, json);

        Report.Table table = new Report.Table("", "count");
        table.section("clients (the soak, warm-up excluded)");
        tally.snapshot().forEach((k, v) -> table.row(k, v));
        table.section("router (its own count at shutdown, warm-up included)");
        served.forEach((k, v) -> table.row(k, v));
        table.section("upstreams");
        for (ChaosUpstream u : upstreams) {
            table.row(u.name() + " exchanges / caller left / still open", u.started() + " / " + u.callerLeft() + " / "
                    + u.inFlight());
        }
        table.section("back to baseline (before -> after)");
        table.row("upstream connections", before.upstreamConnections() + " -> " + after.upstreamConnections());
        table.row("router threads (incl. virtual)", before.threads() + " -> " + after.threads());
        table.row("router heap after GC, MiB", before.heapBytes() / 1048576 + " -> " + after.heapBytes() / 1048576);
        table.row("ok latency p50 / p99, ms", Report.fmt("%.1f / %.1f", Report.ms(tally.okLatency.getValueAtPercentile(50)),
                                                         Report.ms(tally.okLatency.getValueAtPercentile(99))));
        table.row("stray log lines", stray.size());
        out.println();
        table.print(out);
        out.println();
        out.println(problems.isEmpty() ? "PASSED: every request got exactly one answer" : "FAILED:");
        problems.forEach(p -> out.println("  " + p));
        out.println("JSON: " + root.relativize(file) + "   router log: " + root.relativize(log));
        return problems.isEmpty();
    }

    private static SoakClient.Tally merge(SoakClient.Tally a, SoakClient.Tally b) {
        SoakClient.Tally all = new SoakClient.Tally();
        for (SoakClient.Tally t : List.of(a, b)) {
            t.snapshot().forEach((k, v) -> {
                for (long i = 0; i < v; i++) {
                    all.count(k);
                }
            });
            all.sent.addAndGet(t.sent.get());
            all.anomalyCount.add(t.anomalyCount.sum());
            all.anomalies.addAll(t.anomalies);
            all.unfinished += t.unfinished;
        }
        return all;
    }

    private Soak.Baseline measure(RouterProcess router, Set<Integer> upstreamPorts) throws Exception {
        jcmd(router.pid(), "GC.run");
        histograms.add(jcmdOutput(router.pid(), "GC.class_histogram"));
        long heap = router.heapBytes()[0];
        Path dump = outDir.resolve("soak-threads-" + System.nanoTime() + ".json");
        jcmd(router.pid(), "Thread.dump_to_file", "-format=json", dump.toString());
        int threads = Files.exists(dump) ? Soak.countThreads(Files.readString(dump)) : -1;
        Files.deleteIfExists(dump);
        return new Soak.Baseline(Soak.connectionsTo(upstreamPorts), threads, heap);
    }

    /** A jcmd's output (for the class histograms, whose growth the report lists). */
    private static String jcmdOutput(long pid, String... command) throws IOException, InterruptedException {
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> args = new ArrayList<>(List.of(Path.of(java).resolveSibling("jcmd").toString(),
                                                    String.valueOf(pid)));
        args.addAll(List.of(command));
        Process p = new ProcessBuilder(args).redirectErrorStream(true).start();
        String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor(60, TimeUnit.SECONDS);
        return text;
    }

    /** The classes whose live bytes grew most between two histograms ({@code jcmd GC.class_histogram}). */
    static Map<String, Long> growth(String before, String after, int top) {
        Map<String, Long> b = histogram(before);
        Map<String, Long> delta = new TreeMap<>();
        histogram(after).forEach((k, v) -> delta.put(k, v - b.getOrDefault(k, 0L)));
        Map<String, Long> largest = new java.util.LinkedHashMap<>();
        delta.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed()).limit(top)
                .forEach(e -> largest.put(e.getKey(), e.getValue()));
        return largest;
    }

    private static Map<String, Long> histogram(String text) {
        Map<String, Long> bytes = new TreeMap<>();
        for (String line : text.split("\n")) {
            String[] f = line.trim().split("\\s+");
            if (f.length >= 4 && f[0].endsWith(":")) {
                try {
                    bytes.merge(f[3], Long.parseLong(f[2]), Long::sum);
                } catch (NumberFormatException ignored) {
                    // the header line
                }
            }
        }
        return bytes;
    }

    private static void jcmd(long pid, String... command) throws IOException, InterruptedException {
        String java = ProcessHandle.current().info().command().orElse("java");
        Path jcmd = Path.of(java).resolveSibling("jcmd");
        List<String> args = new ArrayList<>(List.of(jcmd.toString(), String.valueOf(pid)));
        args.addAll(List.of(command));
        Process p = new ProcessBuilder(args).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .start();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
        }
    }

    /** Waits until no upstream exchange is open (the slowest fault gives up after 20 s), then a little longer. */
    private static void quiesce(List<ChaosUpstream> upstreams) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(40).toNanos();
        while (System.nanoTime() < deadline && upstreams.stream().anyMatch(u -> u.inFlight() > 0)) {
            Thread.sleep(50);
        }
        Thread.sleep(2_000);
    }

    /** The ledger line the router logs when it stops: {@code requests served: ok=1 ...}. */
    private static Map<String, Long> routerLedger(Path log) throws IOException {
        String last = null;
        for (String line : Files.readAllLines(log, StandardCharsets.UTF_8)) {
            int at = line.indexOf("requests served: ");
            if (at >= 0) {
                last = line.substring(at + "requests served: ".length());
            }
        }
        return last == null ? new TreeMap<>() : Soak.parseLedger(last);
    }

    /**
     * Warnings and errors the router logged outside its own events: any stack trace, and any WARNING or SEVERE from a
     * logger that is not Hedgerow's (Helidon's "internal server error", an unexpected I/O exception...). Both log
     * formats are read: one line ({@code TIME LEVEL LOGGER: MESSAGE}) and the JDK's two lines.
     */
    static List<String> strayLogLines(Path log) throws IOException {
        List<String> stray = new ArrayList<>();
        List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            if (line.startsWith("\tat ") || line.startsWith("Caused by: ")) {
                stray.add(line);
                continue;
            }
            String[] f = line.split(" ");
            if (f.length > 2 && (f[1].equals("WARNING") || f[1].equals("SEVERE"))) {
                if (!f[2].startsWith("io.hedgerow")) {
                    stray.add(line);
                }
            } else if ((line.startsWith("WARNING: ") || line.startsWith("SEVERE: ")) && i > 0
                    && !lines.get(i - 1).contains(" io.hedgerow.")) {
                stray.add(lines.get(i - 1) + " / " + line);
            }
        }
        return stray;
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
