package io.hedgerow.observe;

import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What the observers know about the request being served on this thread: its id (for events), tag and route
 * (for labels), when its attempts started (for latencies) and its estimated prompt size (for the cost of
 * cancelled attempts). Set when a request begins and cleared when it ends; inheritable, so the attempts' virtual
 * threads (started by the request's thread) report health events under the same request id.
 */
final class RequestContext {
    private static final InheritableThreadLocal<RequestContext> CURRENT = new InheritableThreadLocal<>();

    final String requestId;
    /** The inbound API called ({@code chat_completions}, {@code messages}): a fixed set, safe as a label. */
    final String api;
    final String tag;
    final long startNanos;
    final Generation generation;
    final Map<String, Long> attemptStarts = new ConcurrentHashMap<>();
    volatile String route = Labels.NO_ROUTE;
    volatile boolean stream;
    volatile long promptTokens;
    volatile String winner;
    volatile String outcome;
    /** The race's attempts, for {@code hedgerow tune}. */
    final RequestTrace trace = new RequestTrace();

    RequestContext(String requestId, String api, String tag, long startNanos, Generation generation) {
        this.requestId = requestId;
        this.api = api;
        this.tag = tag;
        this.startNanos = startNanos;
        this.generation = generation;
    }

    static Optional<RequestContext> current() {
        return Optional.ofNullable(CURRENT.get());
    }

    void enter() {
        CURRENT.set(this);
    }

    void exit() {
        if (CURRENT.get() == this) {
            CURRENT.remove();
        }
    }
}
