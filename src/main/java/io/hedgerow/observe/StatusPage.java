package io.hedgerow.observe;

import com.fasterxml.jackson.databind.JsonNode;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The status page, rendered on the server from the same {@link StatusReport} JSON that {@code /status} serves, so it
 * reads without scripts (a headless screenshot, {@code curl}, a browser with JavaScript off) and says exactly what the
 * JSON says. A small script refreshes it every two seconds by fetching the rendered body again.
 *
 * <p>Laid out around an operator's questions, in order: can every route serve right now, and if not which rung and
 * why ({@link RouteVerdict}); what changed recently (breakers, cooldowns, demotions, reloads, live checks), kept apart
 * from per-request events so that a burst of requests cannot push them out; latency and hedging; the live checks'
 * table (the one {@code check --live} prints); recent requests. Times are UTC.
 */
final class StatusPage {
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm:ss").withZone(ZoneOffset.UTC);
    private static final int MAX_CHANGES = 30;
    private static final int MAX_REQUESTS = 15;

    private StatusPage() {
    }

    /** The whole page. */
    static String page(JsonNode s) {
        return """
                <!DOCTYPE html>
                <html lang="en">
                <head>
                <meta charset="utf-8">
                <meta name="viewport" content="width=device-width, initial-scale=1">
                <title>Hedgerow status</title>
                <style>%s</style>
                </head>
                <body>
                <div id="page">%s</div>
                <p id="connection" class="bad"></p>
                <script>%s</script>
                </body>
                </html>
                """.formatted(CSS, body(s), SCRIPT);
    }

    /** What the script swaps in on each refresh: everything inside {@code #page}. */
    static String body(JsonNode s) {
        Instant now = Instant.parse(s.path("now").asText());
        StringBuilder h = new StringBuilder();
        String status = s.path("status").asText();
        h.append("<header><h1>Hedgerow</h1><span id=\"overall\" class=\"badge ").append(esc(status)).append("\">")
                .append(esc(overallText(status))).append("</span><span id=\"headline\">")
                .append(esc(s.path("headline").asText())).append("</span><span class=\"muted\">config generation ")
                .append(s.path("generation").asInt()).append(", loaded ")
                .append(time(s.path("loaded_at").asText())).append(" · updated ").append(TIME.format(now))
                .append(" UTC</span>");
        JsonNode st = s.path("state");
        if (st.isObject()) {
            // Where health lives (fleet): the store, whether it works, how rate limits are enforced, the replicas.
            boolean fine = st.path("up").asBoolean() && st.path("config_hashes").asInt(1) <= 1;
            h.append("<span id=\"state\" class=\"").append(fine ? "muted" : "bad").append("\">state: ")
                    .append(esc(st.path("store").asText())).append(st.path("up").asBoolean() ? "" : " DOWN")
                    .append(" (").append(esc(st.path("detail").asText())).append("; rate limits ")
                    .append(esc(st.path("rate_limits").asText())).append(")");
            if (!st.path("replicas").isEmpty()) {
                int hashes = st.path("config_hashes").asInt();
                h.append(", ").append(st.path("replicas").size()).append(" replicas, ").append(hashes)
                        .append(hashes == 1 ? " config" : " configs");
            }
            h.append(", config ").append(esc(s.path("config_hash").asText())).append("</span>");
        }
        h.append("<a id=\"tune\" class=\"muted\" href=\"/status/tune\" title=\"hedging policies replayed on the "
                         + "recorded requests\">tune hedging</a></header><main>");
        serve(h, s);
        changes(h, s, now);
        latency(h, s);
        checks(h, s);
        requests(h, s, now);
        return h.append("</main>").toString();
    }

