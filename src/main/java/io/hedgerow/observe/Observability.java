package io.hedgerow.observe;

import io.hedgerow.config.ObserveSettings;

import io.helidon.metrics.api.MeterRegistry;
import io.helidon.metrics.api.Metrics;

import java.time.Clock;
import java.util.function.Consumer;
import java.util.function.Supplier;

/** Builds the observe side for {@code HedgerowServer}, and keeps it in step with the generation in use. */
public final class Observability {
    private Observability() {
    }

    /** Hedgerow's meters on Helidon's global registry, with the JVM and process meters bound once per JVM. */
    public static HedgerowMetrics metrics(Supplier<Generation> current) {
        MeterRegistry registry = Metrics.globalRegistry();
        JvmMeters.bindOnce(registry.unwrap(io.micrometer.core.instrument.MeterRegistry.class));
        return new HedgerowMetrics(registry, current);
    }

    /** An event log writing each line to {@code sink}. */
    public static EventLog eventLog(Consumer<String> sink, Clock clock, ObserveSettings settings) {
        return EventLog.to(sink, clock, settings.recentEvents());
    }

    /** The first generation is in use. */
    public static void started(Generation generation, Telemetry telemetry) {
        telemetry.metrics().syncGauges(generation, telemetry::state, telemetry.configHash());
    }

    /** A reload swapped in this generation. */
    public static void swapped(Generation generation, Telemetry telemetry) {
        telemetry.metrics().syncGauges(generation, telemetry::state, telemetry.configHash());
        telemetry.maxTags(generation.config().observe().maxTags());
    }
}
