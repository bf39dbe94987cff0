package io.hedgerow.tune;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hedgerow.json.Json;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * One route's replay for one measure (time to first token of streams, or to whole answers): a row per policy, and
 * what the replay rests on.
 *
 * @param route     the route
 * @param stream    streamed requests (time to first token) or whole answers
 * @param primary   the candidate most requests went to first
 * @param hedgeTo   where its hedges go (empty: nowhere, so every policy is "no hedging")
 * @param requests  requests replayed
 * @param excluded  requests left out: their first attempt failed, or none was made
 * @param imputed   share of the replayed latencies that had to be drawn, not read (a loser's time, a backup never
 *                  called)
 * @param rows      the policies
 */
public record TuneTable(String route, boolean stream, String primary, Optional<String> hedgeTo, int requests,
                        int excluded, double imputed, List<Row> rows) {
    public TuneTable {
        Objects.requireNonNull(route, "route");
        Objects.requireNonNull(primary, "primary");
        Objects.requireNonNull(hedgeTo, "hedgeTo");
        rows = List.copyOf(rows);
    }

    /**
     * One policy replayed.
     *
     * @param policy     what it is, for people ({@code fixed 800ms}, {@code request-aware p96})
     * @param config     the route's {@code hedge} setting that gives it ({@code {delay: 800ms}}, {@code off})
     * @param current    whether it is what the route does now
     * @param extraLoad  hedges per request
     * @param p50Millis  median latency
     * @param p99Millis  p99
     * @param p999Millis p99.9
     * @param p99Slowdown p99 of latency / what is usual for the request's size on the primary
     * @param lowerBound whether p99 or p99.9 rests on a lower bound (a loser's time with nothing known beyond it),
     *                   so the true value may be higher
     */
    public record Row(String policy, String config, boolean current, double extraLoad, double p50Millis,
                      double p99Millis, double p999Millis, double p99Slowdown, boolean lowerBound) {
    }

    /** The measure's name: {@code first token} or {@code whole answer}. */
    public String measure() {
        return stream ? "first token" : "whole answer";
    }

    /**
     * The row with the lowest p99 among those adding at most {@code maxLoad} (no hedging always qualifies). p99s
     * within 1% of each other tie, and a tie goes to the row whose p99 is measured rather than a lower bound, then to
     * the lower p99 slowdown: on a route of mixed sizes the p99 is made of long prompts, which no policy speeds up
     * much, and the slowdown says which policy stops short prompts from waiting.
     */
    public Row best(double maxLoad) {
        if (rows.isEmpty()) {
            throw new IllegalStateException("no request of route " + route + " could be replayed");
        }
        Row best = rows.getFirst();
        for (Row r : rows) {
            if (r.extraLoad() <= maxLoad + 1e-9 && better(r, best)) {
                best = r;
            }
        }
        return best;
    }

    private static boolean better(Row r, Row best) {
        if (r.p99Millis() < best.p99Millis() * 0.99) {
            return true;
        }
        if (r.p99Millis() > best.p99Millis() * 1.01) {
            return false;
        }
        if (r.lowerBound() != best.lowerBound()) {
            return !r.lowerBound();
        }
        return r.p99Slowdown() < best.p99Slowdown();
    }

    /** The config lines that give {@code row} on this route. */
    public String configLines(Row row) {
        return "routes:\n  " + route + ":\n    hedge: " + row.config() + "\n";
    }

    /** The table as text, with the choice for {@code maxLoad} and its config lines. */
    public String text(double maxLoad) {
        StringBuilder out = new StringBuilder();
        out.append("route ").append(route).append(" - ").append(measure()).append(", ").append(requests)
                .append(" requests");
        if (excluded > 0) {
            out.append(" (").append(excluded).append(" left out: first attempt failed)");
        }
        out.append("; first attempt to ").append(primary).append(", hedges to ").append(hedgeTo.orElse("(none)"));
        out.append(String.format(Locale.ROOT, "; %.0f%% of latencies imputed%n", imputed * 100));
        if (rows.isEmpty()) {
            return out.append("nothing to replay\n").toString();
        }
        String[] head = {"policy", "extra load", "p50 ms", "p99 ms", "p99.9 ms", "p99 slowdown"};
        List<String[]> lines = new ArrayList<>();
        for (Row r : rows) {
            String bound = r.lowerBound() ? ">=" : "";
            lines.add(new String[] {(r.current() ? "* " : "  ") + r.policy(), pct(r.extraLoad()), ms(r.p50Millis()),
                    bound + ms(r.p99Millis()), bound + ms(r.p999Millis()), num(r.p99Slowdown())});
        }
        int[] width = new int[head.length];
        for (int i = 0; i < head.length; i++) {
            width[i] = head[i].length();
            for (String[] l : lines) {
                width[i] = Math.max(width[i], l[i].length());
            }
        }
        line(out, head, width);
        for (String[] l : lines) {
            line(out, l, width);
        }
        Row best = best(maxLoad);
        out.append(String.format(Locale.ROOT, "lowest p99 at <= %s extra load: %s (p99 %s ms, %s extra)%n",
                                 pct(maxLoad), best.policy(), ms(best.p99Millis()), pct(best.extraLoad())));
        for (String l : configLines(best).split("\n")) {
            out.append("    ").append(l).append('\n');
        }
        return out.toString();
    }

    /** The table as JSON. */
    public ObjectNode json(double maxLoad) {
        ObjectNode node = Json.object().put("route", route).put("measure", measure().replace(' ', '_'))
                .put("primary", primary).put("requests", requests).put("excluded", excluded)
                .put("imputed_share", round(imputed));
        hedgeTo.ifPresentOrElse(h -> node.put("hedge_to", h), () -> node.putNull("hedge_to"));
        ArrayNode list = node.putArray("rows");
        for (Row r : rows) {
            list.addObject().put("policy", r.policy()).put("config", r.config()).put("current", r.current())
                    .put("extra_load", round(r.extraLoad())).put("p50_ms", round(r.p50Millis()))
                    .put("p99_ms", round(r.p99Millis())).put("p999_ms", round(r.p999Millis()))
                    .put("p99_slowdown", Double.isNaN(r.p99Slowdown()) ? null : round(r.p99Slowdown()))
                    .put("lower_bound", r.lowerBound());
        }
        if (rows.isEmpty()) {
            return node;
        }
        Row best = best(maxLoad);
        node.putObject("choice").put("max_extra_load", maxLoad).put("policy", best.policy())
                .put("config", configLines(best));
        return node;
    }

    private static void line(StringBuilder out, String[] cells, int[] width) {
        for (int i = 0; i < cells.length; i++) {
            String pad = " ".repeat(width[i] - cells[i].length());
            out.append(i == 0 ? cells[i] + pad : "  " + pad + cells[i]);
        }
        out.append('\n');
    }

    static String pct(double share) {
        return String.format(Locale.ROOT, "%.1f%%", share * 100);
    }

    private static String ms(double millis) {
        return Double.isNaN(millis) ? "-" : String.format(Locale.ROOT, "%.0f", millis);
    }

    private static String num(double d) {
        return Double.isNaN(d) ? "-" : String.format(Locale.ROOT, "%.2f", d);
    }

    private static double round(double d) {
        return Math.round(d * 1000) / 1000.0;
    }
}
