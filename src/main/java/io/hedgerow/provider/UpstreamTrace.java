package io.hedgerow.provider;

import java.util.Map;

/**
 * The trace context an upstream call carries: W3C {@code traceparent} (and {@code tracestate}) headers of the attempt's
 * own span, set by the tracer when it starts the attempt's span on the request's thread, just before the attempt's
 * thread is started, which inherits them. {@link HttpUpstream} adds them to every request it sends from that thread.
 * Empty when tracing is off or the request is not sampled.
 *
 * <p>Why an inheritable thread-local: the provider layer knows nothing of executors or observers (the arrows point
 * down the path), and OpenTelemetry's own context does not cross into a thread started later.
 */
public final class UpstreamTrace {
    private static final InheritableThreadLocal<Map<String, String>> HEADERS = new InheritableThreadLocal<>();

    private UpstreamTrace() {
    }

    /** The headers threads started from now on by this thread carry upstream; empty to carry none. */
    public static void set(Map<String, String> headers) {
        if (headers.isEmpty()) {
            HEADERS.remove();
        } else {
            HEADERS.set(Map.copyOf(headers));
        }
    }

    /** The trace headers for a call made on this thread. */
    static Map<String, String> current() {
        Map<String, String> headers = HEADERS.get();
        return headers == null ? Map.of() : headers;
    }
}
