package io.hedgerow.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.concurrent.LinkedBlockingDeque;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * The request-aware part of {@code scripts/bench hedging}: one route carrying prompts of very different sizes, where
 * time to first token is a heavy-tailed base plus prefill per prompt token, the same model on two providers
 * ({@link PromptLatency}, served by {@link PromptUpstream}). Each scenario warms the router up on its own traffic
 * (not measured), then measures open-loop requests through the real router, and computes on the very requests it
 * sent ({@link PairedYardsticks}): no hedging, the best fixed delay in hindsight at the measured extra load, and the
 * request-aware oracle (each size class's own quantile, in hindsight).
 *
 * <p>Scenarios: mixed sizes streamed and not, one size streamed, and the mixed and one-size streams again at a low
 * rate (2 requests/s), where the router has few samples per size to learn from.
 */
final class RequestAwareBench {
    /** A's time to first token: 300 ms lognormal (sigma 0.3) with 5% ten times slower, plus 50 ms per 1k tokens. */
    static final PromptLatency A = new PromptLatency(new LatencyUpstream.Model(Duration.ofMillis(300), 0.3, 0.05, 10),
                                                     Duration.ofMillis(50), Duration.ofMillis(200));
    /** B, the same model elsewhere: 400 ms lognormal (sigma 0.3), 60 ms per 1k tokens. */
    static final PromptLatency B = new PromptLatency(new LatencyUpstream.Model(Duration.ofMillis(400), 0.3, 0, 1),
                                                     Duration.ofMillis(60), Duration.ofMillis(200));

    /** Prompts of one size class: log-uniform between {@code minTokens} and {@code maxTokens}. */
    record SizeClass(String name, double weight, long minTokens, long maxTokens) {
    }

    /** What a scenario sends. */
    record Workload(String name, String description, List<SizeClass> classes, boolean streamed) {
        Workload {
            Objects.requireNonNull(name, "name");
            classes = List.copyOf(classes);
        }
    }

    static final List<SizeClass> MIXED = List.of(new SizeClass("short", 0.5, 300, 800),
                                                 new SizeClass("medium", 0.3, 5_000, 12_000),
                                                 new SizeClass("long", 0.2, 40_000, 90_000));
    static final List<SizeClass> SINGLE = List.of(new SizeClass("one size", 1, 1_500, 2_500));
    static final String MIXED_TEXT = "50% 300-800 tokens, 30% 5k-12k, 20% 40k-90k";

    private static final String FILLER_WORD = "lorem ";

    private final PrintStream out;
    private final Path root;
    private final Path outDir;
    private final String stamp;
    private final String filler;
    private final double baseMedianA;
    private java.util.Set<String> only = java.util.Set.of();
    private boolean fixedToo;

    RequestAwareBench(PrintStream out, Path root, Path outDir, String stamp) {
        this.out = out;
        this.root = root;
        this.outDir = outDir;
        this.stamp = stamp;
        long maxChars = MIXED.stream().mapToLong(SizeClass::maxTokens).max().orElseThrow() * PromptUpstream.CHARS_PER_TOKEN;
        this.filler = FILLER_WORD.repeat((int) (maxChars / FILLER_WORD.length() + 2));
        this.baseMedianA = A.baseMedianNanos(200_001) / 1e6;
    }

    /**
     * Runs only the scenarios named (all when empty); with {@code fixedToo}, each scenario is then run again on the
     * same requests through a router whose route has the classic fixed delay: the best fixed delay in hindsight of
     * the request-aware run, measured like it (keys {@code ra.SCENARIO.fixed.*}).
     */
    RequestAwareBench options(java.util.Set<String> scenarios, boolean fixedToo) {
        this.only = java.util.Set.copyOf(scenarios);
        this.fixedToo = fixedToo;
        return this;
    }

    /** Phases of one scenario: its rate, how long it warms up and how long it is measured. */
    record Pace(double rate, Duration warm, Duration measure) {
    }

    /** Every scenario of one run, into {@code m} (keys {@code ra.SCENARIO.*}). */
    void run(Map<String, Double> m, int run, Pace normal, Pace low) throws Exception {
        scenario(m, run, new Workload("mixed_stream", "mixed sizes, streamed", MIXED, true), normal);
        scenario(m, run, new Workload("mixed_whole", "mixed sizes, whole answers", MIXED, false), normal);
        scenario(m, run, new Workload("single_stream", "one size (1.5k-2.5k tokens), streamed", SINGLE, true), normal);
        scenario(m, run, new Workload("low_mixed_stream", "mixed sizes, streamed", MIXED, true), low);
        scenario(m, run, new Workload("low_single_stream", "one size, streamed", SINGLE, true), low);
    }

    // ---- one scenario ----

    private void scenario(Map<String, Double> m, int run, Workload w, Pace pace) throws Exception {
        if (!only.isEmpty() && !only.contains(w.name())) {
            return;
        }
        String prefix = "ra." + w.name();
        long seed = 31L * run + w.name().hashCode();
        try (Setup s = new Setup(seed, w.name(), java.util.OptionalLong.empty())) {
            long warmCount = Math.max(1, Math.round(pace.rate() * pace.warm().toNanos() / 1e9));
            drive(s, w, pace.rate(), pace.warm(), 0, seed);
            long upstreamBefore = s.a.requests() + s.b.requests();
            Driven d = drive(s, w, pace.rate(), pace.measure(), warmCount, seed);
            long upstream = s.a.requests() + s.b.requests() - upstreamBefore;
            judge(m, prefix, w, d, upstream);
            if (run == 1) {
                keepSamples(s, w);
            }
        }
        if (fixedToo) {
            long delay = Math.round(m.get(prefix + ".mc_best_fixed.delay_ms"));
            try (Setup s = new Setup(seed, w.name() + "-fixed", java.util.OptionalLong.of(delay))) {
                long warmCount = Math.max(1, Math.round(pace.rate() * pace.warm().toNanos() / 1e9));
                drive(s, w, pace.rate(), pace.warm(), 0, seed);
                long upstreamBefore = s.a.requests() + s.b.requests();
                Driven d = drive(s, w, pace.rate(), pace.measure(), warmCount, seed);
                long upstream = s.a.requests() + s.b.requests() - upstreamBefore;
                Paired p = paired(w, d);
                double[] slowdown = p.yardsticks().slowdowns(p.measured());
                String f = prefix + ".fixed";
                m.put(f + ".delay_ms", (double) delay);
                m.put(f + ".p99_ms", Report.round(PairedYardsticks.percentile(p.measured(), 99)));
                m.put(f + ".p99_slowdown", Report.round(PairedYardsticks.percentile(slowdown, 99)));
                m.put(f + ".extra_load", Report.round(upstream / (double) Math.max(1, d.ids.length) - 1));
                m.put(prefix + ".slowdown_vs_fixed", Report.round(m.get(prefix + ".p99_slowdown")
                                                                          / m.get(f + ".p99_slowdown")));
                m.put(prefix + ".p99_vs_fixed", Report.round(m.get(prefix + ".p99_ms") / m.get(f + ".p99_ms")));
                out.println(Report.fmt("  %-22s classic fixed %d ms, measured: p99 %.0f ms, p99 slowdown %.2f; extra "
                                               + "load %.1f%%", w.name(), delay, m.get(f + ".p99_ms"),
                                       m.get(f + ".p99_slowdown"), m.get(f + ".extra_load") * 100));
            }
        }
    }

    /** A phase's answered requests beside what A and B would have taken for each (the fakes' own draws). */
    private record Paired(PairedYardsticks yardsticks, double[] measured, int[] classes) {
    }

    private Paired paired(Workload w, Driven d) {
        int n = d.ok();
        double[] a = new double[n];
        double[] b = new double[n];
        double[] typical = new double[n];
        int[] classes = new int[n];
        double[] measured = new double[n];
        int j = 0;
        for (int i = 0; i < d.ids.length; i++) {
            if (Double.isNaN(d.latencyMs[i])) {
                continue;
            }
            long tokens = d.tokens[i];
            a[j] = A.nanos(aSeed(d.seed), d.ids[i], tokens, w.streamed()) / 1e6;
            b[j] = B.nanos(bSeed(d.seed), d.ids[i], tokens, w.streamed()) / 1e6;
            typical[j] = A.typicalNanos(tokens, w.streamed(), baseMedianA * 1e6) / 1e6;
            classes[j] = d.classes[i];
            measured[j] = d.latencyMs[i];
            j++;
        }
        return new Paired(new PairedYardsticks(a, b, typical, classes), measured, classes);
    }

    /**
     * The router's recorded requests ({@code GET /status/samples}) into {@code target/bench}, and {@code hedgerow
     * tune}'s table for them printed: the tuning aid on traffic whose truth the bench knows.
     */
    private void keepSamples(Setup s, Workload w) {
        try {
            BenchHttp.Result result = BenchHttp.once(s.router, BenchHttp.get(s.router, "/status/samples"), 30_000);
            if (result.status != 200) {
                out.println("  (samples: status " + result.status + ")");
                return;
            }
            Path file = outDir.resolve("hedging-" + stamp + "-" + w.name() + "-samples.jsonl");
            Files.writeString(file, result.body);
            io.hedgerow.tune.SampleCodec.Samples samples =
                    io.hedgerow.tune.SampleCodec.read(new java.io.StringReader(result.body.toString()));
            List<io.hedgerow.tune.TuneTable> tables = new io.hedgerow.tune.Replay(samples).tables();
            out.println("  hedgerow tune on them (" + root.relativize(file) + "):");
            out.print(io.hedgerow.tune.TuneCommand.text(tables, 0.1, samples.requests().size()).indent(4));
        } catch (IOException | RuntimeException e) {
            out.println("  (samples: " + e + ")");
        }
    }

    private void judge(Map<String, Double> m, String prefix, Workload w, Driven d, long upstream) {
        int n = d.ok();
        Paired p = paired(w, d);
        PairedYardsticks y = p.yardsticks();
        double[] measured = p.measured();
        int[] classes = p.classes();
        double[] slowdown = y.slowdowns(measured);
        double load = upstream / (double) Math.max(1, d.ids.length) - 1;
        m.put(prefix + ".p50_ms", Report.round(PairedYardsticks.percentile(measured, 50)));
        m.put(prefix + ".p99_ms", Report.round(PairedYardsticks.percentile(measured, 99)));
        m.put(prefix + ".p999_ms", Report.round(PairedYardsticks.percentile(measured, 99.9)));
        m.put(prefix + ".p99_slowdown", Report.round(PairedYardsticks.percentile(slowdown, 99)));
        m.put(prefix + ".extra_load", Report.round(load));
        m.put(prefix + ".failed", (double) (d.ids.length - n));
        for (int k = 0; k < w.classes().size() && w.classes().size() > 1; k++) {
            int c = k;
            double[] inClass = java.util.stream.IntStream.range(0, n).filter(i -> classes[i] == c)
                    .mapToDouble(i -> slowdown[i]).toArray();
            if (inClass.length > 0) {
                m.put(prefix + ".class" + k + ".p99_slowdown", Report.round(PairedYardsticks.percentile(inClass, 99)));
            }
        }
        PairedYardsticks.Outcome none = y.noHedging();
        PairedYardsticks.Outcome best = y.bestFixed(Math.max(0, load), 99);
        PairedYardsticks.Outcome oracle = y.requestAware(Math.max(0, load));
        m.put(prefix + ".mc_none.p99_ms", Report.round(none.latencyPercentile(99)));
        m.put(prefix + ".mc_none.p99_slowdown", Report.round(none.slowdownPercentile(99)));
        m.put(prefix + ".mc_best_fixed.delay_ms", Report.round(best.delay()));
        m.put(prefix + ".mc_best_fixed.extra_load", Report.round(best.extraLoad()));
        m.put(prefix + ".mc_best_fixed.p99_ms", Report.round(best.latencyPercentile(99)));
        m.put(prefix + ".mc_best_fixed.p99_slowdown", Report.round(best.slowdownPercentile(99)));
        m.put(prefix + ".mc_oracle.extra_load", Report.round(oracle.extraLoad()));
        m.put(prefix + ".mc_oracle.p99_ms", Report.round(oracle.latencyPercentile(99)));
        m.put(prefix + ".mc_oracle.p99_slowdown", Report.round(oracle.slowdownPercentile(99)));
        m.put(prefix + ".slowdown_vs_best_fixed",
              Report.round(PairedYardsticks.percentile(slowdown, 99) / best.slowdownPercentile(99)));
        m.put(prefix + ".p99_vs_best_fixed",
              Report.round(PairedYardsticks.percentile(measured, 99) / best.latencyPercentile(99)));
        out.println(Report.fmt("  %-22s %5d ok, %d failed; p99 %.0f ms, p99 slowdown %.2f (best fixed %.2f at "
                                       + "%.0f ms, oracle %.2f); extra load %.1f%%", w.name(), n, d.ids.length - n,
                               PairedYardsticks.percentile(measured, 99), PairedYardsticks.percentile(slowdown, 99),
                               best.slowdownPercentile(99), best.delay(), oracle.slowdownPercentile(99), load * 100));
    }

    // ---- the table ----

    void print(Report.Table table, Map<String, Double> m, Pace normal, Pace low) {
        table.section("request-aware: one route, prompts of mixed sizes (" + MIXED_TEXT + "); first token = "
                              + "A: lognormal(300ms, 0.3), 5% 10x slower, + 50ms/1k tokens; B: lognormal(400ms, 0.3) "
                              + "+ 60ms/1k tokens");
        for (String name : List.of("mixed_stream", "mixed_whole", "single_stream", "low_mixed_stream",
                                   "low_single_stream")) {
            String p = "ra." + name;
            if (!m.containsKey(p + ".p99_ms")) {
                continue;
            }
            double rate = name.startsWith("low_") ? low.rate() : normal.rate();
            table.row(name + Report.fmt(" (%.0f/s), measured", rate), m.get(p + ".p50_ms"), m.get(p + ".p99_ms"),
                      m.get(p + ".p999_ms"), m.get(p + ".p99_slowdown"), pct(m.get(p + ".extra_load")));
            table.row("  no hedging (same requests)", "", m.get(p + ".mc_none.p99_ms"), "",
                      m.get(p + ".mc_none.p99_slowdown"), "0%");
            table.row("  best fixed in hindsight (" + Math.round(m.getOrDefault(p + ".mc_best_fixed.delay_ms", 0d))
                              + " ms)", "", m.get(p + ".mc_best_fixed.p99_ms"), "",
                      m.get(p + ".mc_best_fixed.p99_slowdown"), "<= " + pct(m.get(p + ".extra_load")));
            table.row("  request-aware oracle", "", m.get(p + ".mc_oracle.p99_ms"), "",
                      m.get(p + ".mc_oracle.p99_slowdown"), pct(m.get(p + ".mc_oracle.extra_load")));
            if (m.containsKey(p + ".fixed.p99_ms")) {
                table.row("  classic fixed " + Math.round(m.get(p + ".fixed.delay_ms")) + " ms, measured", "",
                          m.get(p + ".fixed.p99_ms"), "", m.get(p + ".fixed.p99_slowdown"),
                          pct(m.get(p + ".fixed.extra_load")));
            }
            if (name.contains("mixed")) {
                table.row("  p99 slowdown of short / medium / long", "", "", "",
                          m.get(p + ".class0.p99_slowdown") + " / " + m.get(p + ".class1.p99_slowdown") + " / "
                                  + m.get(p + ".class2.p99_slowdown"), "");
            }
        }
    }

    /** The targets: mixed sizes at most 0.6x the best fixed delay's p99 slowdown, one size within 1.05x. */
    List<String[]> verdicts(Map<String, Double> m) {
        List<String[]> verdicts = new ArrayList<>();
        for (String name : List.of("mixed_stream", "mixed_whole", "low_mixed_stream")) {
            Double ratio = m.get("ra." + name + ".slowdown_vs_best_fixed");
            if (ratio != null) {
                verdicts.add(new String[] {ratio <= 0.6 ? "MET" : "MISSED",
                        "request-aware " + name + ": p99 slowdown <= 0.6x the best fixed delay's at that load",
                        ratio + "x"});
            }
        }
        for (String name : List.of("single_stream", "low_single_stream")) {
            Double ratio = m.get("ra." + name + ".p99_vs_best_fixed");
            if (ratio != null) {
                verdicts.add(new String[] {ratio <= 1.05 ? "MET" : "MISSED",
                        "request-aware " + name + ": p99 <= 1.05x the best fixed delay's at that load", ratio + "x"});
            }
        }
        // Beside the yardsticks (computed, no router in the way): the classic fixed delay run through the same router
        // on the same requests (--fixed-too), which pays the same overheads.
        for (String name : List.of("mixed_stream", "mixed_whole", "low_mixed_stream")) {
            Double ratio = m.get("ra." + name + ".slowdown_vs_fixed");
            if (ratio != null) {
                verdicts.add(new String[] {ratio <= 0.6 ? "MET" : "MISSED", "request-aware " + name
                        + ": p99 slowdown <= 0.6x the classic fixed delay's, both measured", ratio + "x"});
            }
        }
        for (String name : List.of("single_stream", "low_single_stream")) {
            Double ratio = m.get("ra." + name + ".p99_vs_fixed");
            if (ratio != null) {
                verdicts.add(new String[] {ratio <= 1.05 ? "MET" : "MISSED", "request-aware " + name
                        + ": p99 <= 1.05x the classic fixed delay's, both measured", ratio + "x"});
            }
        }
        return verdicts;
    }

    private static String pct(Double share) {
        return share == null ? "" : Report.fmt("%.1f%%", share * 100);
    }

    // ---- load ----

    /** What one phase sent and measured, per request, in the order sent. */
    private record Driven(long seed, long[] ids, long[] tokens, int[] classes, double[] latencyMs) {
        int ok() {
            int n = 0;
            for (double l : latencyMs) {
                if (!Double.isNaN(l)) {
                    n++;
                }
            }
            return n;
        }
    }

    /**
     * Open loop: request {@code i} is due at {@code start + i / rate} and its latency is counted from then (to the
     * first content chunk of a stream, to the end of a whole answer). Sizes and ids come from {@code seed}, so
     * every scenario's requests are the same in every run but the ids.
     */
    private Driven drive(Setup s, Workload w, double rate, Duration duration, long firstId, long seed)
            throws InterruptedException {
        int count = (int) Math.max(1, Math.round(rate * duration.toNanos() / 1e9));
        long[] ids = new long[count];
        long[] tokens = new long[count];
        int[] classes = new int[count];
        double[] latency = new double[count];
        java.util.Arrays.fill(latency, Double.NaN);
        SplittableRandom random = new SplittableRandom(seed * 1_000_003 + firstId);
        for (int i = 0; i < count; i++) {
            ids[i] = firstId + i;
            classes[i] = pick(w.classes(), random.nextDouble());
            SizeClass c = w.classes().get(classes[i]);
            double logTokens = Math.log(c.minTokens()) + random.nextDouble() * Math.log((double) c.maxTokens() / c.minTokens());
            long wanted = Math.round(Math.exp(logTokens));
            // What the fake will count: the marker and the filler, a token per 3 characters.
            String marker = "req-" + ids[i] + " ";
            int fillerChars = (int) Math.max(0, wanted * PromptUpstream.CHARS_PER_TOKEN - marker.length());
            tokens[i] = (marker.length() + fillerChars) / PromptUpstream.CHARS_PER_TOKEN;
        }
        double period = 1e9 / rate;
        AtomicInteger finished = new AtomicInteger();
        try (Pool pool = new Pool(s.router, 400)) {
            long start = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(5);
            for (int i = 0; i < count; i++) {
                long due = start + (long) (i * period);
                long wait;
                while ((wait = due - System.nanoTime()) > 0) {
                    LockSupport.parkNanos(wait);
                }
                int index = i;
                Thread.ofVirtual().start(() -> {
                    try {
                        latency[index] = send(pool, w, ids[index], tokens[index], due);
                    } finally {
                        finished.incrementAndGet();
                    }
                });
            }
            long deadline = start + (long) (count * period) + TimeUnit.SECONDS.toNanos(60);
            while (finished.get() < count && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
        }
        return new Driven(seed, ids, tokens, classes, latency);
    }

    private static int pick(List<SizeClass> classes, double u) {
        double total = classes.stream().mapToDouble(SizeClass::weight).sum();
        double seen = 0;
        for (int k = 0; k < classes.size(); k++) {
            seen += classes.get(k).weight() / total;
            if (u < seen) {
                return k;
            }
        }
        return classes.size() - 1;
    }

    /** One request; its latency in ms from its due time, NaN when it failed. */
    private double send(Pool pool, Workload w, long id, long tokens, long due) {
        String marker = "req-" + id + " ";
        int fillerChars = (int) Math.max(0, tokens * PromptUpstream.CHARS_PER_TOKEN - marker.length());
        String body = "{\"model\":\"hedged\",\"stream\":" + w.streamed()
                + (w.streamed() ? ",\"stream_options\":{\"include_usage\":true}" : "")
                + ",\"messages\":[{\"role\":\"user\",\"content\":\"" + marker + filler.substring(0, fillerChars)
                + "\"}]}";
        byte[] request = BenchHttp.post(pool.address, "/v1/chat/completions", body);
        BenchHttp.Connection connection = null;
        try {
            connection = pool.acquire();
            BenchHttp.Result result = new BenchHttp.Result();
            connection.exchange(request, result, null, false);
            long done = System.nanoTime();
            pool.release(connection, result.keepAlive);
            connection = null;
            if (result.status != 200 || (w.streamed() && (result.contentChunks == 0 || !result.done))) {
                return Double.NaN;
            }
            return ((w.streamed() ? result.firstContentNanos : done) - due) / 1e6;
        } catch (IOException | RuntimeException | InterruptedException e) {
            if (connection != null) {
                pool.release(connection, false);
            }
            return Double.NaN;
        }
    }

    private static long aSeed(long seed) {
        return 1000 + seed;
    }

    private static long bSeed(long seed) {
        return 2000 + seed;
    }

    /**
     * Keep-alive connections to the router, opened on demand up to a cap. A connection idle for
     * {@value #MAX_IDLE_SECONDS} s is closed rather than reused: the router closes kept-alive connections idle for
     * 60 s ({@code server.idle-timeout}), and at 2 requests/s the pool's last connections sit that long (a request
     * sent on one failed, one per low-rate run).
     */
    private static final class Pool implements AutoCloseable {
        static final int MAX_IDLE_SECONDS = 30;
        final InetSocketAddress address;
        private final int max;
        private final LinkedBlockingDeque<BenchHttp.Connection> idle = new LinkedBlockingDeque<>();
        private final Map<BenchHttp.Connection, Long> idleSince = new java.util.concurrent.ConcurrentHashMap<>();
        private final List<BenchHttp.Connection> all = new java.util.concurrent.CopyOnWriteArrayList<>();
        private final AtomicLong open = new AtomicLong();

        Pool(InetSocketAddress address, int max) {
            this.address = address;
            this.max = max;
        }

        BenchHttp.Connection acquire() throws IOException, InterruptedException {
            while (true) {
                BenchHttp.Connection c = idle.pollFirst();
                if (c != null && stale(c)) {
                    continue;
                }
                if (c != null) {
                    return c;
                }
                if (open.incrementAndGet() <= max) {
                    c = BenchHttp.Connection.open(address, 120_000);
                    all.add(c);
                    return c;
                }
                open.decrementAndGet();
                c = idle.pollFirst(10, TimeUnit.MILLISECONDS);
                if (c != null && !stale(c)) {
                    return c;
                }
            }
        }

        /** Closes {@code c} (just taken from the idle ones) when it has been idle too long. */
        private boolean stale(BenchHttp.Connection c) {
            Long since = idleSince.remove(c);
            if (since != null && System.nanoTime() - since > TimeUnit.SECONDS.toNanos(MAX_IDLE_SECONDS)) {
                release(c, false);
                return true;
            }
            return false;
        }

        void release(BenchHttp.Connection c, boolean reuse) {
            if (reuse) {
                idleSince.put(c, System.nanoTime());
                idle.offerFirst(c);
            } else {
                c.close();
                all.remove(c);
                open.decrementAndGet();
            }
        }

        @Override
        public void close() {
            all.forEach(BenchHttp.Connection::close);
        }
    }

    /** Two providers and a router for one scenario. */
    private final class Setup implements AutoCloseable {
        final PromptUpstream a;
        final PromptUpstream b;
        final RouterProcess routerProcess;
        final InetSocketAddress router;

        /** With {@code fixedDelayMs}, the route hedges after that fixed delay (the classic policy). */
        Setup(long seed, String name, java.util.OptionalLong fixedDelayMs) throws Exception {
            a = new PromptUpstream(A, aSeed(seed));
            b = new PromptUpstream(B, bSeed(seed));
            int port = HedgingBench.freePort();
            Path config = outDir.resolve("hedging-ra-" + name + ".yaml");
            Files.writeString(config, """
                    server: {port: %d}
                    observe: {preflight: off}   # no live checks: their calls would mix with the measured ones
                    state: {file: off}          # a fresh router per scenario and run: no baselines carried over
                    providers:
                      a: {type: openai, base-url: "%s", keys: [{label: bench, value: bench-a}]}
                      b: {type: openai, base-url: "%s", keys: [{label: bench, value: bench-b}]}
                    routes:
                      hedged: {chain: [a/m, b/m]%s}
                    """.formatted(port, a.baseUrl(), b.baseUrl(),
                                  fixedDelayMs.isPresent() ? ", hedge: {delay: " + fixedDelayMs.getAsLong() + "ms}" : ""));
            router = new InetSocketAddress("127.0.0.1", port);
            // The start-up probe has no req-N marker: the fakes answer it at once.
            String probe = "{\"model\":\"hedged\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
            routerProcess = RouterProcess.start(root, config, port, "", outDir.resolve("hedging-" + stamp + "-router.log"),
                                                BenchHttp.post(router, "/v1/chat/completions", probe),
                                                Duration.ofSeconds(60));
        }

        @Override
        public void close() throws Exception {
            routerProcess.close();
            a.close();
            b.close();
        }
    }
}
