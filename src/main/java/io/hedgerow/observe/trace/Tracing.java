package io.hedgerow.observe.trace;

import io.hedgerow.config.TracingSettings;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.api.trace.TracerProvider;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.propagation.TextMapPropagator;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporter;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporterBuilder;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import io.opentelemetry.sdk.trace.samplers.Sampler;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The router's OpenTelemetry tracing, built from {@code observe.tracing}: an SDK tracer provider (no global
 * registration, so several routers in one JVM, as in tests, keep theirs apart) whose spans go through a batch processor
 * to an OTLP/HTTP protobuf exporter (the JDK's HttpClient sends them). The sampler follows the client's sampled flag
 * when a {@code traceparent} came, else records {@code sample-ratio} of new traces. Off: a no-op tracer, nothing
 * allocated per request beyond the no-op spans.
 *
 * <p>Thread-safe: the SDK's provider and tracer are.
 */
public final class Tracing implements AutoCloseable {
    /** W3C Trace Context ({@code traceparent}, {@code tracestate}): what clients send and upstreams receive. */
    static final TextMapPropagator PROPAGATOR = W3CTraceContextPropagator.getInstance();
    private static final String SCOPE = "io.hedgerow";

    private final Optional<SdkTracerProvider> provider;
    private final Tracer tracer;
    private final TracingSettings settings;

    private Tracing(Optional<SdkTracerProvider> provider, Tracer tracer, TracingSettings settings) {
        this.provider = provider;
        this.tracer = tracer;
        this.settings = settings;
    }

    /** Tracing as configured: off without an endpoint. */
    public static Tracing create(TracingSettings settings, String version) {
        if (!settings.enabled()) {
            return new Tracing(Optional.empty(), TracerProvider.noop().get(SCOPE), settings);
        }
        OtlpHttpSpanExporterBuilder exporter = OtlpHttpSpanExporter.builder()
                .setEndpoint(settings.endpoint().orElseThrow().toString())
                .setTimeout(Duration.ofSeconds(10));
        settings.headers().forEach(exporter::addHeader);
        SdkTracerProvider sdk = SdkTracerProvider.builder()
                .setResource(Resource.getDefault().merge(Resource.create(Attributes.of(
                        AttributeKey.stringKey("service.name"), "hedgerow",
                        AttributeKey.stringKey("service.version"), version))))
                .setSampler(Sampler.parentBased(Sampler.traceIdRatioBased(settings.sampleRatio())))
                .addSpanProcessor(BatchSpanProcessor.builder(exporter.build())
                                          .setScheduleDelay(Duration.ofMillis(500)).build())
                .build();
        return new Tracing(Optional.of(sdk), sdk.get(SCOPE, version), settings);
    }

    public boolean enabled() {
        return provider.isPresent();
    }

    Tracer tracer() {
        return tracer;
    }

    TracingSettings settings() {
        return settings;
    }

    /** Exports what has ended, waiting at most {@code timeout}; true when it all went out. */
    public boolean flush(Duration timeout) {
        return provider.map(p -> p.forceFlush().join(timeout.toMillis(), TimeUnit.MILLISECONDS).isSuccess())
                .orElse(true);
    }

    /** Exports what is left (bounded) and stops the exporter. Idempotent. */
    @Override
    public void close() {
        provider.ifPresent(p -> p.shutdown().join(5, TimeUnit.SECONDS));
    }
}
