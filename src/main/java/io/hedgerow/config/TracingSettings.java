package io.hedgerow.config;

import java.net.URI;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * {@code observe.tracing}: OpenTelemetry traces, exported over OTLP/HTTP (protobuf). Off unless an endpoint is set.
 *
 * @param endpoint       where spans go, e.g. {@code http://jaeger:4318/v1/traces}; empty: tracing off
 * @param headers        sent with every export (an collector's auth header, say); values may be secrets
 * @param sampleRatio    the share of new traces recorded, 0..1; a client's sampled {@code traceparent} is followed
 * @param captureContent whether prompts and completions are recorded on spans (never keys)
 */
public record TracingSettings(Optional<URI> endpoint, Map<String, String> headers, double sampleRatio,
                              boolean captureContent) {
    public static final TracingSettings OFF = new TracingSettings(Optional.empty(), Map.of(), 1.0, false);

    public TracingSettings {
        Objects.requireNonNull(endpoint, "endpoint");
        headers = Map.copyOf(headers);
    }

    public boolean enabled() {
        return endpoint.isPresent();
    }

    /** Shows the endpoint and header names only: header values may be credentials. */
    @Override
    public String toString() {
        return "TracingSettings[endpoint=" + endpoint.map(URI::toString).orElse("off") + ", headers="
                + headers.keySet() + ", sampleRatio=" + sampleRatio + ", captureContent=" + captureContent + "]";
    }
}
