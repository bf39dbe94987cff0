package io.hedgerow.fakes;

import io.hedgerow.json.Json;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.helidon.http.Header;
import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webserver.WebServer;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Queue;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A fake Ollama: a real Helidon {@link WebServer} on a free port answering {@code POST /api/chat} in Ollama's
 * wire format, as JSON when the request says {@code "stream": false} and otherwise (Ollama's default) as
 * NDJSON, one object per line, flushed line by line.
 *
 * <p>What it answers is scripted: {@link #answerNext(Answer...)} queues answers used once each, in order;
 * when the queue is empty the {@link #answerByDefault(Answer) default} answers (a short text). Every request
 * is recorded with its JSON body and headers. A stream the client abandons is noticed when the next line
 * cannot be written: {@link #awaitDisconnect(Duration)} waits for that.
 *
 * <pre>{@code
 * try (FakeOllama ollama = FakeOllama.start()) {
 *     ollama.answerNext(Answer.text("Hel", "lo").withUsage(7, 2), Answer.status(503, "{\"error\":\"busy\"}"));
 *     ... point a provider at ollama.baseUrl() ...
 *     JsonNode sent = ollama.lastReceived().body();
 * }
 * }</pre>
 */
public final class FakeOllama implements AutoCloseable {
    private static final String CREATED_AT = "2025-01-01T00:00:00.000000Z";

    private final WebServer server;
    private final Queue<Answer> script = new ConcurrentLinkedQueue<>();
    private final List<Received> received = new CopyOnWriteArrayList<>();
    private final AtomicInteger disconnects = new AtomicInteger();
    private final CountDownLatch disconnected = new CountDownLatch(1);
    private volatile Answer fallback = Answer.text("Hello", " from", " Ollama").withUsage(12, 3);
    private final CountDownLatch closing = new CountDownLatch(1);
    private volatile boolean structured;

    private FakeOllama() {
        this.server = WebServer.builder()
                .port(0)
                .host("127.0.0.1")
                .routing(r -> r.post("/api/chat", this::chat).post("/api/embed", this::embed))
                .build()
                .start();
    }

    /** Starts a fake on a free port. */
    public static FakeOllama start() {
        return new FakeOllama();
    }

    /** Where it listens, e.g. {@code http://127.0.0.1:40123}: the {@code base-url} of an Ollama provider. */
    public URI baseUrl() {
        return URI.create("http://127.0.0.1:" + server.port());
    }

    /** Queues answers for the next requests, one each, in order. */
    public FakeOllama answerNext(Answer... answers) {
        for (Answer answer : answers) {
            script.add(Objects.requireNonNull(answer, "answer"));
        }
        return this;
    }

    /**
     * Whether a request with {@code format} is answered with JSON of that schema (or any object for {@code "json"})
     * instead of its scripted text.
     */
    public FakeOllama structuredAnswers(boolean on) {
        this.structured = on;
        return this;
    }

    /** What to answer when nothing is queued. */
    public FakeOllama answerByDefault(Answer answer) {
        this.fallback = Objects.requireNonNull(answer, "answer");
        return this;
    }

    /** Every request received so far, in order. */
    public List<Received> received() {
        return List.copyOf(received);
    }

    /** The latest request; fails the test when there was none. */
    public Received lastReceived() {
        if (received.isEmpty()) {
            throw new AssertionError("FakeOllama received no request");
        }
        return received.get(received.size() - 1);
    }

    /** How many streams were cut short because the client went away. */
    public int disconnects() {
        return disconnects.get();
    }

    /** Waits until a client has gone away in the middle of a stream; false when the timeout passed first. */
    public boolean awaitDisconnect(Duration timeout) throws InterruptedException {
        return disconnected.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    @Override
    public void close() {
        closing.countDown();
        server.stop();
    }

    private void chat(ServerRequest req, ServerResponse res) throws IOException {
        byte[] bytes = req.content().inputStream().readAllBytes();
        JsonNode body;
        try {
            body = Json.MAPPER.readTree(bytes);
        } catch (IOException e) {
            body = Json.MAPPER.getNodeFactory().textNode(new String(bytes, StandardCharsets.UTF_8));
        }
        Map<String, String> headers = new TreeMap<>();
        for (Header header : req.headers()) {
            headers.put(header.name().toLowerCase(Locale.ROOT), header.values());
        }
        received.add(new Received(body, Collections.unmodifiableMap(headers)));

        Answer answer = Optional.ofNullable(script.poll()).orElse(fallback);
        if (structured && body.has("format")) {
            // As Ollama does with format: the model's text is JSON of the schema (any object for "json").
            answer = answer.withPieces(SchemaInstance.of(body.get("format")));
        }
        String model = body.path("model").asText("unknown");
        if (answer.raw().isPresent()) {
            res.status(Status.create(answer.status()));
            res.header(HeaderNames.CONTENT_TYPE, answer.contentType());
            res.send(answer.raw().get().getBytes(StandardCharsets.UTF_8));
            return;
        }
        boolean stream = body.path("stream").asBoolean(true);
        if (!stream) {
            res.header(HeaderNames.CONTENT_TYPE, "application/json; charset=utf-8");
            res.send(Json.MAPPER.writeValueAsBytes(whole(answer, model)));
            return;
        }
        res.header(HeaderNames.CONTENT_TYPE, "application/x-ndjson");
        List<ObjectNode> lines = chunks(answer, model);
        int keep = answer.ending() == Ending.DONE ? lines.size() : Math.min(answer.endAfter(), lines.size() - 1);
        OutputStream out = res.outputStream();
        for (int i = 0; i < keep; i++) {
            Duration delay = i == 0 ? answer.firstLineDelay() : answer.lineDelay();
            if (!writeLine(out, lines.get(i), delay)) {
                return;
            }
        }
        switch (answer.ending()) {
        case DONE, CUT -> out.close();
        case ERROR_LINE -> {
            ObjectNode error = Json.object().put("error", answer.errorMessage());
            answer.errorStatus().ifPresent(s -> error.put("status", s));
            if (writeLine(out, error, keep == 0 ? answer.firstLineDelay() : answer.lineDelay())) {
                out.close();
            }
        }
        // Thrown after the headers went out, Helidon can only drop the connection: the body never ends.
        case RESET -> throw new UncheckedIOException(new IOException("fake connection reset"));
        }
    }

    /**
     * {@code POST /api/embed}: the next scripted answer. A raw answer ({@link Answer#status}) is sent as it is; any
     * other is {@code {model, embeddings, prompt_eval_count}} with one {@link FakeVectors} vector per input, after the
     * answer's first-line delay. Token arrays are refused as Ollama refuses them.
     */
    private void embed(ServerRequest req, ServerResponse res) throws IOException {
        byte[] bytes = req.content().inputStream().readAllBytes();
        JsonNode body = Json.MAPPER.readTree(bytes);
        Map<String, String> headers = new TreeMap<>();
        for (Header header : req.headers()) {
            headers.put(header.name().toLowerCase(Locale.ROOT), header.values());
        }
        received.add(new Received(body, Collections.unmodifiableMap(headers)));
        Answer answer = Optional.ofNullable(script.poll()).orElse(fallback);
        if (answer.raw().isPresent()) {
            res.status(Status.create(answer.status()));
            res.header(HeaderNames.CONTENT_TYPE, answer.contentType());
            res.send(answer.raw().get().getBytes(StandardCharsets.UTF_8));
            return;
        }
        for (JsonNode input : body.path("input").isArray() ? body.path("input") : List.of(body.path("input"))) {
            if (!input.isTextual()) {
                res.status(Status.BAD_REQUEST_400).header(HeaderNames.CONTENT_TYPE, "application/json")
                        .send("{\"error\":\"invalid input type\"}");
                return;
            }
        }
        try {
            // The fake's own pacing, standing in for a slow model; it ends at once when the fake closes.
            if (closing.await(answer.firstLineDelay().toMillis(), TimeUnit.MILLISECONDS)) {
                return;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        }
        String model = body.path("model").asText("unknown");
        int dimensions = body.path("dimensions").asInt(FakeVectors.DIMENSIONS);
        ObjectNode answerBody = Json.object().put("model", model);
        ArrayNode embeddings = answerBody.putArray("embeddings");
        int tokens = 0;
        for (String input : FakeVectors.inputs(body.path("input"))) {
            ArrayNode vector = embeddings.addArray();
            for (float value : FakeVectors.of(model, input, dimensions)) {
                vector.add(value);
            }
            tokens += Math.max(1, input.length() / 4);
        }
        answerBody.put("total_duration", 1_234_567L).put("load_duration", 1_000L).put("prompt_eval_count", tokens);
        res.header(HeaderNames.CONTENT_TYPE, "application/json; charset=utf-8");
        res.send(Json.MAPPER.writeValueAsBytes(answerBody));
    }

    /** Writes one NDJSON line and flushes it; false when the client has gone away. */
    private boolean writeLine(OutputStream out, JsonNode line, Duration delay) {
        try {
            // The fake's own pacing, standing in for a slow model; it ends at once when the fake closes.
            if (!delay.isZero() && closing.await(delay.toMillis(), TimeUnit.MILLISECONDS)
                    || closing.getCount() == 0) {
                return false;
            }
            out.write(Json.MAPPER.writeValueAsBytes(line));
            out.write('\n');
            out.flush();
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } catch (IOException | RuntimeException e) {
            disconnects.incrementAndGet();
            disconnected.countDown();
            return false;
        }
    }

    private static ObjectNode whole(Answer answer, String model) {
        ObjectNode root = base(model);
        ObjectNode message = root.putObject("message").put("role", "assistant")
                .put("content", String.join("", answer.pieces()));
        if (!answer.thinking().isEmpty()) {
            message.put("thinking", String.join("", answer.thinking()));
        }
        if (!answer.calls().isEmpty()) {
            message.set("tool_calls", toolCalls(answer));
        }
        return finish(root, answer);
    }

    private static List<ObjectNode> chunks(Answer answer, String model) {
        List<ObjectNode> lines = new ArrayList<>();
        for (String piece : answer.thinking()) {
            ObjectNode line = base(model);
            line.putObject("message").put("role", "assistant").put("content", "").put("thinking", piece);
            lines.add(line.put("done", false));
        }
        for (String piece : answer.pieces()) {
            ObjectNode line = base(model);
            line.putObject("message").put("role", "assistant").put("content", piece);
            lines.add(line.put("done", false));
        }
        if (!answer.calls().isEmpty()) {
            // Ollama sends parsed tool calls whole, in one chunk with empty content.
            ObjectNode line = base(model);
            line.putObject("message").put("role", "assistant").put("content", "")
                    .set("tool_calls", toolCalls(answer));
            lines.add(line.put("done", false));
        }
        ObjectNode last = base(model);
        last.putObject("message").put("role", "assistant").put("content", "");
        lines.add(finish(last, answer));
        return lines;
    }

    private static ObjectNode base(String model) {
        return Json.object().put("model", model).put("created_at", CREATED_AT);
    }

    private static ObjectNode finish(ObjectNode root, Answer answer) {
        root.put("done", true).put("done_reason", answer.doneReason()).put("total_duration", 123_456_789L);
        answer.promptEvalCount().ifPresent(n -> root.put("prompt_eval_count", n));
        answer.evalCount().ifPresent(n -> root.put("eval_count", n));
        return root;
    }

    private static ArrayNode toolCalls(Answer answer) {
        ArrayNode calls = Json.MAPPER.createArrayNode();
        for (int i = 0; i < answer.calls().size(); i++) {
            FakeCall call = answer.calls().get(i);
            ObjectNode wire = calls.addObject();
            call.id().ifPresent(id -> wire.put("id", id));
            ObjectNode function = wire.putObject("function").put("index", i).put("name", call.name());
            try {
                function.set("arguments", Json.MAPPER.readTree(call.argumentsJson()));
            } catch (IOException e) {
                throw new UncheckedIOException("FakeCall arguments must be JSON", e);
            }
        }
        return calls;
    }

    /** One request as received: the JSON body and the headers (names lower-cased, values comma-joined). */
    public record Received(JsonNode body, Map<String, String> headers) {
        public Optional<String> header(String name) {
            return Optional.ofNullable(headers.get(name.toLowerCase(Locale.ROOT)));
        }
    }

    /** A tool call the fake model makes; {@code id} is sent only when present (Ollama 0.12.10 and later). */
    public record FakeCall(Optional<String> id, String name, String argumentsJson) {
        public static FakeCall of(String name, String argumentsJson) {
            return new FakeCall(Optional.empty(), name, argumentsJson);
        }

        public FakeCall withId(String newId) {
            return new FakeCall(Optional.of(newId), name, argumentsJson);
        }
    }

    /** How a streamed answer ends. */
    public enum Ending {
        /** With the {@code done: true} line. */
        DONE,
        /** With an {@code {"error": ...}} line after {@code endAfter} lines. */
        ERROR_LINE,
        /** The body ends properly after {@code endAfter} lines, but without {@code done}. */
        CUT,
        /** The connection is dropped after {@code endAfter} lines: the chunked body never terminates. */
        RESET
    }

    /**
     * One scripted answer. A streamed answer is one line per thinking piece, one per text piece, then one line
     * with all tool calls, then the {@code done} line; a non-streamed one is the same content in one object.
     * {@code raw} answers are sent as given, whatever the request asked for.
     */
    public record Answer(int status,
                         String contentType,
                         Optional<String> raw,
                         List<String> pieces,
                         List<String> thinking,
                         List<FakeCall> calls,
                         String doneReason,
                         OptionalInt promptEvalCount,
                         OptionalInt evalCount,
                         Ending ending,
                         int endAfter,
                         String errorMessage,
                         OptionalInt errorStatus,
                         Duration firstLineDelay,
                         Duration lineDelay) {
        public Answer {
            pieces = List.copyOf(pieces);
            thinking = List.copyOf(thinking);
            calls = List.copyOf(calls);
        }

        /** A text answer streamed in these pieces. */
        public static Answer text(String... pieces) {
            return new Answer(200, "application/json", Optional.empty(), List.of(pieces), List.of(), List.of(), "stop",
                              OptionalInt.empty(), OptionalInt.empty(), Ending.DONE, 0, "", OptionalInt.empty(),
                              Duration.ZERO, Duration.ZERO);
        }

        /** An answer that only calls tools. */
        public static Answer toolCalls(FakeCall... calls) {
            return text().withCalls(List.of(calls));
        }

        /** An error status with a JSON body, as Ollama sends it, e.g. {@code {"error":"model 'x' not found"}}. */
        public static Answer status(int status, String jsonBody) {
            return raw(status, "application/json; charset=utf-8", jsonBody);
        }

        /** Any status, content type and body, sent as is. */
        public static Answer raw(int status, String contentType, String body) {
            return new Answer(status, contentType, Optional.of(body), List.of(), List.of(), List.of(), "stop",
                              OptionalInt.empty(), OptionalInt.empty(), Ending.DONE, 0, "", OptionalInt.empty(),
                              Duration.ZERO, Duration.ZERO);
        }

        /**
         * A reasoning model's thinking before the answer, in {@code message.thinking}: one streamed line per piece
         * (with empty content) ahead of the text's, or the whole of it in a non-streamed answer.
         */
        public Answer withThinking(String... newThinking) {
            return new Answer(status, contentType, raw, pieces, List.of(newThinking), calls, doneReason,
                              promptEvalCount, evalCount, ending, endAfter, errorMessage, errorStatus, firstLineDelay,
                              lineDelay);
        }

        /** The same answer with this text, in one piece. */
        public Answer withPieces(String... newPieces) {
            return new Answer(status, contentType, raw, List.of(newPieces), thinking, calls, doneReason,
                              promptEvalCount, evalCount, ending, endAfter, errorMessage, errorStatus, firstLineDelay,
                              lineDelay);
        }

        public Answer withCalls(List<FakeCall> newCalls) {
            return new Answer(status, contentType, raw, pieces, thinking, newCalls, doneReason, promptEvalCount,
                              evalCount, ending, endAfter, errorMessage, errorStatus, firstLineDelay, lineDelay);
        }

        public Answer withDoneReason(String reason) {
            return new Answer(status, contentType, raw, pieces, thinking, calls, reason, promptEvalCount, evalCount,
                              ending, endAfter, errorMessage, errorStatus, firstLineDelay, lineDelay);
        }

        public Answer withUsage(int prompt, int eval) {
            return new Answer(status, contentType, raw, pieces, thinking, calls, doneReason, OptionalInt.of(prompt),
                              OptionalInt.of(eval), ending, endAfter, errorMessage, errorStatus, firstLineDelay,
                              lineDelay);
        }

        /** Streams {@code lines} lines, then an {@code {"error": message}} line instead of the rest. */
        public Answer withErrorAfter(int lines, String message) {
            return new Answer(status, contentType, raw, pieces, thinking, calls, doneReason, promptEvalCount,
                              evalCount, Ending.ERROR_LINE, lines, message, OptionalInt.empty(), firstLineDelay,
                              lineDelay);
        }

        /** Like {@link #withErrorAfter(int, String)}, the error line also carrying a {@code status}. */
        public Answer withErrorAfter(int lines, String message, int errorHttpStatus) {
            return new Answer(status, contentType, raw, pieces, thinking, calls, doneReason, promptEvalCount,
                              evalCount, Ending.ERROR_LINE, lines, message, OptionalInt.of(errorHttpStatus),
                              firstLineDelay, lineDelay);
        }

        /** Streams {@code lines} lines, then ends the body properly but without the done line. */
        public Answer cutAfter(int lines) {
            return new Answer(status, contentType, raw, pieces, thinking, calls, doneReason, promptEvalCount,
                              evalCount, Ending.CUT, lines, errorMessage, errorStatus, firstLineDelay, lineDelay);
        }

        /** Streams {@code lines} lines, then drops the connection mid-body. */
        public Answer resetAfter(int lines) {
            return new Answer(status, contentType, raw, pieces, thinking, calls, doneReason, promptEvalCount,
                              evalCount, Ending.RESET, lines, errorMessage, errorStatus, firstLineDelay, lineDelay);
        }

        /**
         * Waits this long before the first streamed line: a slow first token. Like Ollama, the fake sends its
         * response headers with the first line, so {@code stream()} itself waits too.
         */
        public Answer withFirstLineDelay(Duration delay) {
            return new Answer(status, contentType, raw, pieces, thinking, calls, doneReason, promptEvalCount,
                              evalCount, ending, endAfter, errorMessage, errorStatus, delay, lineDelay);
        }

        /** Waits this long between two streamed lines (not before the first): a slow model. */
        public Answer withLineDelay(Duration delay) {
            return new Answer(status, contentType, raw, pieces, thinking, calls, doneReason, promptEvalCount,
                              evalCount, ending, endAfter, errorMessage, errorStatus, firstLineDelay, delay);
        }
    }
}