    private static void serve(StringBuilder h, JsonNode s) {
        h.append("<section id=\"serve\"><h2>Can every route serve right now?</h2>");
        for (JsonNode route : s.path("routes")) {
            JsonNode v = route.path("verdict");
            String state = v.path("state").asText();
            h.append("<div class=\"route\" data-route=\"").append(esc(route.path("name").asText()))
                    .append("\" data-state=\"").append(esc(state)).append("\"><div class=\"route-head\"><span class=\"badge ")
                    .append(esc(state)).append("\">").append(esc(routeText(state))).append("</span> <strong>")
                    .append(esc(route.path("name").asText())).append("</strong> <span class=\"summary\">")
                    .append(esc(state.equals(RouteVerdict.OK) ? "every rung can serve" : v.path("summary").asText()))
                    .append("</span></div><ol class=\"rungs\">");
            int serving = v.path("serving_rung").asInt(0);
            for (JsonNode r : v.path("rungs")) {
                String rs = r.path("state").asText();
                boolean down = r.path("down").asBoolean();
                h.append("<li data-rung=\"").append(r.path("position").asInt()).append("\" data-state=\"")
                        .append(esc(rs)).append("\" class=\"").append(down ? "down" : rs.equals("ok") ? "up" : "weak")
                        .append("\"><span class=\"pos\">").append(r.path("position").asInt())
                        .append("</span><span class=\"cand\">").append(esc(r.path("label").asText())).append("</span>");
                if (r.path("position").asInt() == serving) {
                    h.append("<span class=\"serving\">serving</span>");
                }
                h.append("<span class=\"why\">").append(esc(down || !rs.equals("ok") ? r.path("why").asText() : ""))
                        .append("</span></li>");
            }
            h.append("</ol></div>");
        }
        h.append("</section>");
    }

    private static void changes(StringBuilder h, JsonNode s, Instant now) {
        h.append("<section id=\"changes\"><h2>Recent changes</h2>")
                .append("<p class=\"muted\">breakers, key cooldowns, demotions, reloads and failed live checks, newest "
                                + "first</p>");
        events(h, s.path("recent_changes"), now, MAX_CHANGES, "no changes since start-up");
        h.append("</section>");
    }

    private static void latency(StringBuilder h, JsonNode s) {
        h.append("<section id=\"latency\"><h2>Latency and hedging</h2>");
        JsonNode b = s.path("hedge_budget");
        h.append("<p class=\"muted\">hedge budget: ").append(esc(b.path("balance").asText()))
                .append(" hedges available now (").append(esc(b.path("ratio").asText()))
                .append(" per request, at least ").append(esc(b.path("min_per_second").asText())).append("/s)");
        if (b.path("cost_share").asDouble() > 0 || b.path("max_cost_share").isNumber()) {
            h.append("; hedge cost share ").append(String.format(Locale.ROOT, "%.1f%%", 100 * b.path("cost_share")
                    .asDouble()));
            if (b.path("max_cost_share").isNumber()) {
                h.append(" of ").append(String.format(Locale.ROOT, "%.1f%%", 100 * b.path("max_cost_share").asDouble()));
            }
        }
        h.append("</p>");
        double scale = 1;
        for (JsonNode route : s.path("routes")) {
            for (JsonNode c : route.path("candidates")) {
                JsonNode bl = baseline(c);
                scale = Math.max(scale, bl.path("p95_ms").asDouble(0));
                for (JsonNode ms : c.path("recent_ms")) {
                    scale = Math.max(scale, ms.asDouble());
                }
            }
        }
        for (JsonNode route : s.path("routes")) {
            h.append("<div class=\"lat\" data-route=\"").append(esc(route.path("name").asText())).append("\"><h3>")
                    .append(esc(route.path("name").asText())).append(" <span class=\"muted hedge\">")
                    .append(esc(route.path("hedge").path("summary").asText())).append("</span></h3>")
                    .append("<table><thead><tr><th>#</th><th>candidate</th><th>state</th><th>latency</th>")
                    .append("<th>recent</th><th>keys</th></tr></thead><tbody>");
            for (JsonNode c : route.path("candidates")) {
                boolean firstToken = firstToken(c);
                JsonNode bl = baseline(c);
                String which = firstToken ? "first token" : "answer";
                h.append("<tr data-candidate=\"").append(esc(c.path("label").asText())).append("\" data-state=\"")
                        .append(esc(c.path("state").asText())).append("\"><td class=\"num\">")
                        .append(c.path("order").asInt()).append("</td><td>").append(esc(c.path("label").asText()))
                        .append("</td><td><span class=\"badge ").append(esc(c.path("state").asText())).append("\">")
                        .append(esc(c.path("state").asText().replace('_', ' '))).append("</span></td><td>")
                        .append(bar(bl, scale)).append(" <span class=\"muted\">").append(which).append(" p50 ")
                        .append(ms(bl.path("p50_ms"))).append(" · p95 ").append(ms(bl.path("p95_ms")))
                        .append(" · ").append(bl.path("samples").asInt()).append(" samples")
                        .append(bl.path("scaled_to_tokens").isNumber()
                                        ? " (scaled to a " + SizeView.tokens(bl.path("scaled_to_tokens").asLong())
                                                + "-token prompt)" : "")
                        .append("</span>").append(last(bl)).append("</td><td>")
                        .append(spark(c.path("recent_ms"))).append("</td><td>").append(keys(c)).append("</td></tr>");
            }
            h.append("</tbody></table></div>");
        }
        h.append("</section>");
    }

