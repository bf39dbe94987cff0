package io.hedgerow.bench;

import io.hedgerow.HedgerowServer;
import io.hedgerow.config.ConfigLoader;

import com.fasterxml.jackson.databind.node.ObjectNode;

import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code scripts/bench alloc}: the router's heap allocation and CPU per request, measured in one JVM, so that a
 * change to the hot path can be judged on a noisy machine. Allocation hardly depends on what else the machine
 * is doing; throughput and latency do.
 *
 * <p>The fake upstream, Hedgerow ({@link HedgerowServer}, in-process) and the closed-loop load client share this
 * JVM. Each target is loaded for a fixed time and the JVM's allocated bytes (all threads: virtual threads
 * allocate through their carriers) and process CPU time are read before and after. Per request, Hedgerow's
 * share is the proxied figure minus the direct one (the client's and the upstream's work is the same in both).
 * Three windows per target; medians.
 */
public final class AllocBench {
    private static final String BODY = "{\"model\":\"%s\",\"messages\":[{\"role\":\"system\",\"content\":"
            + "\"You are terse.\"},{\"role\":\"user\",\"content\":\"Say hello to the benchmark.\"}],"
            + "\"max_tokens\":64,\"temperature\":0.2%s}";
    private static final String STREAM = ",\"stream\":true,\"stream_options\":{\"include_usage\":true}";

    private AllocBench() {
    }

