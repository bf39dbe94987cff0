package io.hedgerow.bench;

import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What the chaos soak shares between its in-suite version ({@code ChaosSoakTest}, in-process) and
 * {@code scripts/bench soak} (the fat jar in its own process): the router's config over the chaos upstreams, the
 * route mix, the exactly-once accounting of client against router, and the probes of what must return to its
 * baseline (upstream connections, threads, heap).
 */
final class Soak {
    /** Routes and how often each is asked: a three-rung chain, a hedged pair, one candidate, a TLS-broken primary. */
    static final Map<String, Double> ROUTES = Map.of("chain", 0.4, "hedged", 0.25, "solo", 0.2, "tls", 0.15);
    /** The router's cap on an upstream answer; chaos answers this much over it. */
    static final int MAX_RESPONSE = 256 * 1024;

    private Soak() {
    }

    /** The router's config: short timeouts so faults resolve in seconds, and every route of {@link #ROUTES}. */
    static String routerConfig(List<ChaosUpstream> upstreams, int port) {
        StringBuilder providers = new StringBuilder();
        for (ChaosUpstream u : upstreams) {
            providers.append("  ").append(u.name()).append(":\n")
                    .append("    type: openai\n")
                    .append("    base-url: ").append(u.baseUrl()).append('\n')
                    .append("    keys: [{label: k1, value: sk-soak-").append(u.name()).append("-1}, {label: k2, value: sk-soak-")
                    .append(u.name()).append("-2}, {label: k3, value: sk-soak-").append(u.name()).append("-3}]\n")
                    .append("    key-rotation: round-robin\n")
                    .append("    max-response-size: ").append(MAX_RESPONSE).append('\n');
        }
        // TLS to the first upstream's plain-HTTP port: every call fails its handshake.
        providers.append("  tls:\n    type: openai\n    base-url: https://127.0.0.1:").append(upstreams.getFirst().port())
                .append("/v1\n    keys: [{label: soak, value: sk-soak-tls}]\n");
        String c1 = upstreams.get(0).name();
        String c2 = upstreams.get(1).name();
        String c3 = upstreams.get(2).name();
        return """
                server:
                  port: %d
                  request-timeout: 10s
                  max-concurrent-requests: 256
                  read-timeout: 10s
                  write-timeout: 10s
                  drain-timeout: 5s
                defaults:
                  timeouts: {connect: 1s, first-token: 2s, idle: 1s, total: 4s}
                failover:
                  retry: {max-attempts: 2, base-delay: 50ms, max-delay: 200ms, max-retry-after: 1s}
                  breaker: {window: 10s, minimum-calls: 10, failure-ratio: 0.6, open-for: 2s}
                hedging:
                  defaults: {enabled: false}
                observe: {preflight: off}   # no live checks: their calls would mix with the measured ones
                providers:
                %s
                routes:
                  chain: {chain: [%s/m, %s/m, %s/m]}
                  hedged: {chain: [%s/m, %s/m], hedge: {enabled: true, delay: 300ms}}
                  solo: {chain: [%s/m]}
                  tls: {chain: [tls/m, %s/m]}
                """.formatted(port, providers.toString().stripTrailing(),
                              c1, c2, c3, c2, c3, c1, c3);
    }

    /**
     * The exactly-once accounting: every request the clients sent was counted once by the router, and for every
     * outcome the router counted at least as many as the clients saw (a client that hung up on purpose saw nothing,
     * whatever the router sent); the surplus is exactly the hung-up requests. Returns what does not hold.
     */
    static List<String> accounting(SoakClient.Tally client, Map<String, Long> router) {
        List<String> problems = new ArrayList<>();
        Map<String, Long> seen = client.snapshot();
        long sent = client.sent.get();
        long counted = router.values().stream().mapToLong(Long::longValue).sum();
        if (counted != sent) {
            problems.add("the router counted " + counted + " requests, the clients sent " + sent);
        }
        if (router.getOrDefault("failed", 0L) > 0) {
            problems.add("the router failed " + router.get("failed") + " requests with an exception");
        }
        long surplus = 0;
        Set<String> outcomes = new TreeSet<>(router.keySet());
        seen.keySet().stream().filter(k -> !k.equals("abandoned") && !k.startsWith("anomaly")).forEach(outcomes::add);
        for (String outcome : outcomes) {
            long r = router.getOrDefault(outcome, 0L);
            long c = seen.getOrDefault(outcome, 0L);
            if (r < c) {
                problems.add(outcome + ": the clients saw " + c + ", the router sent " + r);
            }
            surplus += r - c;
        }
        long abandoned = seen.getOrDefault("abandoned", 0L);
        if (client.anomalyCount.sum() == 0 && surplus != abandoned) {
            problems.add("the router counted " + surplus + " answers no client saw, but " + abandoned
                                 + " requests were hung up on");
        }
        if (client.anomalyCount.sum() > 0) {
            problems.add(client.anomalyCount.sum() + " anomalies, e.g. " + client.anomalies);
        }
        if (client.unfinished > 0) {
            problems.add(client.unfinished + " requests still waiting at the end");
        }
        return problems;
    }