    /** The candidate's last request against what is usual for its size, e.g. "1.4x the usual for a 12k-token prompt". */
    private static String last(JsonNode baseline) {
        JsonNode last = baseline.path("last");
        return last.isObject() ? "<div class=\"muted\" data-last>last: " + esc(last.path("text").asText()) + "</div>"
                : "";
    }

    private static void checks(StringBuilder h, JsonNode s) {
        JsonNode p = s.path("preflight");
        h.append("<section id=\"checks\"><h2>Live checks</h2><p class=\"muted\">");
        if (!p.path("enabled").asBoolean()) {
            h.append("off in the running router (observe.preflight); check --live runs them on demand");
        } else {
            h.append("each provider+key asked for its list of models every ")
                    .append(esc(human(Duration.ofSeconds(p.path("interval_s").asLong())))).append(" (no tokens)");
            JsonNode last = p.path("last_round");
            h.append(last.isObject() ? "; last round " + time(last.path("at").asText()) + " UTC, "
                    + last.path("checked").asInt() + " checked in " + last.path("took_ms").asLong() + " ms"
                    : "; first round running");
        }
        h.append("</p><table><thead><tr><th>route</th><th>#</th><th>candidate</th><th>key</th><th>result</th>")
                .append("<th>detail</th></tr></thead><tbody>");
        for (JsonNode route : p.path("check").path("routes")) {
            for (JsonNode rung : route.path("rungs")) {
                for (JsonNode key : rung.path("keys")) {
                    String result = key.path("result").asText();
                    h.append("<tr data-check=\"").append(esc(result)).append("\"><td>")
                            .append(esc(route.path("route").asText())).append("</td><td class=\"num\">")
                            .append(rung.path("position").asInt()).append("</td><td>")
                            .append(esc(rung.path("candidate").asText())).append("</td><td>")
                            .append(esc(key.path("key").asText())).append("</td><td><span class=\"check ")
                            .append(esc(result)).append("\">").append(esc(result.replace('_', ' ')))
                            .append("</span></td><td>").append(esc(key.path("detail").asText("")))
                            .append("</td></tr>");
                }
            }
        }
        h.append("</tbody></table></section>");
    }

    private static void requests(StringBuilder h, JsonNode s, Instant now) {
        h.append("<section id=\"requests\"><h2>Recent requests</h2><p class=\"muted\">failovers, hedges won, "
                         + "retries, failed requests</p>");
        events(h, s.path("recent_requests"), now, MAX_REQUESTS, "none yet");
        h.append("</section>");
    }

