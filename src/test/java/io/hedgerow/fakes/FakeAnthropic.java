package io.hedgerow.fakes;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.cfg.JsonNodeFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hedgerow.json.Json;

import io.helidon.http.Header;
import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webserver.WebServer;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * A fake Anthropic Messages API: a real Helidon {@link WebServer} on a free port of 127.0.0.1 answering
 * {@code POST /v1/messages} in Anthropic's wire format, so adapters are tested over real HTTP.
 *
 * <p>Tests script what it answers next with {@link #enqueue(Reply...)}; when the script is empty it answers
 * with {@link #otherwise(Reply)} (a short text by default). An {@link Answer} is rendered as a JSON message or,
 * when the request said {@code "stream": true}, as SSE events flushed one by one:
 * <pre>
 * message_start, ping,
 *   per block: content_block_start, content_block_delta * pieces, content_block_stop,
 * message_delta, message_stop
 * </pre>
 * and can instead end with an {@code error} event, be cut (a clean end of body without {@code message_stop}),
 * drop the connection mid-body, ping slowly until the client goes away, or stall. {@link #status} and {@link #error} answer an HTTP error.
 * Every request is recorded (body, headers, client port); a client observed leaving in the middle of a stream
 * is reported by {@link #awaitDisconnect(Duration)}.
 *
 * <pre>{@code
 * try (FakeAnthropic fake = FakeAnthropic.start()) {
 *     fake.enqueue(FakeAnthropic.answer().toolUse("toolu_1", "get_weather", "{\"city\":\"Oslo\"}"));
 *     ... call it at fake.baseUrl() ...
 *     assertThat(fake.lastRequest().header("x-api-key"), is(Optional.of("sk-ant-test")));
 * }
 * }</pre>
 */
public final class FakeAnthropic implements AutoCloseable {
    /** Longest time a reply waits (stalls, slow pings) so a forgotten fake cannot hold a thread forever. */
    private static final Duration MAX_WAIT = Duration.ofSeconds(30);
    /** Scripted tool inputs go out as written: {@code 1.50} stays {@code 1.50}, as a real upstream may send it. */
    private static final ObjectReader EXACT = Json.MAPPER.reader()
            .with(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .without(JsonNodeFeature.STRIP_TRAILING_BIGDECIMAL_ZEROES);

    private final ConcurrentLinkedQueue<Reply> script = new ConcurrentLinkedQueue<>();
    private final List<Received> received = new CopyOnWriteArrayList<>();
    private final BlockingQueue<Throwable> disconnects = new LinkedBlockingQueue<>();
    private final CountDownLatch stopping = new CountDownLatch(1);
    private final AtomicInteger messageIds = new AtomicInteger();
    private volatile Reply fallback = Answer.text("Hello from the fake Anthropic.");
    private final List<Received> counted = new CopyOnWriteArrayList<>();
    private volatile int tokenCount = 42;
    private final WebServer server;

    private FakeAnthropic() {
        this.server = WebServer.builder()
                .host("127.0.0.1")
                .port(0)
                .routing(r -> r.post("/v1/messages", this::handle)
                        .post("/v1/messages/count_tokens", this::count))
                .build()
                .start();
    }

    /** Starts a fake on a free port. */
    public static FakeAnthropic start() {
        return new FakeAnthropic();
    }

    /** A scripted content answer to build on: {@code answer().text("Hi")}. */
    public static Answer answer() {
        return new Answer();
    }

    /** An HTTP error status with this body (served as JSON). */
    public static StatusReply status(int status, String body) {
        return new StatusReply(status, r -> body);
    }

    /** An HTTP error status whose body is computed from the request, e.g. to echo a header back. */
    public static StatusReply status(int status, Function<Received, String> body) {
        return new StatusReply(status, body);
    }

    /** An HTTP error in Anthropic's shape: {@code {"type":"error","error":{"type":..,"message":..}}}. */
    public static StatusReply error(int status, String type, String message) {
        return new StatusReply(status, r -> errorJson(type, message));
    }

    /** Anthropic's error body. */
    public static String errorJson(String type, String message) {
        ObjectNode root = Json.object();
        root.put("type", "error");
        ObjectNode error = root.putObject("error");
        error.put("type", type);
        error.put("message", message);
        return root.toString();
    }

    /** Where the fake listens, e.g. {@code http://127.0.0.1:40123}; the API lives at {@code /v1/messages}. */
    public URI baseUrl() {
        return URI.create("http://127.0.0.1:" + server.port());
    }

    public int port() {
        return server.port();
    }

    /** Replies for the next requests, in order. */
    public FakeAnthropic enqueue(Reply... replies) {
        script.addAll(List.of(replies));
        return this;
    }

    /** The reply used when the script is empty. */
    public FakeAnthropic otherwise(Reply reply) {
        this.fallback = Objects.requireNonNull(reply, "reply");
        return this;
    }

    /** What {@code /v1/messages/count_tokens} answers from now on. */
    public FakeAnthropic tokenCount(int inputTokens) {
        this.tokenCount = inputTokens;
        return this;
    }

    /** Every {@code count_tokens} request received so far. */
    public List<Received> countRequests() {
        return List.copyOf(counted);
    }

    /** Every request received so far, in arrival order. */
    public List<Received> requests() {
        return List.copyOf(received);
    }

    /** The latest request; fails when none arrived. */
    public Received lastRequest() {
        if (received.isEmpty()) {
            throw new IllegalStateException("the fake has received no request");
        }
        return received.getLast();
    }

    /**
     * Waits for the next observed client disconnect (a write of a streamed answer failed) and returns the write
     * failure, or empty when none was observed in time.
     */
    public Optional<Throwable> awaitDisconnect(Duration timeout) throws InterruptedException {
        return Optional.ofNullable(disconnects.poll(timeout.toMillis(), TimeUnit.MILLISECONDS));
    }

    @Override
    public void close() {
        stopping.countDown();
        server.stop();
    }

    private void count(ServerRequest req, ServerResponse res) throws Exception {
        counted.add(receive(req));
        res.header(HeaderNames.CONTENT_TYPE, "application/json");
        res.send(("{\"input_tokens\":" + tokenCount + "}").getBytes(StandardCharsets.UTF_8));
    }

    private void handle(ServerRequest req, ServerResponse res) throws Exception {
        Received request = receive(req);
        received.add(request);
        Reply reply = script.poll();
        try {
            (reply == null ? fallback : reply).respond(new Exchange(request, res));
        } catch (Disconnected e) {
            // already reported through awaitDisconnect; the exchange is over
        }
    }

    private static Received receive(ServerRequest req) throws IOException {
        String raw = new String(req.content().inputStream().readAllBytes(), StandardCharsets.UTF_8);
        JsonNode body;
        try {
            body = Json.MAPPER.readTree(raw);
        } catch (IOException e) {
            body = NullNode.getInstance();
        }
        Map<String, String> headers = new LinkedHashMap<>();
        for (Header header : req.headers()) {
            headers.put(header.name().toLowerCase(Locale.ROOT), header.values());
        }
        SocketAddress remote = req.remotePeer().address();
        int remotePort = remote instanceof InetSocketAddress inet ? inet.getPort() : -1;
        return new Received(body == null ? NullNode.getInstance() : body, raw, headers, remotePort);
    }

    /** What the fake received. Header names are lower-case; repeated headers are comma-joined. */
    public record Received(JsonNode body, String rawBody, Map<String, String> headers, int remotePort) {
        public Optional<String> header(String name) {
            return Optional.ofNullable(headers.get(name.toLowerCase(Locale.ROOT)));
        }

        /** Whether the request asked for a stream. */
        public boolean streaming() {
            return body.path("stream").asBoolean(false);
        }
    }

    /**
     * A reply that honours the request's structured-answer form, as a Claude model does: a forced tool (the answer
     * is a {@code tool_use} of that tool whose input is an instance of its {@code input_schema}), or JSON outputs
     * ({@code output_config.format}: the text is an instance of the schema); a request with neither gets plain
     * prose, which a client parsing JSON would choke on.
     */
    public static Reply structured() {
        return exchange -> {
            JsonNode body = exchange.request().body();
            JsonNode choice = body.path("tool_choice");
            String forced = choice.path("type").asText().equals("tool") ? choice.path("name").asText() : "";
            for (JsonNode tool : body.path("tools")) {
                if (tool.path("name").asText().equals(forced)) {
                    Answer.text("").toolUse("toolu_structured", forced, SchemaInstance.of(tool.get("input_schema")))
                            .respond(exchange);
                    return;
                }
            }
            JsonNode format = body.path("output_config").path("format");
            Answer.text(format.isObject() ? SchemaInstance.of(format.get("schema")) : "Just prose, no JSON here.")
                    .respond(exchange);
        };
    }

    /** One scripted reply: writes whatever it likes through the exchange. */
    @FunctionalInterface
    public interface Reply {
        void respond(Exchange exchange) throws Exception;
    }

    /** A request being answered, with helpers that speak Anthropic's wire format. */
    public final class Exchange {
        private final Received request;
        private final ServerResponse response;

        private Exchange(Received request, ServerResponse response) {
            this.request = request;
            this.response = response;
        }

        public Received request() {
            return request;
        }

        public ServerResponse response() {
            return response;
        }

        /** Sends a whole body with a status and headers. */
        public void send(int status, String contentType, Map<String, String> headers, String body) {
            response.status(Status.create(status));
            response.header(HeaderNames.CONTENT_TYPE, contentType);
            headers.forEach((name, value) -> response.header(HeaderNames.create(name), value));
            response.send(body.getBytes(StandardCharsets.UTF_8));
        }

        /** Starts a 200 {@code text/event-stream} answer. */
        public Sse openStream() {
            response.status(Status.OK_200);
            response.header(HeaderNames.CONTENT_TYPE, "text/event-stream; charset=utf-8");
            response.header(HeaderNames.CACHE_CONTROL, "no-cache");
            return new Sse(response.outputStream());
        }

        /** Waits up to {@code duration}; false when the fake is shutting down (stop what you are doing). */
        public boolean pause(Duration duration) throws InterruptedException {
            return !stopping.await(duration.toNanos(), TimeUnit.NANOSECONDS);
        }

        /** A fresh {@code msg_...} id. */
        public String messageId() {
            return "msg_fake_" + messageIds.incrementAndGet();
        }
    }

    /** Writes SSE events, each flushed on its own; a failed write reports a disconnect and ends the reply. */
    public final class Sse implements AutoCloseable {
        private final OutputStream out;

        private Sse(OutputStream out) {
            this.out = out;
        }

        /** {@code event: <type>} and {@code data: <json>}, then a blank line; flushed. */
        public void event(String type, JsonNode data) throws Disconnected {
            write("event: " + type + "\ndata: " + data + "\n\n");
        }

        /** Raw text, flushed (for malformed-stream tests). */
        public void write(String text) throws Disconnected {
            try {
                out.write(text.getBytes(StandardCharsets.UTF_8));
                out.flush();
            } catch (IOException | RuntimeException e) {
                disconnects.add(e);
                throw new Disconnected(e);
            }
        }

        /** Ends the body cleanly (final chunk); whether or not {@code message_stop} was sent. */
        @Override
        public void close() {
            try {
                out.close();
            } catch (IOException | UncheckedIOException e) {
                // the client left after the last event; nothing is pending
            } catch (RuntimeException e) {
                // Helidon reports some socket failures as its own runtime exceptions; same as above
            }
        }
    }

    /** The client went away while a reply was writing. */
    public static final class Disconnected extends Exception {
        Disconnected(Throwable cause) {
            super(cause);
        }
    }

    /**
     * Thrown by a reply on purpose: Helidon then drops the connection under a half-written body, which the
     * client sees as a connection lost mid-stream.
     */
    public static final class Reset extends RuntimeException {
        Reset() {
            super("fake upstream dropped the connection on purpose");
        }
    }

    /** An HTTP error answer; {@code retry-after} and friends via {@link #header}. */
    public static final class StatusReply implements Reply {
        private final int status;
        private final Function<Received, String> body;
        private final Map<String, String> headers = new LinkedHashMap<>();
        private String contentType = "application/json";

        private StatusReply(int status, Function<Received, String> body) {
            this.status = status;
            this.body = body;
        }

        public StatusReply header(String name, String value) {
            headers.put(name, value);
            return this;
        }

        public StatusReply contentType(String value) {
            this.contentType = value;
            return this;
        }

        @Override
        public void respond(Exchange exchange) {
            exchange.send(status, contentType, headers, body.apply(exchange.request()));
        }
    }

    /**
     * A content answer: text, thinking and tool-use blocks in order, a stop reason, usage and a model name, and
     * for streams how the stream ends. Streamed text and tool input are split into pieces of
     * {@link #pieceSize(int)} characters (default 4), one delta event each.
     */
    public static final class Answer implements Reply {
        private final List<Block> blocks = new ArrayList<>();
        private String model = "claude-fake-1";
        private Optional<String> stopReason = Optional.empty();
        private int inputTokens = 12;
        private int outputTokens = 5;
        private int cacheCreationTokens;
        private int cacheReadTokens;
        private int pieceSize = 4;
        private Ending ending = new Ending(EndKind.NORMAL, 0, "", "");

        private Answer() {
        }

        /** A plain text answer. */
        public static Answer text(String text) {
            return new Answer().thenText(text);
        }

        /** Adds a text block. */
        public Answer thenText(String text) {
            blocks.add(new Block("text", text, "", ""));
            return this;
        }

        /** Adds a thinking block (with a signature), which clients must not see. */
        public Answer thenThinking(String thinking) {
            blocks.add(new Block("thinking", thinking, "", ""));
            return this;
        }

        /** Adds a tool_use block; {@code inputJson} must be a JSON object. */
        public Answer toolUse(String id, String name, String inputJson) {
            blocks.add(new Block("tool_use", inputJson, id, name));
            return this;
        }

        public Answer model(String value) {
            this.model = value;
            return this;
        }

        /** Overrides the stop reason (default: {@code tool_use} when there is a tool call, else {@code end_turn}). */
        public Answer stopReason(String value) {
            this.stopReason = Optional.of(value);
            return this;
        }

        public Answer usage(int input, int output) {
            this.inputTokens = input;
            this.outputTokens = output;
            return this;
        }

        public Answer cache(int creation, int read) {
            this.cacheCreationTokens = creation;
            this.cacheReadTokens = read;
            return this;
        }

        public Answer pieceSize(int chars) {
            this.pieceSize = chars;
            return this;
        }

        // The stream endings below count content_block_delta events; ask for fewer than the answer has.

        /** Streams: after {@code deltas} content_block_delta events, an {@code error} event ends the stream. */
        public Answer errorAfterDeltas(int deltas, String type, String message) {
            this.ending = new Ending(EndKind.ERROR, deltas, type, message);
            return this;
        }

        /** Streams: after {@code deltas} content_block_delta events the body ends, without message_stop. */
        public Answer cutAfterDeltas(int deltas) {
            this.ending = new Ending(EndKind.CUT, deltas, "", "");
            return this;
        }

        /** Streams: after {@code deltas} deltas, a ping every 20 ms until a write fails (the client left). */
        public Answer pingUntilGoneAfterDeltas(int deltas) {
            this.ending = new Ending(EndKind.PING_UNTIL_GONE, deltas, "", "");
            return this;
        }

        /** Streams: after {@code deltas} deltas, the connection is dropped in the middle of the body. */
        public Answer resetAfterDeltas(int deltas) {
            this.ending = new Ending(EndKind.RESET, deltas, "", "");
            return this;
        }

        /** Streams: after {@code deltas} deltas, silence until the fake closes (for idle timeouts). */
        public Answer stallAfterDeltas(int deltas) {
            this.ending = new Ending(EndKind.STALL, deltas, "", "");
            return this;
        }

        @Override
        public void respond(Exchange exchange) throws Exception {
            String id = exchange.messageId();
            if (!exchange.request().streaming()) {
                exchange.send(200, "application/json", Map.of(), message(id).toString());
                return;
            }
            Sse sse = exchange.openStream();
            boolean truncated = ending.kind != EndKind.NORMAL;
            int sentDeltas = 0;
            for (Event event : events(id)) {
                boolean delta = event.type.equals("content_block_delta");
                // Stop at the first event after the k-th delta (for k = 0: at the first delta).
                if (truncated && sentDeltas == ending.afterDeltas && (sentDeltas > 0 || delta)) {
                    break;
                }
                sse.event(event.type, event.data);
                if (delta) {
                    sentDeltas++;
                }
            }
            switch (ending.kind) {
            case NORMAL, CUT -> {
                // NORMAL sent message_stop above; CUT ends the body without it
            }
            case ERROR -> sse.event("error", Json.MAPPER.readTree(errorJson(ending.errorType, ending.message)));
            case PING_UNTIL_GONE -> {
                long deadline = System.nanoTime() + MAX_WAIT.toNanos();
                while (System.nanoTime() < deadline && exchange.pause(Duration.ofMillis(20))) {
                    sse.event("ping", Json.object().put("type", "ping"));
                }
            }
            case STALL -> exchange.pause(MAX_WAIT);
            case RESET -> throw new Reset(); // before the body is closed, so no final chunk is written
            }
            sse.close();
        }

        private String stopReason() {
            return stopReason.orElse(blocks.stream().anyMatch(b -> b.type.equals("tool_use")) ? "tool_use"
                    : "end_turn");
        }

        private ObjectNode usageNode(int output) {
            ObjectNode usage = Json.object();
            usage.put("input_tokens", inputTokens);
            usage.put("cache_creation_input_tokens", cacheCreationTokens);
            usage.put("cache_read_input_tokens", cacheReadTokens);
            usage.put("output_tokens", output);
            return usage;
        }

        private ObjectNode message(String id) throws IOException {
            ObjectNode root = Json.object();
            root.put("id", id);
            root.put("type", "message");
            root.put("role", "assistant");
            root.put("model", model);
            ArrayNode content = root.putArray("content");
            for (Block block : blocks) {
                ObjectNode node = content.addObject();
                node.put("type", block.type);
                switch (block.type) {
                case "text" -> node.put("text", block.text);
                case "thinking" -> {
                    node.put("thinking", block.text);
                    node.put("signature", "sig-fake");
                }
                default -> {
                    node.put("id", block.id);
                    node.put("name", block.name);
                    node.set("input", EXACT.readTree(block.text));
                }
                }
            }
            root.put("stop_reason", stopReason());
            root.putNull("stop_sequence");
            root.set("usage", usageNode(outputTokens));
            return root;
        }

        private List<Event> events(String id) {
            List<Event> events = new ArrayList<>();
            ObjectNode start = Json.object();
            start.put("type", "message_start");
            ObjectNode message = start.putObject("message");
            message.put("id", id);
            message.put("type", "message");
            message.put("role", "assistant");
            message.put("model", model);
            message.putArray("content");
            message.putNull("stop_reason");
            message.putNull("stop_sequence");
            message.set("usage", usageNode(1));
            events.add(new Event("message_start", start));
            events.add(new Event("ping", Json.object().put("type", "ping")));
            for (int i = 0; i < blocks.size(); i++) {
                Block block = blocks.get(i);
                ObjectNode blockStart = Json.object().put("type", "content_block_start").put("index", i);
                ObjectNode cb = blockStart.putObject("content_block").put("type", block.type);
                String deltaType;
                String deltaField;
                switch (block.type) {
                case "text" -> {
                    cb.put("text", "");
                    deltaType = "text_delta";
                    deltaField = "text";
                }
                case "thinking" -> {
                    cb.put("thinking", "");
                    cb.put("signature", "");
                    deltaType = "thinking_delta";
                    deltaField = "thinking";
                }
                default -> {
                    cb.put("id", block.id).put("name", block.name).putObject("input");
                    deltaType = "input_json_delta";
                    deltaField = "partial_json";
                }
                }
                events.add(new Event("content_block_start", blockStart));
                for (String piece : pieces(block.text)) {
                    ObjectNode delta = Json.object().put("type", "content_block_delta").put("index", i);
                    delta.putObject("delta").put("type", deltaType).put(deltaField, piece);
                    events.add(new Event("content_block_delta", delta));
                }
                if (block.type.equals("thinking")) {
                    ObjectNode delta = Json.object().put("type", "content_block_delta").put("index", i);
                    delta.putObject("delta").put("type", "signature_delta").put("signature", "sig-fake");
                    events.add(new Event("content_block_delta", delta));
                }
                events.add(new Event("content_block_stop",
                        Json.object().put("type", "content_block_stop").put("index", i)));
            }
            ObjectNode messageDelta = Json.object().put("type", "message_delta");
            messageDelta.putObject("delta").put("stop_reason", stopReason()).putNull("stop_sequence");
            messageDelta.putObject("usage").put("output_tokens", outputTokens);
            events.add(new Event("message_delta", messageDelta));
            events.add(new Event("message_stop", Json.object().put("type", "message_stop")));
            return events;
        }

        private List<String> pieces(String text) {
            List<String> pieces = new ArrayList<>();
            for (int i = 0; i < text.length(); i += pieceSize) {
                pieces.add(text.substring(i, Math.min(text.length(), i + pieceSize)));
            }
            return pieces;
        }

        private record Block(String type, String text, String id, String name) {
        }

        private record Event(String type, ObjectNode data) {
        }

        private enum EndKind { NORMAL, ERROR, CUT, PING_UNTIL_GONE, STALL, RESET }

        private record Ending(EndKind kind, int afterDeltas, String errorType, String message) {
        }
    }
}