    /** The ledger's summary line as the router logs it at shutdown: {@code ok=10 ok_stream=7 status_429=1}. */
    static Map<String, Long> parseLedger(String line) {
        Map<String, Long> counts = new TreeMap<>();
        Matcher m = Pattern.compile("([a-z_0-9]+)=(\\d+)").matcher(line);
        while (m.find()) {
            counts.put(m.group(1), Long.parseLong(m.group(2)));
        }
        return counts;
    }

    /** Established TCP connections to these ports (the callers' side), from the kernel's table. */
    static int connectionsTo(Set<Integer> ports) {
        int n = 0;
        for (String file : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
            try {
                for (String line : Files.readAllLines(Path.of(file))) {
                    String[] f = line.trim().split("\\s+");
                    if (f.length < 4 || !f[0].endsWith(":")) {
                        continue;
                    }
                    int remote = Integer.parseInt(f[2].substring(f[2].lastIndexOf(':') + 1), 16);
                    if (f[3].equals("01") && ports.contains(remote)) {
                        n++;
                    }
                }
            } catch (IOException | RuntimeException e) {
                return -1;
            }
        }
        return n;
    }

    /** Threads of this JVM, virtual ones included, from a thread dump. */
    static int threadsHere(Path dir) {
        try {
            Path file = dir.resolve("threads-" + System.nanoTime() + ".json");
            ManagementFactory.getPlatformMXBean(com.sun.management.HotSpotDiagnosticMXBean.class)
                    .dumpThreads(file.toString(), com.sun.management.HotSpotDiagnosticMXBean.ThreadDumpFormat.JSON);
            int n = countThreads(Files.readString(file));
            Files.deleteIfExists(file);
            return n;
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /** The number of threads in a JSON thread dump ({@code jcmd PID Thread.dump_to_file -format=json}). */
    static int countThreads(String json) {
        Matcher m = Pattern.compile("\"tid\"\\s*:").matcher(json);
        int n = 0;
        while (m.find()) {
            n++;
        }
        return n;
    }

    /** Heap in use here after a full collection. */
    static long heapAfterGc() {
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    /** A probe's figures before and after, for the report. */
    record Baseline(int upstreamConnections, int threads, long heapBytes) {
        ObjectNode json() {
            ObjectNode node = Report.MAPPER.createObjectNode();
            node.put("upstream_connections", upstreamConnections).put("threads", threads)
                    .put("heap_mib", Report.round(heapBytes / 1048576.0));
            return node;
        }
    }

    /** Whether the figures after are back near the baseline: what does not hold. */
    static List<String> backToBaseline(Baseline before, Baseline after, int connectionSlack, int threadSlack,
                                       long heapSlack) {
        List<String> problems = new ArrayList<>();
        if (after.upstreamConnections() > before.upstreamConnections() + connectionSlack) {
            problems.add("upstream connections: " + before.upstreamConnections() + " before, "
                                 + after.upstreamConnections() + " after");
        }
        if (after.threads() > before.threads() + threadSlack) {
            problems.add("threads: " + before.threads() + " before, " + after.threads() + " after");
        }
        if (after.heapBytes() > before.heapBytes() + heapSlack) {
            problems.add("heap: " + before.heapBytes() / 1048576 + " MiB before, " + after.heapBytes() / 1048576
                                 + " MiB after a full GC");
        }
        return problems;
    }

    /** The upstreams' side: every exchange ended, and what was drawn. */
    static ObjectNode upstreamsJson(List<ChaosUpstream> upstreams) {
        ObjectNode node = Report.MAPPER.createObjectNode();
        for (ChaosUpstream u : upstreams) {
            ObjectNode one = node.putObject(u.name());
            one.put("exchanges", u.started()).put("ended", u.ended()).put("in_flight", u.inFlight())
                    .put("caller_left", u.callerLeft());
            one.set("faults", Report.MAPPER.valueToTree(u.faultsDrawn()));
        }
        return node;
    }

    static Map<String, Long> minus(Map<String, Long> after, Map<String, Long> before) {
        Map<String, Long> delta = new LinkedHashMap<>();
        after.forEach((k, v) -> {
            long d = v - before.getOrDefault(k, 0L);
            if (d != 0) {
                delta.put(k, d);
            }
        });
        return delta;
    }
}