    private static void events(StringBuilder h, JsonNode list, Instant now, int max, String none) {
        h.append("<table class=\"events\"><tbody>");
        int n = 0;
        for (JsonNode e : list) {
            if (n++ == max) {
                break;
            }
            Instant at = Instant.parse(e.path("time").asText());
            h.append("<tr data-event=\"").append(esc(e.path("event").asText())).append("\"><td class=\"time\">")
                    .append(TIME.format(at)).append(" <span class=\"muted\">")
                    .append(esc(ago(Duration.between(at, now)))).append("</span></td><td>")
                    .append(esc(e.path("event").asText().replace('_', ' '))).append("</td><td>")
                    .append(esc(sentence(e))).append("</td><td class=\"muted\">")
                    .append(esc(e.path("request_id").asText(""))).append("</td></tr>");
        }
        if (n == 0) {
            h.append("<tr><td class=\"muted\">").append(none).append("</td></tr>");
        }
        h.append("</tbody></table>");
    }

    /** An event for people: what happened to what, and why. */
    static String sentence(JsonNode e) {
        return switch (e.path("event").asText()) {
            case "breaker_transition" -> e.path("candidate").asText() + ": breaker " + e.path("from").asText()
                    + " → " + e.path("to").asText() + " (" + e.path("reason").asText() + ")";
            case "cooldown_started" -> "key " + e.path("key").asText() + " cools down for "
                    + human(Duration.ofMillis((long) (e.path("seconds").asDouble() * 1000))) + " ("
                    + e.path("cause").asText().replace('_', ' ') + ", failure " + e.path("consecutive_failures").asInt()
                    + " in a row)";
            case "cooldown_ended" -> "key " + e.path("key").asText() + " is back in use";
            case "demoted" -> e.path("candidate").asText() + " demoted: " + e.path("reason").asText();
            case "recovered" -> e.path("candidate").asText() + " recovered";
            case "failover" -> e.path("route").asText() + ": served by " + e.path("to").asText() + " instead of "
                    + e.path("from").asText() + " (" + e.path("reason").asText() + ")";
            case "retried" -> e.path("route").asText() + ": " + e.path("candidate").asText() + " answered on a retry ("
                    + e.path("reason").asText() + ")";
            case "chain_failed" -> e.path("route").asText() + ": no answer (" + e.path("decisive").asText() + "): "
                    + join(e.path("attempts"));
            case "hedge_won" -> e.path("route").asText() + ": " + e.path("role").asText() + " to "
                    + e.path("winner").asText() + " answered first" + (e.path("beat").isEmpty() ? ""
                    : ", beating " + join(e.path("beat")));
            case "preflight_failed" -> "live check of " + e.path("provider").asText() + " key " + e.path("key").asText()
                    + ": " + e.path("result").asText().replace('_', ' ') + ": " + e.path("reason").asText();
            default -> fields(e);
        };
    }

    private static String join(JsonNode array) {
        List<String> items = new ArrayList<>();
        array.forEach(x -> items.add(x.asText()));
        return String.join(", ", items);
    }

    private static String fields(JsonNode e) {
        List<String> parts = new ArrayList<>();
        e.fields().forEachRemaining(f -> {
            if (!List.of("time", "event", "request_id").contains(f.getKey())) {
                JsonNode v = f.getValue();
                List<String> items = new ArrayList<>();
                if (v.isArray()) {
                    v.forEach(x -> items.add(x.asText()));
                }
                parts.add(f.getKey() + "=" + (v.isArray() ? String.join("; ", items) : v.asText()));
            }
        });
        return String.join("  ", parts);
    }

    /** Whether a candidate's first-token baseline has the samples (streamed traffic), else its whole-answer one. */
    private static boolean firstToken(JsonNode c) {
        return c.path("baseline").path("first_token").path("samples").asInt()
                >= c.path("baseline").path("complete").path("samples").asInt();
    }

    private static JsonNode baseline(JsonNode c) {
        return c.path("baseline").path(firstToken(c) ? "first_token" : "complete");
    }