    public static void main(String[] args) throws Exception {
        Duration window = Duration.ofSeconds(2);
        int connections = 8;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
            case "--window" -> window = Delay.duration(args[++i]);
            case "--connections" -> connections = Integer.parseInt(args[++i]);
            default -> {
                System.err.println("usage: scripts/bench alloc [--window 2s] [--connections 8]");
                System.exit(2);
            }
            }
        }
        Path outDir = Path.of("target/bench").toAbsolutePath();
        Files.createDirectories(outDir);
        com.sun.management.ThreadMXBean threads =
                (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        com.sun.management.OperatingSystemMXBean os =
                (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        Map<String, Double> m = new LinkedHashMap<>();
        Map<String, Double> failures = new LinkedHashMap<>();
        try (FakeUpstream fake = FakeUpstream.start(FakeUpstream.Settings.IMMEDIATE, 0)) {
            Path config = outDir.resolve("alloc-router.yaml");
            Files.writeString(config, """
                    server: {host: 127.0.0.1, port: 0}
                    observe: {preflight: off}   # no live checks: their calls would mix with the measured ones
                    providers:
                      bench: {type: openai, base-url: "%s", keys: [{label: bench, value: bench}]}
                    routes:
                      bench: {chain: [bench/%s]}
                    """.formatted(fake.baseUrl(), FakeUpstream.MODEL));
            ConfigLoader.Result loaded = ConfigLoader.load(config);
            if (!loaded.errors().isEmpty()) {
                throw new IllegalStateException(loaded.errors().toString());
            }
            try (HedgerowServer router = HedgerowServer.start(loaded.config().orElseThrow())) {
                InetSocketAddress up = new InetSocketAddress("127.0.0.1", fake.port());
                InetSocketAddress hr = new InetSocketAddress("127.0.0.1", router.port());
                String path = "/v1/chat/completions";
                List<LoadClient.Target> targets = List.of(
                        new LoadClient.Target("json.direct", up, BenchHttp.post(up, path,
                                                                                BODY.formatted(FakeUpstream.MODEL, ""))),
                        new LoadClient.Target("json.hedgerow", hr, BenchHttp.post(hr, path, BODY.formatted("bench", ""))),
                        new LoadClient.Target("stream.direct", up,
                                              BenchHttp.post(up, path, BODY.formatted(FakeUpstream.MODEL, STREAM))),
                        new LoadClient.Target("stream.hedgerow", hr,
                                              BenchHttp.post(hr, path, BODY.formatted("bench", STREAM))));
                for (LoadClient.Target target : targets) {
                    LoadClient.closedLoop(target, connections, window.multipliedBy(2)); // warm-up
                }
                for (LoadClient.Target target : targets) {
                    List<Double> bytes = new ArrayList<>();
                    List<Double> cpu = new ArrayList<>();
                    long connections0 = fake.connections();
                    long requests0 = fake.requests();
                    for (int w = 0; w < 3; w++) {
                        System.gc();
                        long a0 = threads.getTotalThreadAllocatedBytes();
                        long c0 = os.getProcessCpuTime();
                        LoadClient.Phase phase = LoadClient.closedLoop(target, connections, window);
                        long a1 = threads.getTotalThreadAllocatedBytes();
                        long c1 = os.getProcessCpuTime();
                        double n = Math.max(1, phase.ok.sum());
                        bytes.add((a1 - a0) / n);
                        cpu.add((c1 - c0) / n / 1000);
                        if (phase.failureRatio() > 0) {
                            failures.merge(target.name(), (double) (phase.failed.sum() + phase.timedOut), Double::sum);
                            System.out.println(target.name() + ": " + phase.firstError);
                        }
                    }
                    m.put(target.name() + ".upstream_connections_per_1000",
                          Math.rint(1000.0 * (fake.connections() - connections0)
                                            / Math.max(1, fake.requests() - requests0)));
                    m.put(target.name() + ".bytes", Math.rint(Report.median(bytes)));
                    m.put(target.name() + ".cpu_us", Report.round(Report.median(cpu)));
                }
            }
        }
        for (String kind : List.of("json", "stream")) {
            m.put(kind + ".router.bytes", m.get(kind + ".hedgerow.bytes") - m.get(kind + ".direct.bytes"));
            m.put(kind + ".router.cpu_us", Report.round(m.get(kind + ".hedgerow.cpu_us") - m.get(kind + ".direct.cpu_us")));
        }
        Report.Table table = new Report.Table("per request", "direct", "via Hedgerow", "Hedgerow's share");
        table.row("JSON: bytes allocated", Report.fmt("%.0f", m.get("json.direct.bytes")),
                  Report.fmt("%.0f", m.get("json.hedgerow.bytes")), Report.fmt("%.0f", m.get("json.router.bytes")));
        table.row("JSON: CPU (us)", Report.fmt("%.1f", m.get("json.direct.cpu_us")),
                  Report.fmt("%.1f", m.get("json.hedgerow.cpu_us")), Report.fmt("%.1f", m.get("json.router.cpu_us")));
        table.row("stream of 50 chunks: bytes allocated", Report.fmt("%.0f", m.get("stream.direct.bytes")),
                  Report.fmt("%.0f", m.get("stream.hedgerow.bytes")),
                  Report.fmt("%.0f", m.get("stream.router.bytes")));
        table.row("upstream connections per 1000 JSON requests", "",
                  Report.fmt("%.0f", m.get("json.hedgerow.upstream_connections_per_1000")), "");
        table.row("upstream connections per 1000 streams", "",
                  Report.fmt("%.0f", m.get("stream.hedgerow.upstream_connections_per_1000")), "");
        table.row("stream of 50 chunks: CPU (us)", Report.fmt("%.1f", m.get("stream.direct.cpu_us")),
                  Report.fmt("%.1f", m.get("stream.hedgerow.cpu_us")),
                  Report.fmt("%.1f", m.get("stream.router.cpu_us")));
        System.out.println("Allocation and CPU per request, one JVM, " + connections + " connections, medians of 3 "
                                   + "windows of " + window.toSeconds() + " s; " + Machine.describe().summary());
        table.print(System.out);
        if (!failures.isEmpty()) {
            System.out.println("failed requests: " + failures);
        }
        ObjectNode json = Report.MAPPER.createObjectNode();
        json.put("benchmark", "alloc");
        json.set("machine", Machine.describe().json());
        json.set("median", Report.MAPPER.valueToTree(m));
        json.set("failures", Report.MAPPER.valueToTree(failures));
        Path file = outDir.resolve("alloc-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"))
                                           + ".json");
        Report.write(file, json);
        System.out.println("JSON: " + Path.of("").toAbsolutePath().relativize(file));
        System.exit(0);
    }
}
