package io.hedgerow.config;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/** Binds {@code observe}: events, the status page's memory, metric tags, the config watcher and live checks. */
final class ObserveBinder {
    static final Keys OBSERVE = Keys.of("observe", "events", "recent-events", "max-tags", "watch-config", "preflight");
    static final Keys PREFLIGHT = Keys.of("observe.preflight", "enabled", "interval", "timeout");

    static List<Keys> keys() {
        return List.of(OBSERVE, PREFLIGHT);
    }

    ObserveSettings bind(ConfigNode node) {
        node.check(OBSERVE);
        ObserveSettings d = ObserveSettings.DEFAULTS;
        return new ObserveSettings(events(node.get("events"), d.events()),
                                   node.get("recent-events").integer(0, 10_000).orElse(d.recentEvents()),
                                   node.get("max-tags").integer(0, 1000).orElse(d.maxTags()),
                                   node.get("watch-config").bool().orElse(d.watchConfig()),
                                   preflight(node.get("preflight")));
    }

    /** {@code stdout}, {@code off}, or a file in an existing directory. */
    private static String events(ConfigNode node, String fallback) {
        // An unquoted off/no/false means off (and on/yes/true stdout): YAML 1.1 reads them as booleans, and a
        // file named 'no' would be a silent surprise.
        String events = node.yamlBoolean().map(on -> on ? "stdout" : "off")
                .or(() -> node.text().map(String::trim)).orElse(fallback);
        if (events.isEmpty()) {
            node.error("empty (expected: stdout, off, or a file path)");
            return fallback;
        }
        if (!events.equals("stdout") && !events.equals("off")) {
            Path parent = Path.of(events).toAbsolutePath().getParent();
            if (parent == null || !Files.isDirectory(parent)) {
                node.error("'" + events + "' (expected: stdout, off, or a file in an existing directory)");
                return fallback;
            }
        }
        return events;
    }

    /** {@code observe.preflight}: {@code off}, {@code on}, or {@code {enabled, interval, timeout}}. */
    private static PreflightSettings preflight(ConfigNode node) {
        PreflightSettings d = PreflightSettings.DEFAULTS;
        if (node.isScalar()) {
            return node.bool().map(d::withEnabled).orElse(d);
        }
        node.check(PREFLIGHT);
        boolean enabled = node.get("enabled").bool().orElse(d.enabled());
        ConfigNode intervalNode = node.get("interval");
        Duration interval = intervalNode.positive().filter(i -> {
            if (i.compareTo(PreflightSettings.MIN_INTERVAL) < 0) {
                intervalNode.error("'" + Checks.human(i) + "' (expected: at least "
                        + Checks.human(PreflightSettings.MIN_INTERVAL) + ": checks of our own must stay cheap)");
                return false;
            }
            return true;
        }).orElse(d.interval());
        ConfigNode timeoutNode = node.get("timeout");
        Duration timeout = timeoutNode.positive().filter(t -> {
            if (t.compareTo(PreflightSettings.MAX_TIMEOUT) > 0) {
                timeoutNode.error("'" + Checks.human(t) + "' (expected: at most "
                        + Checks.human(PreflightSettings.MAX_TIMEOUT) + ")");
                return false;
            }
            return true;
        }).orElse(d.timeout());
        return node.build(() -> new PreflightSettings(enabled, interval, timeout), d);
    }
}
