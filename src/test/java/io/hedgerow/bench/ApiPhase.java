package io.hedgerow.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * {@code scripts/bench overhead}'s {@code apis} phase: what Hedgerow adds to the APIs beside Chat Completions, each
 * against the same fake upstream called directly, back to back at one open-loop rate (JSON answers):
 * {@code /v1/embeddings} (one input, a 768-float vector back), {@code /v1/responses} sent as written to a provider
 * with {@code responses: true}, and {@code /v1/responses} translated to Chat Completions (its direct yardstick is the
 * Chat Completions call the translation makes, so the row shows the translation's cost too).
 */
final class ApiPhase {
    /** Routes and providers the router's config adds for this phase. */
    static final String EMBED_ROUTE = "bench-embed";
    static final String RESPONSES_ROUTE = "bench-responses";
    static final String EMBED_MODEL = "bench-embed-model";

    private static final String EMBED_BODY = "{\"model\":\"%s\",\"input\":\"The benchmark's one sentence to embed, "
            + "about as long as a chunk of a document's heading.\"}";
    private static final String RESPONSES_BODY = "{\"model\":\"%s\",\"instructions\":\"You are terse.\","
            + "\"input\":\"Say hello to the benchmark.\",\"max_output_tokens\":64,\"temperature\":0.2,\"store\":false}";

    /** The three APIs measured: a name for keys, a label for the table, and the two targets. */
    private record Api(String key, String label, LoadClient.Target direct, LoadClient.Target hedgerow) {
    }

    /** Each API's key and label, in the table's order. */
    private static final List<Map.Entry<String, String>> LABELS = List.of(
            Map.entry("embeddings", "/v1/embeddings (one input, 768 floats)"),
            Map.entry("responses", "/v1/responses, as written (responses: true)"),
            Map.entry("responses_translated", "/v1/responses, translated (direct: Chat Completions)"));

    private ApiPhase() {
    }

    /** The router's extra providers and routes (appended to its config's providers and routes sections). */
    static String providers(String upstreamBaseUrl) {
        return """
                  bench-embed:
                    type: openai
                    base-url: "%s"
                    keys: [{label: bench, value: bench}]
                    models: [{name: %s, embedding-space: bench-space}]
                  bench-responses:
                    type: openai
                    base-url: "%s"
                    keys: [{label: bench, value: bench}]
                    responses: true
                """.formatted(upstreamBaseUrl, EMBED_MODEL, upstreamBaseUrl);
    }

    static String routes() {
        return """
                  %s: {chain: [bench-embed/%s]}
                  %s: {chain: [bench-responses/%s]}
                """.formatted(EMBED_ROUTE, EMBED_MODEL, RESPONSES_ROUTE, FakeUpstream.MODEL);
    }

    private static List<Api> apis(InetSocketAddress upstream, InetSocketAddress router, LoadClient.Target chat) {
        return List.of(
                new Api(LABELS.get(0).getKey(), LABELS.get(0).getValue(),
                        target("direct", upstream, "/v1/embeddings", EMBED_BODY, FakeUpstream.MODEL),
                        target("hedgerow", router, "/v1/embeddings", EMBED_BODY, EMBED_ROUTE)),
                new Api(LABELS.get(1).getKey(), LABELS.get(1).getValue(),
                        target("direct", upstream, "/v1/responses", RESPONSES_BODY, FakeUpstream.MODEL),
                        target("hedgerow", router, "/v1/responses", RESPONSES_BODY, RESPONSES_ROUTE)),
                new Api(LABELS.get(2).getKey(), LABELS.get(2).getValue(),
                        new LoadClient.Target("direct", chat.address(), chat.request()),
                        target("hedgerow", router, "/v1/responses", RESPONSES_BODY, "bench")));
    }

    /** Checks every target once (a 200 with the answer expected), then loads each at {@code rate}. */
    static List<LoadClient.Phase> run(Map<String, Double> m, InetSocketAddress upstream, InetSocketAddress router,
                                      LoadClient.Target chat, int rate, Duration phase, Duration grace,
                                      PrintStream out) throws IOException, InterruptedException {
        List<LoadClient.Phase> phases = new ArrayList<>();
        for (Api api : apis(upstream, router, chat)) {
            check(api.direct());
            check(api.hedgerow());
            LoadClient.closedLoop(api.direct(), 8, Duration.ofSeconds(2));
            LoadClient.closedLoop(api.hedgerow(), 8, Duration.ofSeconds(3));
            LoadClient.Phase d = LoadClient.openLoop(api.direct(), rate, phase, grace, 256);
            LoadClient.Phase h = LoadClient.openLoop(api.hedgerow(), rate, phase, grace, 256);
            phases.add(d);
            phases.add(h);
            String k = "apis." + api.key();
            put(m, k + ".direct", d);
            put(m, k + ".hedgerow", h);
            m.put(k + ".added.p50_ms", Report.round(m.get(k + ".hedgerow.p50_ms") - m.get(k + ".direct.p50_ms")));
            m.put(k + ".added.p99_ms", Report.round(m.get(k + ".hedgerow.p99_ms") - m.get(k + ".direct.p99_ms")));
            out.println(Report.fmt("  %s at %d req/s: p50 direct %.3f, hedgerow %.3f (%+.3f) ms%s", api.key(), rate,
                                   m.get(k + ".direct.p50_ms"), m.get(k + ".hedgerow.p50_ms"),
                                   m.get(k + ".added.p50_ms"), h.failureRatio() > 0
                                           ? " failures " + h.failed.sum() + "+" + h.timedOut + " " + h.firstError
                                           : ""));
        }
        return phases;
    }

    static void rows(Report.Table table, Map<String, Double> m, int rate) {
        table.section("Other APIs (" + rate + " req/s, open loop, JSON): latency p50 / p99 (ms), direct: the "
                              + "upstream's own API");
        for (Map.Entry<String, String> api : LABELS) {
            String k = "apis." + api.getKey();
            if (!m.containsKey(k + ".hedgerow.p50_ms")) {
                continue;
            }
            boolean reached = m.getOrDefault(k + ".hedgerow.reachable", 0.0) >= 0.5;
            table.row(api.getValue(), pair(m, k + ".direct"), "",
                      reached ? pair(m, k + ".hedgerow")
                              : Report.fmt("not reached (%.0f/s)", m.get(k + ".hedgerow.achieved_rps")),
                      Report.fmt("%+.3f / %+.3f", m.get(k + ".added.p50_ms"), m.get(k + ".added.p99_ms")),
                      Report.fmt("%.2fx", m.get(k + ".hedgerow.p50_ms") / m.get(k + ".direct.p50_ms")));
        }
    }

    private static LoadClient.Target target(String name, InetSocketAddress address, String path, String body,
                                            String model) {
        return new LoadClient.Target(name, address, BenchHttp.post(address, path, String.format(body, model)));
    }

    private static void check(LoadClient.Target target) throws IOException {
        BenchHttp.Result result = BenchHttp.once(target.address(), target.request(), 10_000);
        String body = result.body.toString();
        if (result.status != 200 || !(body.contains("\"embedding\"") || body.contains("Hello from the bench"))) {
            throw new IOException("check failed for " + target.name() + " at " + target.address() + ": status "
                                          + result.status + ", body " + body);
        }
    }

    private static void put(Map<String, Double> m, String prefix, LoadClient.Phase p) {
        m.put(prefix + ".p50_ms", ms(p, 50));
        m.put(prefix + ".p99_ms", ms(p, 99));
        m.put(prefix + ".achieved_rps", Math.rint(p.achievedRate()));
        m.put(prefix + ".reachable", p.reachable() ? 1.0 : 0.0);
        m.put(prefix + ".failures", (double) (p.failed.sum() + p.timedOut));
    }

    private static String pair(Map<String, Double> m, String prefix) {
        return Report.fmt("%.3f / %.3f", m.get(prefix + ".p50_ms"), m.get(prefix + ".p99_ms"));
    }

    private static double ms(LoadClient.Phase p, double percentile) {
        return p.latency.getTotalCount() == 0 ? Double.NaN
                : Report.round(p.latency.getValueAtPercentile(percentile) / 1e6);
    }
}
