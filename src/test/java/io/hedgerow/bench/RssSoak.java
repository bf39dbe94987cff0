package io.hedgerow.bench;

import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;

/**
 * {@code scripts/bench rss [--seconds 120] [--rate 1000]}: the router's memory under steady load, over minutes.
 * Short benchmark phases hide how the heap fills between collections; this holds one open-loop rate against the
 * router (started by {@code scripts/run}, so {@code JAVA_OPTS}, {@code HEDGEROW_HEAP} and friends apply) and
 * prints RSS (and its anonymous part) and heap use every 10 s, then the maxima and the latency percentiles.
 */
public final class RssSoak {
    private RssSoak() {
    }

    public static void main(String[] args) throws Exception {
        int seconds = 120;
        int rate = 1000;
        for (int i = 0; i + 1 < args.length; i += 2) {
            switch (args[i]) {
            case "--seconds" -> seconds = Integer.parseInt(args[i + 1]);
            case "--rate" -> rate = Integer.parseInt(args[i + 1]);
            default -> throw new IllegalArgumentException("unknown argument '" + args[i] + "'");
            }
        }
        if (seconds < 1 || seconds > 3600) {
            throw new IllegalArgumentException("--seconds 1..3600");
        }
        Path root = Path.of("").toAbsolutePath();
        Path outDir = root.resolve("target/bench");
        Files.createDirectories(outDir);
        Path log = outDir.resolve("soak.log");
        try (UpstreamProcess upstream = UpstreamProcess.start(List.of("-Xmx256m", "-XX:+UseSerialGC"),
                                                              List.of("--max-seconds", "3600"), log)) {
            int port;
            try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
                port = socket.getLocalPort();
            }
            Path config = outDir.resolve("soak-router.yaml");
            Files.writeString(config, """
                    server: {host: 127.0.0.1, port: %d}
                    observe: {preflight: off}   # no live checks: their calls would mix with the measured ones
                    providers:
                      bench: {type: openai, base-url: "%s", keys: [{label: bench, value: bench}]}
                    routes:
                      bench: {chain: [bench/%s]}
                    """.formatted(port, upstream.baseUrl(), FakeUpstream.MODEL));
            InetSocketAddress address = new InetSocketAddress("127.0.0.1", port);
            LoadClient.Target target = new LoadClient.Target("hedgerow", address, BenchHttp.post(
                    address, "/v1/chat/completions",
                    "{\"model\":\"bench\",\"messages\":[{\"role\":\"user\",\"content\":\"Say hello.\"}]}"));
            String javaOpts = System.getenv().getOrDefault("JAVA_OPTS", "");
            try (RouterProcess router = RouterProcess.start(root, config, port, javaOpts, log, target.request(),
                                                            Duration.ofSeconds(60))) {
                System.out.println("router: " + router.commandLine());
                LoadClient.closedLoop(target, 8, Duration.ofSeconds(5));
                long[] max = new long[3];
                Thread sampler = Thread.ofPlatform().daemon().start(() -> {
                    long t0 = System.nanoTime();
                    while (!Thread.currentThread().isInterrupted()) {
                        long rss = router.rssBytes().orElse(-1);
                        long anon = router.rssAnonBytes().orElse(-1);
                        long heap = router.heapBytes()[0];
                        max[0] = Math.max(max[0], rss);
                        max[1] = Math.max(max[1], anon);
                        max[2] = Math.max(max[2], heap);
                        System.out.println(String.format(Locale.ROOT, "  %4.0f s  RSS %4d MB  anonymous %4d MB  heap used %4d MB",
                                                         (System.nanoTime() - t0) / 1e9, rss >> 20, anon >> 20,
                                                         heap >> 20));
                        try {
                            Thread.sleep(10_000);
                        } catch (InterruptedException e) {
                            return;
                        }
                    }
                });
                LoadClient.Phase phase = LoadClient.openLoop(target, rate, Duration.ofSeconds(seconds),
                                                             Duration.ofSeconds(5), 1000);
                sampler.interrupt();
                sampler.join(5_000);
                System.out.println(String.format(Locale.ROOT, "max RSS %d MB, anonymous %d MB, heap used %d MB; "
                                                         + "%d requests at %.0f/s, %d failed; latency p50 %.3f p99 "
                                                         + "%.3f p99.9 %.3f ms", max[0] >> 20, max[1] >> 20,
                                                 max[2] >> 20, phase.ok.sum(), phase.achievedRate(),
                                                 phase.failed.sum() + phase.timedOut,
                                                 phase.latency.getValueAtPercentile(50) / 1e6,
                                                 phase.latency.getValueAtPercentile(99) / 1e6,
                                                 phase.latency.getValueAtPercentile(99.9) / 1e6));
            }
        }
        System.exit(0);
    }
}
