package io.hedgerow.preflight;

import io.hedgerow.json.Json;
import io.hedgerow.preflight.PreflightReport.KeyCheck;
import io.hedgerow.preflight.PreflightReport.RouteCheck;
import io.hedgerow.preflight.PreflightReport.RungCheck;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.Optional;

/**
 * A {@link PreflightReport} as JSON, the same table {@code check --format json} prints and {@code /status} shows:
 * <pre>{@code
 * {"routes": [{"route": "smart", "down": false, "rungs": [
 *     {"position": 1, "candidate": "anthropic/claude-opus-4-1", "can_serve": true, "why": null, "not_checked": null,
 *      "keys": [{"key": "main", "result": "ok", "detail": "9 models listed", "took_ms": 210, "model_listed": true,
 *                "checked_at": "2026-12-07T07:00:00Z"}]}, ...]}],
 *  "cannot_serve": ["smart#3: ..."], "routes_down": [], "not_listed": []}
 * }</pre>
 * {@code result} is {@code ok}, {@code auth_failed}, {@code unreachable}, {@code not_found}, {@code error},
 * {@code missing} (the key could not be resolved) or {@code not_checked}; {@code can_serve} is null when unknown.
 */
public final class ReportJson {
    private ReportJson() {
    }

    public static ObjectNode write(PreflightReport report) {
        ObjectNode root = Json.object();
        ArrayNode routes = root.putArray("routes");
        for (RouteCheck route : report.routes()) {
            ObjectNode r = routes.addObject().put("route", route.alias()).put("down", route.down());
            ArrayNode rungs = r.putArray("rungs");
            for (RungCheck rung : route.rungs()) {
                ObjectNode g = rungs.addObject().put("position", rung.position())
                        .put("candidate", rung.candidate().toString());
                Optional<Boolean> canServe = rung.canServe();
                if (canServe.isPresent()) {
                    g.put("can_serve", canServe.get());
                } else {
                    g.putNull("can_serve");
                }
                g.put("why", rung.dead() ? rung.whyDead() : null);
                g.put("not_checked", rung.notChecked().orElse(null));
                ArrayNode keys = g.putArray("keys");
                rung.keys().forEach(k -> key(keys.addObject(), k));
            }
        }
        ArrayNode dead = root.putArray("cannot_serve");
        report.deadRungs().forEach(g -> dead.add(g.route() + "#" + g.position() + " " + g.candidate() + ": "
                + g.whyDead()));
        ArrayNode down = root.putArray("routes_down");
        report.routesDown().forEach(down::add);
        ArrayNode notListed = root.putArray("not_listed");
        report.notListed().forEach(notListed::add);
        return root;
    }

    private static void key(ObjectNode node, KeyCheck key) {
        node.put("key", key.keyLabel());
        if (key.missing().isPresent()) {
            node.put("result", "missing").put("detail", key.missing().get());
            return;
        }
        if (key.result().isEmpty()) {
            node.put("result", "not_checked");
            return;
        }
        CheckResult r = key.result().get();
        node.put("result", r.verdict().wireName()).put("detail", r.detail()).put("took_ms", r.took().toMillis())
                .put("checked_at", r.checkedAt().toString());
        if (key.modelListed().isPresent()) {
            node.put("model_listed", key.modelListed().get());
        } else {
            node.putNull("model_listed");
        }
    }
}
