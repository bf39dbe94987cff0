package io.hedgerow.api;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * The router's own count of how each {@code /v1} request ended, as written to the client: {@code ok} (a whole JSON
 * answer), {@code ok_stream} (a stream ended with {@code [DONE]}), {@code stream_error} (a stream ended with an
 * error event), {@code status_NNN} (an error status with a JSON body), {@code client_gone} (the client left or a
 * write failed). Set beside the clients' own count, it shows that every request got exactly one answer.
 * Thread-safe.
 */
public final class RequestLedger {
    private final Map<String, LongAdder> counts = new ConcurrentHashMap<>();

    void record(String outcome) {
        counts.computeIfAbsent(outcome, k -> new LongAdder()).increment();
    }

    /** Every outcome seen so far and its count, sorted by name. */
    public Map<String, Long> snapshot() {
        Map<String, Long> copy = new TreeMap<>();
        counts.forEach((k, v) -> copy.put(k, v.sum()));
        return copy;
    }

    /** All requests counted. */
    public long total() {
        return counts.values().stream().mapToLong(LongAdder::sum).sum();
    }

    /** {@code ok=10 ok_stream=7 status_429=1}: for the log line at shutdown. */
    public String summary() {
        StringBuilder sb = new StringBuilder();
        snapshot().forEach((k, v) -> sb.append(sb.isEmpty() ? "" : " ").append(k).append('=').append(v));
        return sb.isEmpty() ? "none" : sb.toString();
    }
}
