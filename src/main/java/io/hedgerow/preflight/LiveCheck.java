package io.hedgerow.preflight;

import io.hedgerow.config.Checks;
import io.hedgerow.config.HedgerowConfig;
import io.hedgerow.config.ProviderConfig;
import io.hedgerow.provider.ProviderClient;
import io.hedgerow.provider.ProviderClients;
import io.hedgerow.time.Ticker;

import java.io.PrintStream;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * {@code hedgerow check --live}: after the static check, asks every provider+key a route uses for its list of models
 * (no tokens spent), all at once within {@code observe.preflight.timeout}, and prints a table per route rung with
 * what each key got. Exits 1 when a rung cannot serve: every key refused, or nothing answering.
 */
public final class LiveCheck {
    private LiveCheck() {
    }

    /** Runs the checks of {@code config}, prints the report to {@code out}, and returns the exit code. */
    public static int run(HedgerowConfig config, PrintStream out, Clock clock) {
        Objects.requireNonNull(config, "config");
        Map<Target, List<String>> targets = Target.usedBy(config);
        Map<String, ProviderConfig> providers = new LinkedHashMap<>();
        targets.keySet().forEach(t -> providers.put(t.provider(), config.providers().get(t.provider())));
        Map<String, ProviderClient> clients = ProviderClients.create(providers, clock, io.hedgerow.time.Randomness.shared());
        Duration timeout = config.observe().preflight().timeout();
        out.println("live check: " + targets.size() + " provider+key pair" + (targets.size() == 1 ? "" : "s")
                            + " used by the routes, each asked for its list of models (no tokens spent; timeout "
                            + Checks.human(timeout) + ")");
        List<CheckResult> results = Preflight.run(List.copyOf(targets.keySet()), clients, timeout, Ticker.system(),
                                                  clock);
        Map<Target, CheckResult> byTarget = new LinkedHashMap<>();
        results.forEach(r -> byTarget.put(r.target(), r));
        PreflightReport report = PreflightReport.judge(config, byTarget);
        report.print(out);
        return report.exitCode();
    }
}
