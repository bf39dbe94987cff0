package io.hedgerow.config;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/** Binds {@code observe}: events, the status page's memory, metric tags, the config watcher and live checks. */
final class ObserveBinder {
    static final Keys OBSERVE = Keys.of("observe", "events", "recent-events", "max-tags", "watch-config", "preflight",
                                        "tracing");
    static final Keys PREFLIGHT = Keys.of("observe.preflight", "enabled", "interval", "timeout");
    static final Keys TRACING = Keys.of("observe.tracing", "endpoint", "protocol", "headers", "sample-ratio",
                                        "capture-content");

    private final Secrets secrets;

    ObserveBinder(Secrets secrets) {
        this.secrets = secrets;
    }

    static List<Keys> keys() {
        return List.of(OBSERVE, PREFLIGHT, TRACING);
    }

    ObserveSettings bind(ConfigNode node) {
        node.check(OBSERVE);
        ObserveSettings d = ObserveSettings.DEFAULTS;
        return new ObserveSettings(events(node.get("events"), d.events()),
                                   node.get("recent-events").integer(0, 10_000).orElse(d.recentEvents()),
                                   node.get("max-tags").integer(0, 1000).orElse(d.maxTags()),
                                   node.get("watch-config").bool().orElse(d.watchConfig()),
                                   preflight(node.get("preflight")), tracing(node.get("tracing")));
    }

    /**
     * {@code observe.tracing}: on when it names an {@code endpoint}. Header values resolve like keys ({@code ${ENV}},
     * {@code {env: ..}}, {@code {file: ..}}), as a collector's token is a secret too.
     */
    private TracingSettings tracing(ConfigNode node) {
        if (!node.exists()) {
            return fromEnvironment(node);
        }
        node.check(TRACING);
        java.util.Optional<java.net.URI> endpoint = node.get("endpoint").url();
        if (!node.get("endpoint").exists()) {
            node.get("endpoint").error("missing (expected: the collector's OTLP/HTTP traces URL, e.g. "
                    + "http://localhost:4318/v1/traces)");
        }
        node.get("protocol").choice(java.util.Map.of("http/protobuf", "http/protobuf"), "http/protobuf");
        java.util.Map<String, String> headers = new java.util.LinkedHashMap<>();
        ConfigNode headersNode = node.get("headers");
        if (headersNode.exists() && !headersNode.isMap()) {
            headersNode.error("must be a map of header names to values");
        }
        for (ConfigNode header : headersNode.isMap() ? headersNode.entries() : List.<ConfigNode>of()) {
            boolean plain = header.isScalar() && !header.text().orElse("").contains("${");
            if (plain) {
                header.text().ifPresent(v -> headers.put(header.name(), v));
            } else {
                secrets.resolve(header, java.util.Optional.of(header.name()))
                        .ifPresent(r -> headers.put(header.name(), r.key().value()));
            }
        }
        double ratio = node.get("sample-ratio").number(0, 1).orElse(1.0);
        boolean content = node.get("capture-content").bool().orElse(false);
        return new TracingSettings(endpoint, headers, ratio, content);
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

    /**
     * Without {@code observe.tracing}, OpenTelemetry's standard variables: {@code OTEL_EXPORTER_OTLP_TRACES_ENDPOINT}
     * (the traces URL itself), else {@code OTEL_EXPORTER_OTLP_ENDPOINT} (a base: {@code /v1/traces} is added). A bad
     * URL there is reported like a bad config value. Neither: tracing off.
     */
    private TracingSettings fromEnvironment(ConfigNode node) {
        java.util.Optional<String> endpoint = secrets.env("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
                .or(() -> secrets.env("OTEL_EXPORTER_OTLP_ENDPOINT")
                        .map(base -> (base.endsWith("/") ? base.substring(0, base.length() - 1) : base) + "/v1/traces"));
        if (endpoint.isEmpty()) {
            return TracingSettings.OFF;
        }
        try {
            java.net.URI uri = java.net.URI.create(endpoint.get());
            if (uri.getHost() == null || !uri.getScheme().startsWith("http")) {
                throw new IllegalArgumentException("not an http(s) URL");
            }
            return new TracingSettings(java.util.Optional.of(uri), java.util.Map.of(), 1.0, false);
        } catch (RuntimeException e) {
            node.error("from the environment, '" + endpoint.get() + "' (expected: an http:// or https:// URL)");
            return TracingSettings.OFF;
        }
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
