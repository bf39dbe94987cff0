package io.hedgerow.config;

import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/**
 * What Hedgerow tells about itself, beyond metrics (which are always on).
 *
 * @param events       where structured event lines go: {@code stdout}, {@code off}, or a file path (appended to)
 * @param recentEvents how many recent events {@code GET /status} keeps
 * @param maxTags      how many distinct {@code x-hedgerow-tag} values are counted separately; later ones are
 *                     counted as {@code other} (keeps metric cardinality bounded)
 * @param watchConfig  whether the config file is watched and reloaded when it changes
 * @param preflight    live checks of every route's providers and keys, at start-up and every interval
 * @param tracing      OpenTelemetry traces ({@code observe.tracing}); off by default
 */
public record ObserveSettings(String events, int recentEvents, int maxTags, boolean watchConfig,
                             PreflightSettings preflight, TracingSettings tracing) {
    public static final ObserveSettings DEFAULTS = new ObserveSettings("stdout", 100, 50, true);

    public ObserveSettings {
        Objects.requireNonNull(events, "events");
        Checks.atLeast("observe.recent-events", recentEvents, 0);
        Checks.atLeast("observe.max-tags", maxTags, 0);
        Objects.requireNonNull(preflight, "preflight");
        Objects.requireNonNull(tracing, "tracing");
    }

    /** Settings without tracing. */
    public ObserveSettings(String events, int recentEvents, int maxTags, boolean watchConfig,
                           PreflightSettings preflight) {
        this(events, recentEvents, maxTags, watchConfig, preflight, TracingSettings.OFF);
    }

    /** Settings with the default live checks. */
    public ObserveSettings(String events, int recentEvents, int maxTags, boolean watchConfig) {
        this(events, recentEvents, maxTags, watchConfig, PreflightSettings.DEFAULTS);
    }

    /** These settings with other live checks. */
    public ObserveSettings withPreflight(PreflightSettings settings) {
        return new ObserveSettings(events, recentEvents, maxTags, watchConfig, settings, tracing);
    }

    /** These settings with other tracing. */
    public ObserveSettings withTracing(TracingSettings settings) {
        return new ObserveSettings(events, recentEvents, maxTags, watchConfig, preflight, settings);
    }

    /** The file events are appended to, when {@code events} names one. */
    public Optional<Path> eventsFile() {
        return events.equals("stdout") || events.equals("off") ? Optional.empty() : Optional.of(Path.of(events));
    }

    /** Whether events are printed to standard output. */
    public boolean eventsToStdout() {
        return events.equals("stdout");
    }
}
