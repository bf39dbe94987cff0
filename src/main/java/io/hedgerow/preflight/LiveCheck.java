package io.hedgerow.preflight;

import io.hedgerow.config.Checks;
import io.hedgerow.config.ConfigDraft;
import io.hedgerow.config.ProviderConfig;
import io.hedgerow.provider.ProviderClient;
import io.hedgerow.provider.ProviderClients;
import io.hedgerow.time.Randomness;
import io.hedgerow.time.Ticker;

import java.io.PrintStream;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * {@code hedgerow check --live}: asks every provider+key a route uses for its list of models (no tokens spent), all
 * at once within {@code observe.preflight.timeout}, and judges the results rung by rung. It works on a file with
 * errors too ({@link ConfigDraft}): a key that could not be resolved is reported as missing in the same table, and
 * every rung that can be checked is, so one run finds everything.
 *
 * @param targets how many provider+key pairs were asked
 * @param timeout the longest one check could take
 * @param report  the results judged against the routes
 */
public record LiveCheck(int targets, Duration timeout, PreflightReport report) {
    public LiveCheck {
        Objects.requireNonNull(timeout, "timeout");
        Objects.requireNonNull(report, "report");
    }

    /** Runs the checks of everything {@code draft} allows to be checked. */
    public static LiveCheck run(ConfigDraft draft, Clock clock) {
        Objects.requireNonNull(draft, "draft");
        Map<Target, List<String>> used = Target.usedBy(draft.config());
        Map<String, ProviderConfig> providers = new LinkedHashMap<>();
        List<Target> targets = used.keySet().stream().filter(t -> {
            ProviderConfig p = draft.config().providers().get(t.provider());
            return draft.broken(t.provider()).isEmpty()
                    && PreflightReport.targets(p, draft.missingKeys(t.provider())).contains(t);
        }).toList();
        targets.forEach(t -> providers.put(t.provider(), draft.config().providers().get(t.provider())));
        Duration timeout = draft.config().observe().preflight().timeout();
        Map<Target, CheckResult> byTarget = new LinkedHashMap<>();
        if (!targets.isEmpty()) {
            Map<String, ProviderClient> clients = ProviderClients.create(providers, clock, Randomness.shared());
            try {
                Preflight.run(targets, clients, timeout, Ticker.system(), clock)
                        .forEach(r -> byTarget.put(r.target(), r));
            } finally {
                clients.values().forEach(ProviderClient::close);
            }
        }
        return new LiveCheck(targets.size(), timeout, PreflightReport.judge(draft, byTarget));
    }

    /** The table for people: a line saying what was asked, then {@link PreflightReport#print}. */
    public void print(PrintStream out) {
        out.println("live check: " + targets + " provider+key pair" + (targets == 1 ? "" : "s")
                            + " used by the routes, each asked for its list of models (no tokens spent; timeout "
                            + Checks.human(timeout) + ")");
        report.print(out);
    }
}
