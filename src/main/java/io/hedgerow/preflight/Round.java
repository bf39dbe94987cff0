package io.hedgerow.preflight;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One round of the running router's live checks.
 *
 * @param trigger   {@code startup}, {@code interval} or {@code reload}
 * @param startedAt when it started
 * @param took      how long its checks took together
 * @param ran       the checks it ran (those that were due), in target order; empty when none was due
 * @param latest    the latest result of every target the routes use now, from this round or earlier ones
 * @param report    {@link #latest} judged against the routes
 */
public record Round(String trigger, Instant startedAt, Duration took, List<CheckResult> ran,
                   Map<Target, CheckResult> latest, PreflightReport report) {
    public Round {
        Objects.requireNonNull(trigger, "trigger");
        Objects.requireNonNull(startedAt, "startedAt");
        Objects.requireNonNull(took, "took");
        ran = List.copyOf(ran);
        latest = Map.copyOf(latest);
        Objects.requireNonNull(report, "report");
    }

    /** How many of the checks it ran ended with {@code verdict}. */
    public long count(Verdict verdict) {
        return ran.stream().filter(r -> r.verdict() == verdict).count();
    }
}
