package io.hedgerow.tune;

import io.hedgerow.config.HedgeSettings;

import org.junit.jupiter.api.Test;

import java.io.StringReader;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code hedgerow tune}'s replay against a case computed by hand, and the sample file it reads. */
class ReplayTest {
    private static final HedgeSettings FIXED_300 = new HedgeSettings(
            true, new HedgeSettings.Delay.Fixed(Duration.ofMillis(300)), Duration.ofMillis(50), Duration.ofSeconds(10),
            Optional.empty(), 2, false);
    private static final RouteInfo ROUTE = new RouteInfo("r", List.of("a/m", "b/m"), FIXED_300);

    /**
     * Twenty streamed requests of 1000 tokens. Nineteen: a/m answered in 100, 110, ... 280 ms, and a probe of b/m in
     * 200 ms. The twentieth: a/m was still silent when its hedge to b/m (started at 500 ms) answered 200 ms later,
     * so a/m was cancelled at 700 ms, and no a/m answer was ever slower than that: 700 ms is all that is known.
     */
    private static List<RequestSample> samples() {
        List<RequestSample> list = new ArrayList<>();
        for (int i = 0; i < 19; i++) {
            list.add(new RequestSample(i, "r", true, 1000, 900, OptionalInt.empty(), List.of(
                    new RequestSample.Attempt("a/m", "primary", 0, 100 + 10 * i, RequestSample.Outcome.OK),
                    new RequestSample.Attempt("b/m", "probe", 0, 200, RequestSample.Outcome.OK))));
        }
        list.add(new RequestSample(19, "r", true, 1000, 900, OptionalInt.empty(), List.of(
                new RequestSample.Attempt("a/m", "primary", 0, 700, RequestSample.Outcome.CANCELLED),
                new RequestSample.Attempt("b/m", "hedge", 500, 200, RequestSample.Outcome.OK))));
        // A request whose first attempt failed says nothing about latency: it is left out.
        list.add(new RequestSample(20, "r", true, 1000, 900, OptionalInt.empty(), List.of(
                new RequestSample.Attempt("a/m", "primary", 0, 3, RequestSample.Outcome.FAILED),
                new RequestSample.Attempt("b/m", "fallback", 3, 210, RequestSample.Outcome.OK))));
        return list;
    }

    private static TuneTable.Row row(TuneTable table, String policy) {
        return table.rows().stream().filter(r -> r.policy().equals(policy)).findFirst().orElseThrow(
                () -> new AssertionError("no row '" + policy + "' in " + table.rows()));
    }

    @Test
    void replayMatchesTheHandComputedCase() {
        List<TuneTable> tables = new Replay(new SampleCodec.Samples(0.1, Map.of("r", ROUTE), samples())).tables();
        assertEquals(1, tables.size());
        TuneTable t = tables.getFirst();
        assertEquals(20, t.requests());
        assertEquals(1, t.excluded());
        assertEquals("a/m", t.primary());
        assertEquals(Optional.of("b/m"), t.hedgeTo());

        // No hedging: 100..280 and 700 (a lower bound). p50 is the 10th of 20, 190; p99 the 20th, 700 or more.
        TuneTable.Row none = row(t, "no hedging");
        assertEquals(0, none.extraLoad());
        assertEquals(190, none.p50Millis());
        assertEquals(700, none.p99Millis());
        assertTrue(none.lowerBound());

        // The current 300 ms: only the 700 ms request is hedged, and wins at 300 + 200 = 500 ms. Load 1/20.
        TuneTable.Row current = row(t, "fixed 300ms");
        assertTrue(current.current());
        assertEquals(0.05, current.extraLoad(), 1e-12);
        assertEquals(500, current.p99Millis());
        assertFalse(current.lowerBound());

        // The ladder: a/m's own answered latencies at p50, p75, p90, p95 (190, 240, 270, 280 ms).
        // 190 ms hedges 200..280 and the slow one (10 of 20): the slow one at 390 ms; the others keep their time.
        TuneTable.Row at190 = row(t, "fixed 190ms");
        assertEquals(0.5, at190.extraLoad(), 1e-12);
        assertEquals(390, at190.p99Millis());
        assertEquals(190, at190.p50Millis());
        TuneTable.Row at280 = row(t, "fixed 280ms");
        assertEquals(0.05, at280.extraLoad(), 1e-12);
        assertEquals(480, at280.p99Millis());
        assertEquals(7, t.rows().stream().filter(r -> r.policy().startsWith("fixed")).count() + 2,
                     "190, 240, 270, 280 and the current 300, plus the two other kinds' first rows");

        // a/m has 19 answers, one short of min-samples: request-aware delays fall back to the warm-up delay (none
        // here), so they hedge nothing.
        TuneTable.Row p92 = row(t, "request-aware p92");
        assertEquals(0, p92.extraLoad());
        assertEquals(700, p92.p99Millis());

        // The lowest p99 at no more than 5% extra load: fixed 280 ms, and its config lines.
        TuneTable.Row best = t.best(0.05);
        assertEquals("fixed 280ms", best.policy());
        assertEquals("routes:\n  r:\n    hedge: {delay: 280ms}\n", t.configLines(best));
        // Every latency but the slow request's primary was read, not drawn: 8 of 240 values (see the class comment).
        assertEquals(1 / 30.0, t.imputed(), 1e-12);
    }

