package io.hedgerow.observe;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hedgerow.config.ObserveSettings;
import io.hedgerow.json.Json;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Structured events, one JSON object per line: {@code {"time": ISO-8601, "event": TYPE, "request_id": ...,
 * ...fields}}, to standard output, a file, or nowhere ({@code observe.events}); the most recent are also kept for
 * {@code GET /status}. Events carry labels (routes, candidates, key labels) and failure summaries that the provider
 * layer has already redacted, never a credential.
 *
 * <p>Thread-safe. Lines to standard output or a file are written by a {@link LineWriter} on a thread of its own, so
 * the request that emits an event never waits for the terminal or the disk (nor for another request's write); if
 * the writer falls {@value #BACKLOG} lines behind, lines are dropped and an {@code events_dropped} line says how
 * many. The recent list is guarded by this object's lock, held only to add to it.
 */
public final class EventLog implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(EventLog.class.getName());
    /** Lines the writer may fall behind by before lines are dropped. */
    static final int BACKLOG = 10_000;

    private final Clock clock;
    private final Consumer<String> sink;
    private final AutoCloseable closer;
    private final int capacity;
    private final ArrayDeque<ObjectNode> recent;
    private final ArrayDeque<ObjectNode> changes;

    /**
     * Events that change what the router will do next (health, config, live checks), as opposed to events about one
     * request: kept in a ring of their own, so that a burst of failovers cannot push the breaker opening that explains
     * them out of {@code /status}.
     */
    static final java.util.Set<String> CHANGES = java.util.Set.of("breaker_transition", "cooldown_started",
            "cooldown_ended", "demoted", "recovered", "config_reloaded", "config_rejected", "preflight_failed");
    /** Events about one request. */
    static final java.util.Set<String> REQUESTS = java.util.Set.of("failover", "retried", "hedge_won", "chain_failed",
            "stream_resumed");

    EventLog(Clock clock, Consumer<String> sink, AutoCloseable closer, int capacity) {
        this.clock = clock;
        this.sink = sink;
        this.closer = closer;
        this.capacity = capacity;
        this.recent = new ArrayDeque<>(Math.min(capacity, 1024));
        this.changes = new ArrayDeque<>(Math.min(capacity, 1024));
    }

    /** The wall clock events are stamped with. */
    Clock clock() {
        return clock;
    }

    /** The event log the settings ask for: standard output, an appended file, or none (recent events only). */
    public static EventLog create(ObserveSettings settings, Clock clock, PrintStream stdout) {
        if (settings.eventsFile().isPresent()) {
            try {
                BufferedWriter writer = Files.newBufferedWriter(settings.eventsFile().get(), StandardCharsets.UTF_8,
                                                                StandardOpenOption.CREATE, StandardOpenOption.APPEND);
                LineWriter lines = background(clock, line -> {
                    try {
                        writer.write(line);
                        writer.newLine();
                        writer.flush();
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                });
                return new EventLog(clock, lines, () -> {
                    lines.close();
                    writer.close();
                }, settings.recentEvents());
            } catch (IOException e) {
                throw new UncheckedIOException("observe.events: cannot open " + settings.eventsFile().get(), e);
            }
        }
        if (!settings.eventsToStdout()) {
            return new EventLog(clock, line -> { }, () -> { }, settings.recentEvents());
        }
        LineWriter lines = background(clock, stdout::println);
        return new EventLog(clock, lines, lines::close, settings.recentEvents());
    }

    private static LineWriter background(Clock clock, Consumer<String> sink) {
        return new LineWriter("hedgerow-events", BACKLOG, sink, n -> "{\"time\":\"" + clock.instant()
                + "\",\"event\":\"events_dropped\",\"count\":" + n + "}");
    }

    /** An event log that keeps recent events and hands each line to {@code sink}, one at a time, at once (tests). */
    static EventLog to(Consumer<String> sink, Clock clock, int capacity) {
        Object lock = new Object();
        return new EventLog(clock, line -> {
            synchronized (lock) {
                sink.accept(line);
            }
        }, () -> { }, capacity);
    }

    /**
     * Writes one event.
     *
     * @param type      e.g. {@code breaker_transition}
     * @param requestId the request it happened in, when it happened in one
     * @param fields    fills in the event's own fields
     */
    public void emit(String type, Optional<String> requestId, Consumer<ObjectNode> fields) {
        ObjectNode event = Json.object();
        event.put("time", clock.instant().toString());
        event.put("event", type);
        requestId.ifPresent(id -> event.put("request_id", id));
        fields.accept(event);
        String line;
        try {
            line = Json.MAPPER.writeValueAsString(event);
        } catch (JsonProcessingException e) {
            LOG.log(System.Logger.Level.WARNING, "cannot write event " + type, e);
            return;
        }
        if (capacity > 0) {
            synchronized (this) {
                if (recent.size() >= capacity) {
                    recent.removeFirst();
                }
                recent.addLast(event);
                if (CHANGES.contains(type)) {
                    if (changes.size() >= capacity) {
                        changes.removeFirst();
                    }
                    changes.addLast(event);
                }
            }
        }
        try {
            sink.accept(line);
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "cannot write event " + type, e);
        }
    }

    /** The most recent events, newest last. */
    public synchronized List<JsonNode> recent() {
        return new ArrayList<>(recent);
    }

    /** The most recent {@link #CHANGES}, newest last, however many request events came since. */
    public synchronized List<JsonNode> recentChanges() {
        return new ArrayList<>(changes);
    }

    @Override
    public void close() {
        try {
            closer.close();
        } catch (Exception e) {
            LOG.log(System.Logger.Level.WARNING, "cannot close the event log", e);
        }
    }
}
