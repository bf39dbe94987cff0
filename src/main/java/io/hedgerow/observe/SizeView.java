package io.hedgerow.observe;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hedgerow.config.Checks;
import io.hedgerow.config.HedgeSettings;
import io.hedgerow.exec.HedgeDelay;
import io.hedgerow.health.CandidateHealth;
import io.hedgerow.health.LatencyBaseline;
import io.hedgerow.health.SizedBaseline;
import io.hedgerow.json.Json;

import java.time.Duration;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * The request-aware side of a candidate on {@code /status}: what is usual for each prompt size it has served, how
 * its last request compared ("1.4x the usual for a 12k-token prompt"), and the hedge delay a route would use for
 * requests of each of those sizes.
 */
final class SizeView {
    private SizeView() {
    }

    /**
     * A measure's baseline: the verdicts' (samples, p50, p95 and long-run p50, scaled to
     * {@value CandidateHealth#REFERENCE_TOKENS} tokens when sizes varied: {@code scaled_to_tokens}), then
     * {@code by_size} (each size class with samples: its token range, samples, usual and p95) and {@code last}.
     */
    static ObjectNode baseline(CandidateHealth health, boolean streaming) {
        LatencyBaseline b = health.baseline(streaming);
        SizedBaseline sized = health.sized(streaming);
        ObjectNode node = Json.object().put("samples", b.windowCount()).put("ready", b.ready());
        putMillis(node, "p50_ms", b.percentileNanos(50));
        putMillis(node, "p95_ms", b.percentileNanos(95));
        putMillis(node, "long_run_p50_ms", b.longRunMedianNanos());
        if (sized.sizeClassesSeen() > 1) {
            node.put("scaled_to_tokens", CandidateHealth.REFERENCE_TOKENS);
        } else {
            node.putNull("scaled_to_tokens");
        }
        ArrayNode bySize = node.putArray("by_size");
        for (int k = 0; k < SizedBaseline.CLASSES; k++) {
            Optional<LatencyBaseline> own = sized.sizeClassBaseline(k);
            if (own.isEmpty() || own.get().longRunWeight() < 1) {
                continue;
            }
            long from = SizedBaseline.lowerBound(k);
            long centre = Math.max(1, k == 0 ? 256 : from * 3 / 2);
            ObjectNode size = bySize.addObject().put("from_tokens", from);
            if (k + 1 < SizedBaseline.CLASSES) {
                size.put("to_tokens", SizedBaseline.lowerBound(k + 1));
            } else {
                size.putNull("to_tokens");
            }
            size.put("samples", own.get().windowCount())
                    .put("long_run_weight", Math.round(own.get().longRunWeight() * 10) / 10.0);
            putMillis(size, "usual_ms", own.get().longRunMedianNanos());
            putMillis(size, "p95_ms", sized.percentileNanos(centre, 95));
        }
        health.last(streaming).ifPresentOrElse(last -> {
            ObjectNode l = node.putObject("last").put("tokens", last.tokens()).put("ms", last.nanos() / 1_000_000);
            if (last.slowdown().isPresent()) {
                l.put("slowdown", Math.round(last.slowdown().getAsDouble() * 100) / 100.0);
            } else {
                l.putNull("slowdown");
            }
            l.put("text", lastText(last, sized.usualNanos(last.tokens())));
        }, () -> node.putNull("last"));
        return node;
    }

    /** {@code 1.4x the usual for a 12k-token prompt (usual 2.1s)}, or the time alone while nothing is usual yet. */
    static String lastText(CandidateHealth.Sample last, OptionalLong usual) {
        String size = tokens(last.tokens()) + "-token prompt";
        if (last.slowdown().isEmpty() || usual.isEmpty()) {
            return human(last.nanos()) + " for a " + size + " (nothing usual yet)";
        }
        return String.format(Locale.ROOT, "%.1fx the usual for a %s (usual %s)", last.slowdown().getAsDouble(), size,
                             human(usual.getAsLong()));
    }

    /**
     * The delay the route would use before hedging {@code first}: for a prompt like its last one ({@code for_tokens};
     * {@value CandidateHealth#REFERENCE_TOKENS} before any), and {@code delays_by_size} for each size class it has
     * samples of; the first, returned.
     */
    static Delays hedgeDelays(ObjectNode node, HedgeSettings h, CandidateHealth first, double share) {
        long tokens = first.last(true).or(() -> first.last(false)).map(CandidateHealth.Sample::tokens)
                .orElse(CandidateHealth.REFERENCE_TOKENS);
        Delays delays = new Delays(tokens, HedgeDelay.nanos(h, first.sized(true), tokens, share),
                                   HedgeDelay.nanos(h, first.sized(false), tokens, share));
        node.put("for_tokens", tokens);
        putMillis(node, "delay_ms_stream", delays.stream());
        putMillis(node, "delay_ms_complete", delays.complete());
        ArrayNode bySize = node.putArray("delays_by_size");
        for (int k = 0; k < SizedBaseline.CLASSES; k++) {
            if (first.sized(true).sizeClassBaseline(k).isEmpty() && first.sized(false).sizeClassBaseline(k).isEmpty()) {
                continue;
            }
            long at = k == 0 ? 256 : SizedBaseline.lowerBound(k) * 3 / 2;
            ObjectNode d = bySize.addObject().put("tokens", at);
            putMillis(d, "stream_ms", HedgeDelay.nanos(h, first.sized(true), at, share));
            putMillis(d, "complete_ms", HedgeDelay.nanos(h, first.sized(false), at, share));
        }
        return delays;
    }

    /** The delays for a prompt of {@code tokens}: streams and whole answers, empty for "no hedge". */
    record Delays(long tokens, OptionalLong stream, OptionalLong complete) {
    }

    /** {@code 800}, {@code 12k}, {@code 1.5M}. */
    static String tokens(long n) {
        if (n < 1000) {
            return Long.toString(n);
        }
        if (n < 1_000_000) {
            return n < 10_000 ? String.format(Locale.ROOT, "%.1fk", n / 1000.0).replace(".0k", "k")
                    : Math.round(n / 1000.0) + "k";
        }
        return String.format(Locale.ROOT, "%.1fM", n / 1e6).replace(".0M", "M");
    }

    private static String human(long nanos) {
        Duration d = Duration.ofNanos(nanos);
        return d.toMillis() >= 10_000 ? Checks.human(Duration.ofMillis(d.toMillis() / 100 * 100))
                : Checks.human(Duration.ofMillis(d.toMillis()));
    }

    private static void putMillis(ObjectNode node, String field, OptionalLong nanos) {
        if (nanos.isPresent()) {
            node.put(field, nanos.getAsLong() / 1_000_000);
        } else {
            node.putNull(field);
        }
    }
}