    @Test
    void theSampleFileRoundTrips() throws Exception {
        String text = SampleCodec.toText(0.1, List.of(ROUTE), samples());
        SampleCodec.Samples read = SampleCodec.read(new StringReader(text));
        assertEquals(0.1, read.budgetRatio());
        assertEquals(ROUTE, read.routes().get("r"));
        assertEquals(samples(), read.requests());
        assertTrue(text.lines().skip(1).allMatch(l -> l.startsWith("{\"at\":")), text);
        String again = SampleCodec.toText(read.budgetRatio(), read.routes().values(), read.requests());
        assertEquals(text, again);
    }

    @Test
    void aBadLineIsNamed() {
        String text = SampleCodec.toText(0.1, List.of(ROUTE), samples().subList(0, 1)) + "{not json\n";
        Exception e = org.junit.jupiter.api.Assertions.assertThrows(
                java.io.IOException.class, () -> SampleCodec.read(new StringReader(text)));
        assertTrue(e.getMessage().startsWith("line 3:"), e.getMessage());
    }

    @Test
    void requestAwareDelaysFollowEachSize() {
        // Two sizes on one route: short prompts take 100..280 ms, long ones 1000..2800; 5% of each are slow (2.9 s
        // and 5.8 s).
        List<RequestSample> list = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            boolean slow = i % 20 == 19;
            double shortMs = slow ? 2900 : 100 + (i % 20) * 10;
            double longMs = slow ? 5800 : 1000 + (i % 20) * 100;
            list.add(sample(2 * i, 400, shortMs));
            list.add(sample(2 * i + 1, 40_000, longMs));
        }
        TuneTable t = new Replay(new SampleCodec.Samples(0.1, Map.of("r", ROUTE), list)).tables().getFirst();
        // The best fixed delay at 10% extra load cannot reach the short prompts' slow mode without spending its
        // budget on long prompts; the request-aware p92 hedges each size's slowest 8%.
        TuneTable.Row bestFixed = t.rows().stream().filter(r -> r.policy().startsWith("fixed"))
                .filter(r -> r.extraLoad() <= 0.1).min(java.util.Comparator.comparingDouble(TuneTable.Row::p99Slowdown))
                .orElseThrow();
        TuneTable.Row sized = row(t, "request-aware p92");
        assertTrue(sized.extraLoad() <= 0.1, sized.toString());
        // By hand: the short slow ones hedged at ~280 ms win at ~480 ms (2.5x their usual 190 ms); the fixed delay
        // must stay above 2.6 s to add no more than 10%, and then the short slow ones take 2.8 s (14.7x).
        assertEquals(2.5, sized.p99Slowdown(), 0.3);
        assertEquals(14.7, bestFixed.p99Slowdown(), 1);
        assertTrue(sized.p99Slowdown() < 0.6 * bestFixed.p99Slowdown(), sized + " vs " + bestFixed);
    }

    private static RequestSample sample(long at, long tokens, double aMillis) {
        return new RequestSample(at, "r", true, tokens, tokens, OptionalInt.empty(), List.of(
                new RequestSample.Attempt("a/m", "primary", 0, aMillis, RequestSample.Outcome.OK),
                new RequestSample.Attempt("b/m", "probe", 0, tokens < 1000 ? 200 : 1500, RequestSample.Outcome.OK)));
    }
}
