package io.hedgerow;

import io.hedgerow.config.ConfigDraft;
import io.hedgerow.config.ConfigLoader;
import io.hedgerow.config.HedgerowConfig;
import io.hedgerow.json.Json;
import io.hedgerow.preflight.LiveCheck;
import io.hedgerow.preflight.ReportJson;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Optional;

/**
 * {@code hedgerow check [--live] [--format text|json]}: every problem of a config file in one run. The static check
 * lists every error and warning of the file; with {@code --live}, every rung that can be checked is then asked (even
 * when the file has errors: a key whose variable is unset is reported as missing in the same table, and the others
 * are still checked). Exits 1 when the file has an error or a rung cannot serve, else 0.
 *
 * <p>Text goes to people: problems of the file on standard error, the routes and the live table on standard output.
 * JSON goes to pipelines: one object on standard output, nothing else.
 */
final class CheckCommand {
    private CheckCommand() {
    }

    static int run(Path file, ConfigLoader.Result result, boolean live, boolean json, PrintStream out,
                   PrintStream err, Clock clock) {
        Optional<LiveCheck> liveCheck = live ? result.draft().map(d -> LiveCheck.run(d, clock)) : Optional.empty();
        int exit = !result.errors().isEmpty() || liveCheck.map(l -> l.report().exitCode()).orElse(0) != 0 ? 1 : 0;
        if (json) {
            out.println(json(file, result, liveCheck, exit));
            return exit;
        }
        result.warnings().forEach(w -> err.println("warning: " + w));
        if (!result.errors().isEmpty()) {
            err.println("hedgerow: " + file + " has " + result.errors().size() + " problem"
                                + (result.errors().size() == 1 ? "" : "s") + ":");
            result.errors().forEach(e -> err.println("  error: " + e));
        }
        result.config().ifPresent(config -> printRoutes(file, config, out));
        liveCheck.ifPresent(l -> {
            if (!result.errors().isEmpty()) {
                out.println(file + " has " + result.errors().size() + " problem"
                                    + (result.errors().size() == 1 ? "" : "s")
                                    + " (on standard error); checking every rung it allows:");
            }
            l.print(out);
        });
        return exit;
    }

    private static void printRoutes(Path file, HedgerowConfig config, PrintStream out) {
        out.println(file + ": OK (" + config.providers().size() + " providers, " + config.routes().size()
                            + " routes)");
        config.routes().values().forEach(route -> out.println("  " + route.alias() + ": "
                + String.join(" -> ", route.chain().stream().map(Object::toString).toList())));
    }

    private static String json(Path file, ConfigLoader.Result result, Optional<LiveCheck> live, int exit) {
        ObjectNode root = Json.object().put("config", file.toString()).put("ok", exit == 0).put("exit_code", exit);
        ArrayNode errors = root.putArray("errors");
        result.errors().forEach(errors::add);
        ArrayNode warnings = root.putArray("warnings");
        result.warnings().forEach(warnings::add);
        ObjectNode routes = root.putObject("routes");
        result.draft().map(ConfigDraft::config).ifPresent(c -> c.routes().values().forEach(r -> {
            ArrayNode chain = routes.putArray(r.alias());
            r.chain().forEach(ref -> chain.add(ref.toString()));
        }));
        if (live.isPresent()) {
            ObjectNode l = root.putObject("live");
            l.put("targets", live.get().targets()).put("timeout_ms", live.get().timeout().toMillis());
            l.setAll(ReportJson.write(live.get().report()));
        } else {
            root.putNull("live");
        }
        try {
            return Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(root);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a JSON tree built in memory always serialises", e);
        }
    }
}
