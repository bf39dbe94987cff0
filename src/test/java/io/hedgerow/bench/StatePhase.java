package io.hedgerow.bench;

import io.hedgerow.testing.RedisServer;

import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * {@code scripts/bench overhead}'s {@code state} phase: what {@code state: redis} adds to a request. Back to back at
 * one open-loop rate: the run's router (local state), then a second router on the same upstream with
 * {@code state.store: redis} (a redis-server started here on a free port), once for a client without a rate limit (the
 * hot path reads only local copies: the goal is a p50 within 0.1 ms of local state) and once for a client with a
 * fleet-wide rate limit (high enough never to refuse), whose every request takes a token through Redis (one Lua
 * round trip on loopback).
 */
final class StatePhase {
    private static final String UNLIMITED = "bench-unlimited";
    private static final String LIMITED = "bench-limited";

    private StatePhase() {
    }

    static List<LoadClient.Phase> run(Map<String, Double> m, Path root, Path outDir, String baseConfig, int port,
                                      LoadClient.Target local, int rate, Duration phase, Duration warmup,
                                      Duration grace,
                                      String javaOpts, Path routerLog, PrintStream out) throws Exception {
        List<LoadClient.Phase> phases = new ArrayList<>();
        RedisServer redis;
        try {
            redis = RedisServer.start();
        } catch (Throwable e) { // the tool check skips by throwing JUnit's assumption failure
            out.println("  state: redis-server not installed (apt-get install redis-server): skipped");
            return phases;
        }
        try (redis) {
            String config = baseConfig.replace("server: {host: 127.0.0.1, port: " + port + "}",
                                               "server:\n  host: 127.0.0.1\n  port: " + port + "\n  client-keys:\n"
                                                       + "    - {name: unlimited, sha256: " + sha(UNLIMITED) + "}\n"
                                                       + "    - {name: limited, sha256: " + sha(LIMITED)
                                                       + ", rate-limit: 1000000, burst: 1000000}")
                    + "state: {store: redis, url: \"" + redis.url() + "\", key-prefix: \"bench:\", file: off}\n";
            Path file = outDir.resolve("overhead-router-redis.yaml");
            Files.writeString(file, config);
            InetSocketAddress address = new InetSocketAddress("127.0.0.1", port);
            byte[] plain = BenchHttp.post(address, "/v1/chat/completions", body(local.request()));
            LoadClient.Target unlimited = new LoadClient.Target("hedgerow-redis", address, bearer(plain, UNLIMITED));
            LoadClient.Target limited = new LoadClient.Target("hedgerow-redis-limited", address, bearer(plain, LIMITED));
            try (RouterProcess router = RouterProcess.start(root, file, port, javaOpts, routerLog, unlimited.request(),
                                                            Duration.ofSeconds(60))) {
                // The second router gets the warm-up the run's router got; local state is measured before and after
                // the two others (one histogram), so that drift on a shared machine does not favour either side.
                LoadClient.closedLoop(unlimited, 16, warmup);
                LoadClient.closedLoop(limited, 16, warmup.dividedBy(2));
                LoadClient.Phase l = LoadClient.openLoop(local, rate, phase.dividedBy(2), grace, 256);
                LoadClient.Phase u = LoadClient.openLoop(unlimited, rate, phase, grace, 256);
                LoadClient.Phase r = LoadClient.openLoop(limited, rate, phase, grace, 256);
                LoadClient.Phase l2 = LoadClient.openLoop(local, rate, phase.dividedBy(2), grace, 256);
                phases.addAll(List.of(l, u, r, l2));
                l.latency.add(l2.latency);
                put(m, "state.local", l);
                put(m, "state.redis", u);
                put(m, "state.redis_limited", r);
                out.println(Report.fmt("  state at %d req/s: p50 local %.3f, redis %.3f (%+.3f), redis + rate limit "
                                               + "%.3f (%+.3f) ms", rate, m.get("state.local.p50_ms"),
                                       m.get("state.redis.p50_ms"), m.get("state.redis.added.p50_ms"),
                                       m.get("state.redis_limited.p50_ms"), m.get("state.redis_limited.added.p50_ms")));
            }
        }
        return phases;
    }

    static void rows(Report.Table table, Map<String, Double> m, int rate) {
        table.section("State (" + rate + " req/s, open loop): latency p50 / p99 (ms); added: against local state");
        table.row("state: local", "", "", pair(m, "state.local"), "", "");
        table.row("state: redis", "", "", pair(m, "state.redis"),
                  Report.fmt("%+.3f / %+.3f", m.get("state.redis.added.p50_ms"), m.get("state.redis.added.p99_ms")),
                  "");
        table.row("state: redis, fleet-wide rate limit", "", "", pair(m, "state.redis_limited"),
                  Report.fmt("%+.3f / %+.3f", m.get("state.redis_limited.added.p50_ms"),
                             m.get("state.redis_limited.added.p99_ms")), "");
    }

    private static void put(Map<String, Double> m, String prefix, LoadClient.Phase p) {
        m.put(prefix + ".p50_ms", ms(p, 50));
        m.put(prefix + ".p99_ms", ms(p, 99));
        m.put(prefix + ".failures", (double) (p.failed.sum() + p.timedOut));
        m.put(prefix + ".achieved_rps", Math.rint(p.achievedRate()));
        if (!prefix.equals("state.local")) {
            m.put(prefix + ".added.p50_ms", Report.round(m.get(prefix + ".p50_ms") - m.get("state.local.p50_ms")));
            m.put(prefix + ".added.p99_ms", Report.round(m.get(prefix + ".p99_ms") - m.get("state.local.p99_ms")));
        }
    }

    private static String pair(Map<String, Double> m, String prefix) {
        return Report.fmt("%.3f / %.3f", m.get(prefix + ".p50_ms"), m.get(prefix + ".p99_ms"));
    }

    private static double ms(LoadClient.Phase p, double percentile) {
        return p.latency.getTotalCount() == 0 ? Double.NaN
                : Report.round(p.latency.getValueAtPercentile(percentile) / 1e6);
    }

    /** The JSON body of a request written by {@link BenchHttp#post}. */
    private static String body(byte[] request) {
        String text = new String(request, StandardCharsets.UTF_8);
        return text.substring(text.indexOf("\r\n\r\n") + 4);
    }

    private static byte[] bearer(byte[] request, String key) {
        String text = new String(request, StandardCharsets.UTF_8);
        int line = text.indexOf("\r\n") + 2;
        return (text.substring(0, line) + "Authorization: Bearer " + key + "\r\n" + text.substring(line))
                .getBytes(StandardCharsets.UTF_8);
    }

    private static String sha(String key) {
        try {
            return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
                                                              .digest(key.getBytes(StandardCharsets.UTF_8)));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