    private static String bar(JsonNode b, double scale) {
        StringBuilder h = new StringBuilder("<span class=\"bar\">");
        if (b.path("p95_ms").isNumber()) {
            h.append("<span class=\"p95\" style=\"width:").append(pct(b.path("p95_ms").asDouble(), scale))
                    .append("%\"></span>");
        }
        if (b.path("p50_ms").isNumber()) {
            h.append("<span class=\"p50\" style=\"width:").append(pct(b.path("p50_ms").asDouble(), scale))
                    .append("%\"></span>");
        }
        return h.append("</span>").toString();
    }

    private static String spark(JsonNode values) {
        int w = 120;
        int ht = 22;
        StringBuilder h = new StringBuilder("<svg class=\"spark\" width=\"" + w + "\" height=\"" + ht
                + "\" viewBox=\"0 0 " + w + " " + ht + "\">");
        int n = values.size();
        if (n > 0) {
            double max = 1;
            for (JsonNode v : values) {
                max = Math.max(max, v.asDouble());
            }
            List<String> points = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                double x = n > 1 ? i * (double) w / (n - 1) : 0;
                double y = ht - 1 - values.get(i).asDouble() / max * (ht - 2);
                points.add(String.format(Locale.ROOT, "%.1f,%.1f", x, y));
            }
            h.append("<polyline points=\"").append(String.join(" ", points))
                    .append("\" fill=\"none\" stroke=\"#0969da\" stroke-width=\"1.5\"/>");
        }
        return h.append("</svg>").toString();
    }

    private static String keys(JsonNode c) {
        StringBuilder h = new StringBuilder();
        if (c.path("keys").isEmpty()) {
            h.append("<span class=\"muted\">no key</span>");
        }
        for (JsonNode k : c.path("keys")) {
            boolean cooling = k.path("cooling").asBoolean();
            h.append("<span class=\"key").append(cooling ? " cooling" : "").append("\" data-key=\"")
                    .append(esc(k.path("label").asText())).append("\">").append(esc(k.path("label").asText()))
                    .append(cooling ? ": cooling " + human(Duration.ofSeconds((k.path("cooling_for_ms").asLong() + 999)
                                                                         / 1000))
                    + " left (" + k.path("cause").asText() + ")" : ": ok").append("</span> ");
        }
        return h.toString();
    }

    private static String overallText(String status) {
        return switch (status) {
            case RouteVerdict.OK -> "all routes serving";
            case RouteVerdict.DEGRADED -> "serving, degraded";
            default -> "a route cannot serve";
        };
    }

    private static String routeText(String state) {
        return switch (state) {
            case RouteVerdict.OK -> "serving";
            case RouteVerdict.DEGRADED -> "serving, degraded";
            default -> "cannot serve";
        };
    }

    private static String ms(JsonNode v) {
        return v.isNumber() ? human(Duration.ofMillis(Math.max(v.asLong(), 0))) : "none yet";
    }

    private static String human(Duration d) {
        return d.isZero() ? "0ms" : io.hedgerow.config.Checks.human(d);
    }

    private static String ago(Duration d) {
        long s = Math.max(0, d.toSeconds());
        return s < 60 ? s + "s ago" : s < 3600 ? s / 60 + "m ago" : s / 3600 + "h" + (s % 3600) / 60 + "m ago";
    }

    private static String time(String iso) {
        return TIME.format(Instant.parse(iso));
    }

    private static String pct(double v, double scale) {
        return String.format(Locale.ROOT, "%.1f", Math.max(1, 100 * v / scale));
    }

    /** HTML text and attribute escaping. */
    static String esc(String text) {
        StringBuilder out = new StringBuilder(text.length());
        for (char ch : text.toCharArray()) {
            switch (ch) {
            case '<' -> out.append("&lt;");
            case '>' -> out.append("&gt;");
            case '&' -> out.append("&amp;");
            case '"' -> out.append("&quot;");
            case '\'' -> out.append("&#39;");
            default -> out.append(ch);
            }
        }
        return out.toString();
    }

    private static final String SCRIPT = """
            "use strict";
            async function refresh() {
              const note = document.getElementById("connection");
              try {
                const r = await fetch("/status?format=html&part=body", {cache: "no-store"});
                if (!r.ok) throw new Error("HTTP " + r.status);
                document.getElementById("page").innerHTML = await r.text();
                note.textContent = "";
              } catch (e) {
                note.textContent = "cannot reach the router (" + e.message + "): what you see is from the last refresh";
              }
            }
            setInterval(refresh, 2000);
            """;

    private static final String CSS = """
            :root { --ok: #1a7f37; --warn: #9a6700; --bad: #cf222e; --muted: #656d76; --line: #d0d7de; --bg: #f6f8fa; }
            * { box-sizing: border-box; }
            body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0; color: #1f2328; }
            header { display: flex; flex-wrap: wrap; gap: 8px 18px; align-items: center; padding: 12px 20px;
                     border-bottom: 1px solid var(--line); background: var(--bg); }
            h1 { font-size: 18px; margin: 0; } h2 { font-size: 16px; margin: 18px 0 6px; }
            h3 { font-size: 14px; margin: 10px 0 4px; }
            main { padding: 4px 20px 20px; max-width: 1400px; }
            #headline { font-weight: 600; }
            .badge { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px; font-weight: 600;
                     color: #fff; background: var(--muted); white-space: nowrap; }
            .badge.ok { background: var(--ok); }
            .badge.degraded, .badge.demoted, .badge.half_open { background: var(--warn); }
            .badge.cannot_serve, .badge.breaker_open, .badge.keys_cooling { background: var(--bad); }
            .muted { color: var(--muted); } .bad { color: var(--bad); font-weight: 600; }
            .route { border: 1px solid var(--line); border-left-width: 5px; border-radius: 6px; padding: 8px 12px;
                     margin: 0 0 10px; }
            .route[data-state="ok"] { border-left-color: var(--ok); }
            .route[data-state="degraded"] { border-left-color: var(--warn); }
            .route[data-state="cannot_serve"] { border-left-color: var(--bad); background: #fff5f5; }
            ol.rungs { list-style: none; margin: 6px 0 0; padding: 0; }
            ol.rungs li { display: flex; gap: 10px; align-items: baseline; padding: 2px 0; }
            ol.rungs .pos { width: 18px; text-align: right; color: var(--muted); }
            ol.rungs .cand { min-width: 260px; font-family: ui-monospace, monospace; font-size: 13px; }
            ol.rungs li.up .cand::before { content: "● "; color: var(--ok); }
            ol.rungs li.weak .cand::before { content: "● "; color: var(--warn); }
            ol.rungs li.down .cand::before { content: "✕ "; color: var(--bad); }
            ol.rungs li.down .why { color: var(--bad); }
            .serving { font-size: 11px; font-weight: 600; color: var(--ok); border: 1px solid var(--ok);
                       border-radius: 8px; padding: 0 6px; }
            table { border-collapse: collapse; width: 100%; }
            th, td { text-align: left; padding: 3px 8px; border-bottom: 1px solid var(--line); vertical-align: middle; }
            th { font-weight: 600; font-size: 12px; color: var(--muted); }
            td.num { text-align: right; font-variant-numeric: tabular-nums; }
            td.time { white-space: nowrap; font-variant-numeric: tabular-nums; }
            table.events td { font-size: 13px; }
            #requests table.events td { font-size: 12px; color: #444; }
            .bar { position: relative; display: inline-block; width: 140px; height: 10px; background: var(--bg);
                   border: 1px solid var(--line); vertical-align: middle; }
            .bar .p95 { position: absolute; left: 0; top: 0; bottom: 0; background: #8fb8de; }
            .bar .p50 { position: absolute; left: 0; top: 0; bottom: 0; background: #0969da; }
            .key { white-space: nowrap; } .key.cooling { color: var(--bad); font-weight: 600; }
            .check.auth_failed, .check.unreachable, .check.not_found, .check.missing { color: var(--bad);
                   font-weight: 600; }
            .check.error { color: var(--warn); } .check.ok { color: var(--ok); }
            svg.spark { vertical-align: middle; }
            #connection:empty { display: none; } #connection { padding: 0 20px; }
            """;
}
