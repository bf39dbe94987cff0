package io.hedgerow.preflight;

import io.hedgerow.preflight.PreflightReport.KeyCheck;
import io.hedgerow.preflight.PreflightReport.RouteCheck;
import io.hedgerow.preflight.PreflightReport.RungCheck;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * A {@link PreflightReport} for people: a table, route by route, with a line per key of each rung (rung, candidate,
 * key, result, detail), then the errors (rungs that cannot serve), the warnings (routes down, models not listed)
 * and a last line with the verdict.
 */
final class ReportTable {
    private ReportTable() {
    }

    static void print(PreflightReport report, PrintStream out) {
        List<String[]> rows = new ArrayList<>();
        String[] header = {"#", "candidate", "key", "result", "detail"};
        rows.add(header);
        for (RouteCheck route : report.routes()) {
            for (RungCheck rung : route.rungs()) {
                List<String[]> lines = lines(rung);
                for (int i = 0; i < lines.size(); i++) {
                    String[] line = lines.get(i);
                    rows.add(new String[] {i == 0 ? String.valueOf(rung.position()) : "",
                            i == 0 ? rung.candidate().toString() : "", line[0], line[1], line[2]});
                }
            }
        }
        int[] width = new int[4];
        for (String[] row : rows) {
            for (int i = 0; i < 4; i++) {
                width[i] = Math.max(width[i], row[i].length());
            }
        }
        String format = "  %" + width[0] + "s  %-" + width[1] + "s  %-" + width[2] + "s  %-" + width[3] + "s  %s%n";
        out.print(String.format(Locale.ROOT, format, (Object[]) header));
        int row = 1;
        for (RouteCheck route : report.routes()) {
            out.println("route " + route.alias() + ":");
            for (RungCheck rung : route.rungs()) {
                for (int k = 0; k < lines(rung).size(); k++) {
                    String[] r = rows.get(row++);
                    out.print(String.format(Locale.ROOT, format, r[0], r[1], r[2], r[3], r[4]).stripTrailing()
                                      + System.lineSeparator());
                }
            }
        }
        for (RungCheck rung : report.deadRungs()) {
            out.println("error: route " + rung.route() + ", rung " + rung.position() + " (" + rung.candidate()
                                + "): " + rung.whyDead() + ": it will never serve");
        }
        for (RouteCheck route : report.routes()) {
            if (route.down()) {
                boolean allDead = route.rungs().stream().allMatch(RungCheck::dead);
                out.println("warning: route " + route.alias() + ": every rung failed its check at once: "
                                    + (allDead ? "every request to " + route.alias() + " will fail"
                                    : route.alias() + " may have no working rung"));
            }
        }
        for (RouteCheck route : report.routes()) {
            for (RungCheck rung : route.rungs()) {
                for (KeyCheck key : rung.keys()) {
                    if (key.modelListed().equals(Optional.of(false))) {
                        out.println("warning: route " + route.alias() + ", rung " + rung.position() + " ("
                                            + rung.candidate() + "), key " + key.keyLabel() + ": model '"
                                            + rung.candidate().model() + "' not listed by the provider (some providers "
                                            + "do not list every model they serve; a typo would fail as 404)");
                    }
                }
            }
        }
        int dead = report.deadRungs().size();
        if (dead > 0) {
            out.println("live check FAILED: " + dead + " rung" + (dead == 1 ? "" : "s")
                                + " cannot serve (every key refused, missing or finding nothing)");
        } else {
            out.println("live check OK");
        }
    }

    /** A rung's lines: key, result, detail. A rung that was not checked at all has one line saying why. */
    private static List<String[]> lines(RungCheck rung) {
        if (rung.notChecked().isPresent()) {
            return List.<String[]>of(new String[] {"-", "NOT CHECKED", rung.notChecked().get()});
        }
        return rung.keys().stream().map(k -> new String[] {k.keyLabel(), result(k), detail(k)}).toList();
    }

    /** The result column: upper case for what stops a key from serving. */
    static String result(KeyCheck key) {
        if (key.missing().isPresent()) {
            return "KEY MISSING";
        }
        return key.result().map(r -> switch (r.verdict()) {
            case OK -> key.modelListed().equals(Optional.of(false)) ? "ok, model not listed by the provider" : "ok";
            case AUTH_FAILED -> "AUTH FAILED";
            case UNREACHABLE -> "UNREACHABLE";
            case NOT_FOUND -> "NOT FOUND";
            case ERROR -> "error";
        }).orElse("not checked");
    }

    static String detail(KeyCheck key) {
        return key.missing().orElseGet(() -> key.result().map(r -> r.detail() + " (" + r.tookText() + ")").orElse(""));
    }
}
