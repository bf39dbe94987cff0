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
 */
public record ObserveSettings(String events, int recentEvents, int maxTags, boolean watchConfig) {
    public static final ObserveSettings DEFAULTS = new ObserveSettings("stdout", 100, 50, true);

    public ObserveSettings {
        Objects.requireNonNull(events, "events");
        Checks.atLeast("observe.recent-events", recentEvents, 0);
        Checks.atLeast("observe.max-tags", maxTags, 0);
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
