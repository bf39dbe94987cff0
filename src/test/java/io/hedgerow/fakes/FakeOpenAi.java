package io.hedgerow.fakes;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.MissingNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.helidon.http.Header;
import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webserver.WebServer;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * A fake OpenAI chat-completions upstream: a real Helidon {@link WebServer} on a free loopback port that
 * speaks OpenAI's wire format ({@code POST /v1/chat/completions}, JSON answers or SSE streams ending in
 * {@code data: [DONE]}), so the router's HTTP client, SSE parsing and cancellation are exercised for real.
 *
 * <p>Each request takes the next {@link Reply} from a script ({@link #enqueue}); once the script is used up
 * every request gets the default reply ({@link #otherwise}, a short text answer unless changed). Whether a
 * reply is sent as JSON or as a stream follows the request's {@code stream} flag, as OpenAI does, and so do
 * log probabilities: a request with {@code logprobs: true} gets them for every text (or refusal) piece, with
 * {@code top_logprobs} alternatives, per answer or per chunk (see {@link #logprobs}). Answers carry what OpenAI's do
 * beside the message ({@code system_fingerprint} {@value #FINGERPRINT}, {@code service_tier}, usage details), and
 * replies can add a refusal, reasoning text (as DeepSeek or OpenRouter send it) and cached or reasoning token
 * counts. Every request
 * is recorded as an {@link Exchange} (headers, body, and how the exchange ended), so tests assert what was,
 * or was not, forwarded.
 *
 * <p>Waits (stalls, slow first tokens) block on a {@link CountDownLatch} the test opens; while a stream waits
 * after its headers were sent, the fake writes an SSE comment ({@code : keep-alive}) every
 * {@link #PROBE_PERIOD}, which SSE clients ignore, so that a caller who hung up is noticed (a write fails)
 * without the test having to open the latch. {@link #close()} ends every wait.
 *
 * <p>Thread-safety: the script, the records and the default reply may be used from any thread.
 */
public final class FakeOpenAi implements AutoCloseable {
    /** How often a waiting stream checks, by writing an SSE comment, that its caller is still there. */
    public static final Duration PROBE_PERIOD = Duration.ofMillis(20);
    /** The default answer's text. */
    public static final String DEFAULT_TEXT = "Hello from the fake.";
    /** The {@code system_fingerprint} of every answer and chunk. */
    public static final String FINGERPRINT = "fp_fake";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long CREATED = 1_700_000_000L;
    /** A bound on endless streams, should the caller never hang up. */
    private static final int ENDLESS_CAP = 200_000;

    private final WebServer server;
    private final ConcurrentLinkedQueue<Reply> script = new ConcurrentLinkedQueue<>();
    private final List<Exchange> exchanges = new CopyOnWriteArrayList<>();
    private final List<Exchange> listings = new CopyOnWriteArrayList<>();
    private volatile Function<String, Reply> models = key -> null;
    private volatile Reply otherwise = Reply.text(DEFAULT_TEXT);
    private volatile boolean closed;

    private FakeOpenAi() {
        this.server = WebServer.builder()
                .host("127.0.0.1")
                .port(0)
                .shutdownHook(false)
                .routing(routing -> routing
                        .post("/v1/chat/completions", this::chat)
                        .post("/v1/embeddings", this::embeddings)
                        .post("/v1/responses", this::responses)
                        .get("/v1/models", this::models)
                        .any(this::notFound))
                .build()
                .start();
    }

    /** Starts a fake on a free loopback port. */
    public static FakeOpenAi start() {
        return new FakeOpenAi();
    }

    /** The port it listens on. */
    public int port() {
        return server.port();
    }

    /** The base URL a provider's {@code base-url} should name: {@code http://127.0.0.1:PORT/v1}. */
    public String baseUrl() {
        return "http://127.0.0.1:" + port() + "/v1";
    }

    /** The next requests get these replies, in order, after any already queued. */
    public FakeOpenAi enqueue(Reply... replies) {
        for (Reply reply : replies) {
            script.add(Objects.requireNonNull(reply, "reply"));
        }
        return this;
    }

    /** The reply for every request once the script is used up. */
    public FakeOpenAi otherwise(Reply reply) {
        this.otherwise = Objects.requireNonNull(reply, "reply");
        return this;
    }

    /**
     * How {@code GET /v1/models} is answered, by the bearer key the request carried (empty when none); a null reply
     * is a 404, as for any unknown path (the default). These requests are recorded apart from chat requests:
     * {@link #modelListings()}.
     */
    public FakeOpenAi models(Function<String, Reply> byKey) {
        this.models = Objects.requireNonNull(byKey, "byKey");
        return this;
    }

    /** Every {@code GET /v1/models} since the last reset, in arrival order. */
    public List<Exchange> modelListings() {
        return List.copyOf(listings);
    }

    /** Forgets the script, the records and the default reply (tests sharing one fake call this before each). */
    public void reset() {
        script.clear();
        exchanges.clear();
        listings.clear();
        models = key -> null;
        otherwise = Reply.text(DEFAULT_TEXT);
    }

    /** Every request received since the last reset, in arrival order. */
    public List<Exchange> exchanges() {
        return List.copyOf(exchanges);
    }

    /** How many requests arrived since the last reset. */
    public int requestCount() {
        return exchanges.size();
    }

    /** The only request received; fails when there was not exactly one. */
    public Exchange onlyExchange() {
        List<Exchange> all = exchanges();
        if (all.size() != 1) {
            throw new AssertionError("expected exactly one request to the fake, got " + all.size());
        }
        return all.getFirst();
    }

    /** Waits until at least {@code count} requests have arrived; false on timeout. */
    public boolean awaitRequests(int count, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (exchanges) {
            while (exchanges.size() < count) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                TimeUnit.NANOSECONDS.timedWait(exchanges, left);
            }
            return true;
        }
    }

    @Override
    public void close() {
        closed = true;
        server.stop();
    }

    /** A tool call in an answer; a streamed answer sends its arguments in these pieces. */
    public static Call call(String id, String name, String... argumentPieces) {
        return new Call(id, name, List.of(argumentPieces));
    }

    // ---- handling ----

    private void chat(ServerRequest req, ServerResponse res) {
        byte[] raw = readAll(req);
        Exchange exchange = new Exchange(req.remotePeer().port(), headersOf(req), raw, parse(raw));
        synchronized (exchanges) {
            exchange.index = exchanges.size();
            exchanges.add(exchange);
            exchanges.notifyAll();
        }
        Reply reply = Optional.ofNullable(script.poll()).orElse(otherwise);
        try {
            play(reply, exchange, res);
            exchange.end(Outcome.COMPLETED, null);
        } catch (Ended e) {
            exchange.end(e.outcome, e.getCause());
        }
    }

    /**
     * {@code POST /v1/embeddings}: the next scripted reply. An error reply ({@link Reply#status} and the like) is sent
     * as it is; any other reply is an answer with one {@link FakeVectors} vector per input (in {@code dimensions}
     * values when asked), listed in reverse order with their {@code index} (as servers may), usage one token per 4
     * characters, after the reply's first-token delay.
     */
    private void embeddings(ServerRequest req, ServerResponse res) {
        byte[] raw = readAll(req);
        Exchange exchange = new Exchange(req.remotePeer().port(), headersOf(req), raw, parse(raw));
        synchronized (exchanges) {
            exchange.index = exchanges.size();
            exchanges.add(exchange);
            exchanges.notifyAll();
        }
        Reply reply = Optional.ofNullable(script.poll()).orElse(otherwise);
        try {
            if (reply.rawBody != null || reply.echoKey) {
                play(reply, exchange, res);
            } else {
                String model = exchange.body().path("model").asText("unknown");
                int dimensions = exchange.body().path("dimensions").asInt(FakeVectors.DIMENSIONS);
                List<String> inputs = FakeVectors.inputs(exchange.body().path("input"));
                ObjectNode body = JSON.createObjectNode().put("object", "list");
                ArrayNode data = body.putArray("data");
                int tokens = 0;
                for (int i = inputs.size() - 1; i >= 0; i--) {
                    ArrayNode vector = data.addObject().put("object", "embedding").put("index", i)
                            .putArray("embedding");
                    for (float value : FakeVectors.of(model, inputs.get(i), dimensions)) {
                        vector.add(value);
                    }
                    tokens += Math.max(1, inputs.get(i).length() / 4);
                }
                body.put("model", reply.model != null ? reply.model : model);
                body.putObject("usage").put("prompt_tokens", tokens).put("total_tokens", tokens);
                reply.headers.forEach(res::header);
                res.header(HeaderNames.CONTENT_TYPE, "application/json");
                sendJson(reply, exchange, res, bytes(body));
            }
            exchange.end(Outcome.COMPLETED, null);
        } catch (Ended e) {
            exchange.end(e.outcome, e.getCause());
        }
    }

    /**
     * {@code POST /v1/responses}, for a provider with {@code responses: true}: the next scripted reply, written in the
     * Responses API's wire format by {@link ResponsesWire} (a whole {@code response} object, or its typed events as the
     * request's {@code stream} asks); error replies as they are.
     */
    private void responses(ServerRequest req, ServerResponse res) {
        byte[] raw = readAll(req);
        Exchange exchange = new Exchange(req.remotePeer().port(), headersOf(req), raw, parse(raw));
        synchronized (exchanges) {
            exchange.index = exchanges.size();
            exchanges.add(exchange);
            exchanges.notifyAll();
        }
        Reply reply = Optional.ofNullable(script.poll()).orElse(otherwise);
        try {
            if (reply.rawBody != null || reply.echoKey) {
                play(reply, exchange, res);
            } else {
                awaitFirstToken(reply, exchange, null);
                reply.headers.forEach(res::header);
                String model = reply.model != null ? reply.model : exchange.body().path("model").asText("unknown");
                JsonNode format = exchange.body().path("text").path("format");
                if (reply.structured && format.path("type").asText().startsWith("json")) {
                    String json = SchemaInstance.of(format.path("schema"));
                    reply = reply.with(r -> r.text = List.of(json));
                }
                if (exchange.streamRequested()) {
                    res.header(HeaderNames.CONTENT_TYPE, "text/event-stream; charset=utf-8");
                    OutputStream out = res.outputStream();
                    try {
                        for (String event : ResponsesWire.events(reply, exchange.index(), model)) {
                            write(out, event.getBytes(StandardCharsets.UTF_8));
                        }
                    } finally {
                        closeQuietly(out);
                    }
                } else {
                    res.header(HeaderNames.CONTENT_TYPE, "application/json");
                    send(res, bytes(ResponsesWire.response(reply, exchange.index(), model, "completed")));
                }
            }
            exchange.end(Outcome.COMPLETED, null);
        } catch (Ended e) {
            exchange.end(e.outcome, e.getCause());
        }
    }

    private void models(ServerRequest req, ServerResponse res) {
        Exchange exchange = new Exchange(req.remotePeer().port(), headersOf(req), new byte[0],
                                         MissingNode.getInstance());
        listings.add(exchange);
        String key = exchange.header("Authorization").map(v -> v.replaceFirst("(?i)^Bearer\\s+", "")).orElse("");
        Reply reply = models.apply(key);
        if (reply == null) {
            notFound(req, res);
            return;
        }
        try {
            play(reply, exchange, res);
            exchange.end(Outcome.COMPLETED, null);
        } catch (Ended e) {
            exchange.end(e.outcome, e.getCause());
        }
    }

    private void notFound(ServerRequest req, ServerResponse res) {
        ObjectNode body = errorBody("Unknown request URL: " + req.prologue().method().text() + " "
                                            + req.path().path(), "invalid_request_error", "unknown_url");
        res.status(Status.NOT_FOUND_404).header(HeaderNames.CONTENT_TYPE, "application/json").send(bytes(body));
    }

    private void play(Reply scripted, Exchange exchange, ServerResponse res) throws Ended {
        Reply reply = scripted;
        if (reply.headersGate != null) {
            await(reply.headersGate, null);
        }
        if (reply.echoKey) {
            // As OpenAI does for a wrong key, only unmasked: the worst an upstream can echo.
            String key = exchange.header("Authorization").map(v -> v.replaceFirst("(?i)^Bearer\\s+", "")).orElse("");
            ObjectNode body = errorBody("Incorrect API key provided: " + key + ". You can find your API key at "
                                                + "https://platform.openai.com/account/api-keys.",
                                        "invalid_request_error", "invalid_api_key");
            res.status(Status.UNAUTHORIZED_401);
            reply.headers.forEach(res::header);
            res.header(HeaderNames.CONTENT_TYPE, "application/json");
            send(res, bytes(body));
            return;
        }
        if (reply.rawBody != null) {
            res.status(Status.create(reply.status));
            reply.headers.forEach(res::header);
            res.header(HeaderNames.CONTENT_TYPE, reply.contentType);
            send(res, reply.rawBody.getBytes(StandardCharsets.UTF_8));
            return;
        }
        if (reply.echo) {
            reply = reply.with(r -> r.text = echoPieces(exchange.body()));
        }
        if (reply.structured && exchange.body().has("response_format")) {
            // As OpenAI does with response_format: the content is JSON of the schema (any object for json_object).
            JsonNode format = exchange.body().get("response_format");
            String json = SchemaInstance.of(format.path("json_schema").path("schema"));
            reply = reply.with(r -> r.text = List.of(json.substring(0, json.length() / 2),
                                                     json.substring(json.length() / 2)));
        }
        reply.headers.forEach(res::header);
        String model = reply.model != null ? reply.model : exchange.body().path("model").asText("unknown");
        String id = "chatcmpl-fake" + exchange.index;
        if (exchange.streamRequested()) {
            stream(reply, exchange, res, id, model);
        } else {
            complete(reply, exchange, res, id, model);
        }
    }

    private void complete(Reply reply, Exchange exchange, ServerResponse res, String id, String model) throws Ended {
        ObjectNode body = JSON.createObjectNode()
                .put("id", id)
                .put("object", "chat.completion")
                .put("created", CREATED)
                .put("model", model);
        ObjectNode choice = body.putArray("choices").addObject().put("index", 0);
        ObjectNode message = choice.putObject("message").put("role", "assistant");
        if (reply.refusal != null) {
            message.putNull("content");
        } else if (reply.calls.isEmpty()) {
            message.put("content", String.join("", reply.text));
        } else {
            message.putNull("content");
            ArrayNode calls = message.putArray("tool_calls");
            for (Call call : reply.calls) {
                calls.addObject().put("id", call.id()).put("type", "function")
                        .putObject("function").put("name", call.name()).put("arguments", call.arguments());
            }
        }
        if (reply.refusal != null) {
            message.put("refusal", String.join("", reply.refusal));
        } else {
            message.putNull("refusal");
        }
        if (!reply.reasoning.isEmpty()) {
            message.put(reply.reasoningField, String.join("", reply.reasoning));
        }
        message.putArray("annotations");
        int topLogprobs = logprobsAsked(exchange);
        if (topLogprobs >= 0 && reply.calls.isEmpty()) {
            boolean refused = reply.refusal != null;
            ObjectNode logprobs = choice.putObject("logprobs");
            List<String> pieces = refused ? reply.refusal : reply.text;
            ArrayNode tokens = JSON.createArrayNode();
            for (int i = 0; i < pieces.size(); i++) {
                tokens.add(logprobs(pieces.get(i), i, topLogprobs));
            }
            logprobs.set(refused ? "refusal" : "content", tokens);
            logprobs.putNull(refused ? "content" : "refusal");
        } else {
            choice.putNull("logprobs");
        }
        choice.put("finish_reason", reply.finishReason());
        body.set("usage", usage(reply));
        body.put("service_tier", "default");
        body.put("system_fingerprint", FINGERPRINT);
        res.header(HeaderNames.CONTENT_TYPE, "application/json");
        sendJson(reply, exchange, res, bytes(body));
    }

    /**
     * A JSON answer after the reply's first-token delay or gate. A slow answer's headers leave at once and leading
     * whitespace (valid JSON) probes the caller meanwhile, so a caller that hangs up is seen to.
     */
    private void sendJson(Reply reply, Exchange exchange, ServerResponse res, byte[] body) throws Ended {
        if (reply.firstTokenGate == null && reply.firstTokenDelay.isZero()) {
            send(res, body);
            return;
        }
        OutputStream out = res.outputStream();
        try {
            Probe probe = () -> write(out, " ".getBytes(StandardCharsets.US_ASCII));
            probe.run();
            awaitFirstToken(reply, exchange, probe);
            write(out, body);
        } finally {
            closeQuietly(out);
        }
    }

    private void stream(Reply reply, Exchange exchange, ServerResponse res, String id, String model) throws Ended {
        boolean includeUsage = exchange.body().path("stream_options").path("include_usage").asBoolean(false);
        Chunks chunks = new Chunks(id, model, includeUsage);
        res.header(HeaderNames.CONTENT_TYPE, "text/event-stream; charset=utf-8");
        res.header(HeaderNames.CACHE_CONTROL, "no-cache");
        OutputStream out = res.outputStream();
        try {
            Probe probe = () -> write(out, ": keep-alive\n\n".getBytes(StandardCharsets.US_ASCII));
            ObjectNode roleDelta = JSON.createObjectNode().put("role", "assistant");
            if (reply.calls.isEmpty() && reply.refusal == null && reply.reasoning.isEmpty()) {
                roleDelta.put("content", "");
            } else {
                roleDelta.putNull("content");
            }
            roleDelta.putNull("refusal");
            event(out, chunks.delta(roleDelta, null));
            awaitFirstToken(reply, exchange, probe);
            List<ObjectNode> content = contentDeltas(reply);
            List<ObjectNode> logprobs = chunkLogprobs(reply, logprobsAsked(exchange));
            for (int i = 0; i < content.size(); i++) {
                if (i == reply.cutAfter) {
                    return;
                }
                if (i == reply.stallAfter) {
                    await(reply.stallGate, probe);
                }
                ObjectNode chunk = chunks.delta(content.get(i), null);
                if (logprobs.get(i) != null) {
                    ((ObjectNode) chunk.get("choices").get(0)).set("logprobs", logprobs.get(i));
                }
                if (reply.dripFrom >= 0 && i >= reply.dripFrom) {
                    drip(out, chunk, reply.dripGap);
                    continue;
                }
                event(out, chunk);
            }
            if (reply.endless) {
                for (int i = 0; i < ENDLESS_CAP && !closed; i++) {
                    event(out, chunks.delta(JSON.createObjectNode().put("content", reply.text.getFirst()), null));
                }
                throw new Ended(Outcome.ABANDONED, null);
            }
            if (reply.cutAfter >= 0) {
                return;
            }
            if (reply.stallAfter == content.size()) {
                await(reply.stallGate, probe);
            }
            event(out, chunks.delta(JSON.createObjectNode(), reply.finishReason()));
            if (includeUsage) {
                ObjectNode usageChunk = chunks.envelope();
                usageChunk.putArray("choices");
                usageChunk.set("usage", usage(reply));
                event(out, usageChunk);
            }
            if (reply.done) {
                write(out, "data: [DONE]\n\n".getBytes(StandardCharsets.US_ASCII));
            }
        } finally {
            closeQuietly(out);
        }
    }

    /** The text of the last user message, in pieces of up to three code points. */
    private static List<String> echoPieces(JsonNode request) {
        String text = "";
        for (JsonNode message : request.path("messages")) {
            if (message.path("role").asText().equals("user")) {
                JsonNode content = message.path("content");
                StringBuilder sb = new StringBuilder(content.isTextual() ? content.asText() : "");
                for (JsonNode part : content.isArray() ? content : JSON.createArrayNode()) {
                    sb.append(part.path("text").asText(""));
                }
                text = sb.toString();
            }
        }
        List<String> pieces = new ArrayList<>();
        int[] codePoints = text.codePoints().toArray();
        for (int i = 0; i < codePoints.length; i += 3) {
            pieces.add(new String(codePoints, i, Math.min(3, codePoints.length - i)));
        }
        return pieces.isEmpty() ? List.of("") : pieces;
    }

    /**
     * The content deltas of a streamed answer: one per reasoning piece (as DeepSeek sends them: {@code content} null),
     * then one per text piece, refusal piece, or tool-call argument piece.
     */
    private static List<ObjectNode> contentDeltas(Reply reply) {
        List<ObjectNode> deltas = new ArrayList<>();
        for (String piece : reply.reasoning) {
            ObjectNode delta = JSON.createObjectNode();
            delta.putNull("content");
            deltas.add(delta.put(reply.reasoningField, piece));
        }
        if (reply.refusal != null) {
            for (String piece : reply.refusal) {
                deltas.add(JSON.createObjectNode().put("refusal", piece));
            }
            return deltas;
        }
        if (reply.calls.isEmpty()) {
            for (String piece : reply.text) {
                deltas.add(JSON.createObjectNode().put("content", piece));
            }
            return deltas;
        }
        for (int index = 0; index < reply.calls.size(); index++) {
            Call call = reply.calls.get(index);
            // As OpenAI does: the first piece names the call with empty arguments, the rest carry arguments.
            ObjectNode first = JSON.createObjectNode();
            first.putArray("tool_calls").addObject().put("index", index).put("id", call.id()).put("type", "function")
                    .putObject("function").put("name", call.name()).put("arguments", "");
            deltas.add(first);
            for (String piece : call.argumentPieces()) {
                ObjectNode delta = JSON.createObjectNode();
                delta.putArray("tool_calls").addObject().put("index", index)
                        .putObject("function").put("arguments", piece);
                deltas.add(delta);
            }
        }
        return deltas;
    }

    /** The logprobs of each content delta of a stream (null where there are none), when the request asked. */
    private static List<ObjectNode> chunkLogprobs(Reply reply, int topLogprobs) {
        List<ObjectNode> all = new ArrayList<>();
        reply.reasoning.forEach(piece -> all.add(null));
        boolean refused = reply.refusal != null;
        List<String> pieces = refused ? reply.refusal : reply.calls.isEmpty() ? reply.text : List.of();
        for (int i = 0; i < pieces.size(); i++) {
            if (topLogprobs < 0) {
                all.add(null);
                continue;
            }
            ObjectNode logprobs = JSON.createObjectNode();
            logprobs.putArray(refused ? "refusal" : "content").add(logprobs(pieces.get(i), i, topLogprobs));
            logprobs.putNull(refused ? "content" : "refusal");
            all.add(logprobs);
        }
        while (all.size() < contentDeltas(reply).size()) {
            all.add(null);
        }
        return all;
    }

    /** {@code top_logprobs} when the request says {@code logprobs: true} (0 when it names no number), else -1. */
    private static int logprobsAsked(Exchange exchange) {
        return exchange.body().path("logprobs").asBoolean(false) ? exchange.body().path("top_logprobs").asInt(0) : -1;
    }

    /**
     * The log probability entry the fake gives the {@code index}th piece of an answer (each piece is one token):
     * {@code {token, logprob, bytes, top_logprobs}}, with logprob -(index + 1)/8 (the first token -3.1e-6, a value
     * written with an exponent) and {@code top} alternatives.
     */
    public static ObjectNode logprobs(String piece, int index, int top) {
        double logprob = index == 0 ? -3.1e-6 : -(index + 1) / 8.0;
        ObjectNode entry = JSON.createObjectNode().put("token", piece).put("logprob", logprob);
        ArrayNode bytes = entry.putArray("bytes");
        for (byte b : piece.getBytes(StandardCharsets.UTF_8)) {
            bytes.add(b & 0xff);
        }
        ArrayNode alternatives = entry.putArray("top_logprobs");
        for (int i = 0; i < top; i++) {
            String token = i == 0 ? piece : piece + "~" + i;
            ObjectNode alternative = alternatives.addObject().put("token", token).put("logprob", logprob - i);
            ArrayNode altBytes = alternative.putArray("bytes");
            for (byte b : token.getBytes(StandardCharsets.UTF_8)) {
                altBytes.add(b & 0xff);
            }
        }
        return entry;
    }

    private static ObjectNode usage(Reply reply) {
        ObjectNode usage = JSON.createObjectNode()
                .put("prompt_tokens", reply.promptTokens)
                .put("completion_tokens", reply.completionTokens())
                .put("total_tokens", reply.promptTokens + reply.completionTokens());
        usage.putObject("prompt_tokens_details").put("cached_tokens", reply.cachedTokens).put("audio_tokens", 0);
        usage.putObject("completion_tokens_details").put("reasoning_tokens", reply.reasoningTokens)
                .put("audio_tokens", 0).put("accepted_prediction_tokens", 0).put("rejected_prediction_tokens", 0);
        return usage;
    }

    /** Holds the first token back: until the reply's gate opens, and until its delay since arrival has passed. */
    private void awaitFirstToken(Reply reply, Exchange exchange, Probe probe) throws Ended {
        if (reply.firstTokenGate != null) {
            await(reply.firstTokenGate, probe);
        }
        long due = exchange.receivedNanos() + reply.firstTokenDelay.toNanos();
        try {
            for (long left = due - System.nanoTime(); left > 0; left = due - System.nanoTime()) {
                // A simulated provider's latency, not a test waiting for luck; the caller is probed meanwhile.
                Thread.sleep(Duration.ofNanos(Math.min(left, PROBE_PERIOD.toNanos())));
                if (closed) {
                    throw new Ended(Outcome.ABANDONED, null);
                }
                if (probe != null && due - System.nanoTime() > 0) {
                    probe.run();
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Ended(Outcome.ABANDONED, e);
        }
    }

    /** Blocks until the gate opens; while waiting, probes the caller when a probe is given. */
    private void await(CountDownLatch gate, Probe probe) throws Ended {
        try {
            while (!gate.await(PROBE_PERIOD.toMillis(), TimeUnit.MILLISECONDS)) {
                if (closed) {
                    throw new Ended(Outcome.ABANDONED, null);
                }
                if (probe != null) {
                    probe.run();
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Ended(Outcome.ABANDONED, e);
        }
    }

    /** Writes an event a byte at a time, {@code gap} apart: bytes keep coming, an event never completes in time. */
    private void drip(OutputStream out, JsonNode json, Duration gap) throws Ended {
        byte[] data = ("data: " + json + "\n\n").getBytes(StandardCharsets.UTF_8);
        for (byte b : data) {
            write(out, new byte[] {b});
            try {
                // A provider's trickle, not a test waiting for luck.
                Thread.sleep(gap);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new Ended(Outcome.ABANDONED, e);
            }
            if (closed) {
                throw new Ended(Outcome.ABANDONED, null);
            }
        }
    }

    private static void event(OutputStream out, JsonNode json) throws Ended {
        byte[] data = bytes(json);
        byte[] event = new byte[data.length + 8];
        System.arraycopy("data: ".getBytes(StandardCharsets.US_ASCII), 0, event, 0, 6);
        System.arraycopy(data, 0, event, 6, data.length);
        event[event.length - 2] = '\n';
        event[event.length - 1] = '\n';
        write(out, event);
    }

    /** Writes and flushes; a failure means the caller hung up. */
    private static void write(OutputStream out, byte[] bytes) throws Ended {
        try {
            out.write(bytes);
            out.flush();
        } catch (IOException | RuntimeException e) {
            // Helidon reports a dead connection as IOException or as one of several runtime exceptions.
            throw new Ended(Outcome.DISCONNECTED, e);
        }
    }

    private static void send(ServerResponse res, byte[] body) throws Ended {
        try {
            res.send(body);
        } catch (RuntimeException e) {
            throw new Ended(Outcome.DISCONNECTED, e);
        }
    }

    private static void closeQuietly(OutputStream out) {
        try {
            out.close();
        } catch (IOException | RuntimeException ignored) {
            // the connection is already gone; the outcome was recorded by the write that failed
        }
    }

    private static byte[] readAll(ServerRequest req) {
        try (InputStream in = req.content().inputStream()) {
            return in.readAllBytes();
        } catch (IOException e) {
            return new byte[0];
        }
    }

    private static Map<String, List<String>> headersOf(ServerRequest req) {
        Map<String, List<String>> headers = new LinkedHashMap<>();
        for (Header header : req.headers()) {
            headers.put(header.name().toLowerCase(Locale.ROOT), List.copyOf(header.allValues()));
        }
        return Collections.unmodifiableMap(headers);
    }

    private static JsonNode parse(byte[] raw) {
        try {
            JsonNode node = JSON.readTree(raw);
            return node == null ? MissingNode.getInstance() : node;
        } catch (IOException e) {
            return MissingNode.getInstance();
        }
    }

    private static byte[] bytes(JsonNode json) {
        try {
            return JSON.writeValueAsBytes(json);
        } catch (IOException e) {
            throw new IllegalStateException("cannot serialise the fake's own JSON", e);
        }
    }

    static ObjectNode errorBody(String message, String type, String code) {
        ObjectNode body = JSON.createObjectNode();
        ObjectNode error = body.putObject("error").put("message", message).put("type", type);
        error.putNull("param");
        if (code == null) {
            error.putNull("code");
        } else {
            error.put("code", code);
        }
        return body;
    }

    /** One check that the caller is still there. */
    @FunctionalInterface
    private interface Probe {
        void run() throws Ended;
    }

    /** The handler stopped early; the outcome says why. */
    private static final class Ended extends Exception {
        private final Outcome outcome;

        Ended(Outcome outcome, Throwable cause) {
            super(outcome.name(), cause, false, false);
            this.outcome = outcome;
        }
    }

    /** Chunk envelopes of one stream, as OpenAI writes them. */
    private record Chunks(String id, String model, boolean includeUsage) {
        ObjectNode envelope() {
            return JSON.createObjectNode()
                    .put("id", id)
                    .put("object", "chat.completion.chunk")
                    .put("created", CREATED)
                    .put("model", model)
                    .put("service_tier", "default")
                    .put("system_fingerprint", FINGERPRINT);
        }

        ObjectNode delta(ObjectNode delta, String finishReason) {
            ObjectNode chunk = envelope();
            ObjectNode choice = chunk.putArray("choices").addObject().put("index", 0);
            choice.set("delta", delta);
            choice.putNull("logprobs");
            if (finishReason == null) {
                choice.putNull("finish_reason");
            } else {
                choice.put("finish_reason", finishReason);
            }
            if (includeUsage) {
                // With include_usage OpenAI puts "usage": null on every chunk but the last.
                chunk.putNull("usage");
            }
            return chunk;
        }
    }

    /** How an exchange ended, from the fake's side. */
    public enum Outcome {
        /** Everything was written (which does not prove the caller read it). */
        COMPLETED,
        /** A write failed: the caller had closed the connection. */
        DISCONNECTED,
        /** The fake stopped waiting because it was closed. */
        ABANDONED
    }

    /** A tool call of an answer: id, function name and the arguments text in the pieces a stream sends. */
    public record Call(String id, String name, List<String> argumentPieces) {
        public Call {
            Objects.requireNonNull(id, "id");
            Objects.requireNonNull(name, "name");
            argumentPieces = List.copyOf(argumentPieces);
        }

        /** The whole arguments text. */
        public String arguments() {
            return String.join("", argumentPieces);
        }
    }

    /** One request as the fake received it, and how the fake's answer ended. */
    public static final class Exchange {
        private final int clientPort;
        private final Map<String, List<String>> headers;
        private final byte[] rawBody;
        private final JsonNode body;
        private final CountDownLatch ended = new CountDownLatch(1);
        private final long receivedNanos = System.nanoTime();
        private volatile int index;
        private volatile Outcome outcome;
        private volatile Throwable failure;

        private Exchange(int clientPort, Map<String, List<String>> headers, byte[] rawBody, JsonNode body) {
            this.clientPort = clientPort;
            this.headers = headers;
            this.rawBody = rawBody;
            this.body = body;
        }

        /** When it arrived, on {@link System#nanoTime()}'s scale: tests measure the gaps between requests. */
        public long receivedNanos() {
            return receivedNanos;
        }

        /** Its position among the requests since the last reset, from 0. */
        public int index() {
            return index;
        }

        /** The caller's port: two requests with the same port came over one (kept-alive) connection. */
        public int clientPort() {
            return clientPort;
        }

        /** The request body as JSON; a {@link MissingNode} when it was not JSON. */
        public JsonNode body() {
            return body;
        }

        /** The request body as text. */
        public String rawBody() {
            return new String(rawBody, StandardCharsets.UTF_8);
        }

        /** Request headers by lower-case name. */
        public Map<String, List<String>> headers() {
            return headers;
        }

        /** The first value of a header (any case). */
        public Optional<String> header(String name) {
            List<String> values = headers.get(name.toLowerCase(Locale.ROOT));
            return values == null || values.isEmpty() ? Optional.empty() : Optional.of(values.getFirst());
        }

        /** Whether the request asked for a stream. */
        public boolean streamRequested() {
            return body.path("stream").asBoolean(false);
        }

        /** How the answer ended, once it has. */
        public Optional<Outcome> outcome() {
            return Optional.ofNullable(outcome);
        }

        /** Waits for the answer to end; empty on timeout. */
        public Optional<Outcome> awaitOutcome(Duration timeout) throws InterruptedException {
            return ended.await(timeout.toMillis(), TimeUnit.MILLISECONDS) ? outcome() : Optional.empty();
        }

        /** Waits for the answer to end and tells whether it ended because the caller hung up. */
        public boolean awaitDisconnect(Duration timeout) throws InterruptedException {
            return awaitOutcome(timeout).filter(o -> o == Outcome.DISCONNECTED).isPresent();
        }

        /** The write failure that ended the answer, if one did. */
        public Optional<Throwable> failure() {
            return Optional.ofNullable(failure);
        }

        private void end(Outcome how, Throwable cause) {
            failure = cause;
            outcome = how;
            ended.countDown();
        }

        @Override
        public String toString() {
            return "Exchange[" + index + ", " + rawBody() + "]";
        }
    }

    /**
     * What the fake answers to one request. Built from a factory ({@link #text}, {@link #toolCalls},
     * {@link #status}, {@link #error}, {@link #raw}, {@link #endless}) and refined with modifiers, each of
     * which returns a new reply. Answers are sent as JSON or as a stream, following the request; the stream
     * modifiers ({@link #cutAfter}, {@link #withoutDone}, {@link #stallAfter}) have no effect on JSON answers.
     */
    public static final class Reply {
        private int status = 200;
        private Map<String, String> headers = Map.of();
        private String contentType = "application/json";
        private String rawBody;
        private List<String> text = List.of();
        private List<Call> calls = List.of();
        private List<String> refusal;
        private List<String> reasoning = List.of();
        private String reasoningField = "reasoning_content";
        private int cachedTokens;
        private int reasoningTokens;
        private String finishReason;
        private String model;
        private int promptTokens = 11;
        private int completionTokens = -1;
        private int cutAfter = -1;
        private boolean done = true;
        private boolean endless;
        private boolean echoKey;
        private boolean echo;
        private boolean structured;
        private CountDownLatch headersGate;
        private CountDownLatch firstTokenGate;
        private Duration firstTokenDelay = Duration.ZERO;
        private CountDownLatch stallGate;
        private int stallAfter = -1;
        private int dripFrom = -1;
        private Duration dripGap = Duration.ZERO;

        private Reply() {
        }

        private Reply(Reply other) {
            status = other.status;
            headers = other.headers;
            contentType = other.contentType;
            rawBody = other.rawBody;
            text = other.text;
            calls = other.calls;
            refusal = other.refusal;
            reasoning = other.reasoning;
            reasoningField = other.reasoningField;
            cachedTokens = other.cachedTokens;
            reasoningTokens = other.reasoningTokens;
            finishReason = other.finishReason;
            model = other.model;
            promptTokens = other.promptTokens;
            completionTokens = other.completionTokens;
            cutAfter = other.cutAfter;
            done = other.done;
            endless = other.endless;
            echoKey = other.echoKey;
            echo = other.echo;
            structured = other.structured;
            headersGate = other.headersGate;
            firstTokenGate = other.firstTokenGate;
            firstTokenDelay = other.firstTokenDelay;
            stallGate = other.stallGate;
            stallAfter = other.stallAfter;
            dripFrom = other.dripFrom;
            dripGap = other.dripGap;
        }

        private static Reply of(Consumer<Reply> setup) {
            Reply reply = new Reply();
            setup.accept(reply);
            return reply;
        }

        private Reply with(Consumer<Reply> change) {
            Reply copy = new Reply(this);
            change.accept(copy);
            return copy;
        }

        /** A text answer; a stream sends one content chunk per piece. */
        public static Reply text(String... pieces) {
            if (pieces.length == 0) {
                throw new IllegalArgumentException("a text answer needs at least one piece");
            }
            return of(r -> r.text = List.of(pieces));
        }

        /**
         * A text answer repeating the request's last user message, streamed in pieces of up to three code
         * points: with it, concurrent requests can each check that they got their own answer.
         */
        public static Reply echo() {
            return of(r -> {
                r.text = List.of("");
                r.echo = true;
            });
        }

        /**
         * An answer that honours the request's {@code response_format}: JSON of its schema (or any object for
         * {@code json_object}), in two pieces; prose when the request asked for no format.
         */
        public static Reply structured() {
            return of(r -> {
                r.text = List.of("Just prose, no JSON here.");
                r.structured = true;
            });
        }

        /**
         * A refusal, as OpenAI's models decline: {@code content} null and the {@code refusal} text; a stream sends
         * one {@code delta.refusal} chunk per piece.
         */
        public static Reply refusal(String... pieces) {
            if (pieces.length == 0) {
                throw new IllegalArgumentException("a refusal needs at least one piece");
            }
            return of(r -> r.refusal = List.of(pieces));
        }

        /** An answer that calls tools (finish reason {@code tool_calls}). */
        public static Reply toolCalls(Call... calls) {
            if (calls.length == 0) {
                throw new IllegalArgumentException("a tool-call answer needs at least one call");
            }
            return of(r -> r.calls = List.of(calls));
        }

        /**
         * A stream that never ends: content chunks of {@code piece}, written as fast as the caller reads,
         * until a write fails (the caller hung up) or the fake closes.
         */
        public static Reply endless(String piece) {
            return of(r -> {
                r.text = List.of(piece);
                r.endless = true;
            });
        }

        /**
         * An OpenAI-style error with the usual type and code for the status: 400 {@code invalid_request_error},
         * 401 {@code invalid_api_key}, 429 {@code rate_limit_exceeded}, 5xx {@code server_error}.
         */
        public static Reply status(int status) {
            return switch (status) {
                case 400 -> error(400, "invalid_request_error", null, "Invalid request.");
                case 401 -> error(401, "invalid_request_error", "invalid_api_key", "Incorrect API key provided.");
                case 403 -> error(403, "invalid_request_error", "unsupported_country_region_territory",
                                  "Country, region, or territory not supported.");
                case 404 -> error(404, "invalid_request_error", "model_not_found", "The model does not exist.");
                case 429 -> error(429, "requests", "rate_limit_exceeded",
                                  "Rate limit reached for requests. Please try again later.");
                default -> status >= 500
                        ? error(status, "server_error", null, "The server had an error while processing your request.")
                        : error(status, "invalid_request_error", null, "Request failed with status " + status + ".");
            };
        }

        /** A list of models, as {@code GET /v1/models} answers: {@code {"object":"list","data":[{"id":..}]}}. */
        public static Reply models(String... ids) {
            ObjectNode list = JSON.createObjectNode().put("object", "list");
            ArrayNode data = list.putArray("data");
            for (String id : ids) {
                data.addObject().put("id", id).put("object", "model").put("created", CREATED).put("owned_by", "fake");
            }
            return raw(200, "application/json", new String(bytes(list), StandardCharsets.UTF_8));
        }

        /** An OpenAI-style error body {@code {"error": {message, type, param, code}}} with this status. */
        public static Reply error(int status, String type, String code, String message) {
            return raw(status, "application/json", new String(bytes(errorBody(message, type, code)),
                                                              StandardCharsets.UTF_8));
        }

        /** A 401 whose message echoes, unmasked, the bearer key the request carried. */
        public static Reply invalidApiKeyEchoed() {
            return of(r -> r.echoKey = true);
        }

        /** Exactly this status, content type and body, for streamed and non-streamed requests alike. */
        public static Reply raw(int status, String contentType, String body) {
            return of(r -> {
                r.status = status;
                r.contentType = contentType;
                r.rawBody = body;
            });
        }

        /** Adds a response header (e.g. {@code Retry-After}). */
        public Reply header(String name, String value) {
            return with(r -> {
                Map<String, String> more = new LinkedHashMap<>(headers);
                more.put(name, value);
                r.headers = Collections.unmodifiableMap(more);
            });
        }

        /**
         * Reasoning text before the answer, as DeepSeek, vLLM and others send it in {@code reasoning_content}: the
         * whole of it in the message, or one chunk per piece (with {@code content} null) before the answer's. In a
         * stream these count as content chunks ({@link #cutAfter}, {@link #stallAfter}).
         */
        public Reply reasoning(String... pieces) {
            return with(r -> r.reasoning = List.of(pieces));
        }

        /** The field reasoning is sent in (default {@code reasoning_content}; OpenRouter's is {@code reasoning}). */
        public Reply reasoningField(String name) {
            return with(r -> r.reasoningField = Objects.requireNonNull(name, "name"));
        }

        /** {@code prompt_tokens_details.cached_tokens} and {@code completion_tokens_details.reasoning_tokens}. */
        public Reply usageDetails(int cached, int reasoningCount) {
            return with(r -> {
                r.cachedTokens = cached;
                r.reasoningTokens = reasoningCount;
            });
        }

        /** The model named in the answer (default: the model the request named). */
        public Reply model(String name) {
            return with(r -> r.model = name);
        }

        /** The finish reason (default: {@code stop}, or {@code tool_calls} for tool calls). */
        public Reply finishReason(String reason) {
            return with(r -> r.finishReason = reason);
        }

        /** The usage reported (default: 11 prompt tokens, one completion token per piece). */
        public Reply usage(int prompt, int completion) {
            return with(r -> {
                r.promptTokens = prompt;
                r.completionTokens = completion;
            });
        }

        /**
         * Streams only: after this many content chunks (0: right after the role chunk; the number of content
         * chunks or more: just before the finish chunk) the response ends, without a finish reason or [DONE].
         */
        public Reply cutAfter(int contentChunks) {
            return with(r -> r.cutAfter = contentChunks);
        }

        /** Streams only: the finish reason (and usage) are sent, then the stream ends without [DONE]. */
        public Reply withoutDone() {
            return with(r -> r.done = false);
        }

        /**
         * A provider's latency: like {@link #firstTokenAfter(CountDownLatch)}, but the first token comes this long
         * after the request arrived (each request waits its own delay).
         */
        public Reply firstTokenAfter(Duration delay) {
            return with(r -> r.firstTokenDelay = Objects.requireNonNull(delay, "delay"));
        }

        /** Nothing at all is sent, not even the status line, until the gate opens. */
        public Reply headersAfter(CountDownLatch gate) {
            return with(r -> r.headersGate = Objects.requireNonNull(gate, "gate"));
        }

        /**
         * A slow first token: a stream sends its headers and role chunk, then waits for the gate before the
         * first content chunk; a JSON answer sends its headers, then waits for the gate before the body.
         */
        public Reply firstTokenAfter(CountDownLatch gate) {
            return with(r -> r.firstTokenGate = Objects.requireNonNull(gate, "gate"));
        }

        /**
         * Streams only: after this many content chunks the stream goes silent until the gate opens, then
         * continues (a count equal to the number of content chunks stalls before the finish chunk).
         */
        public Reply stallAfter(int contentChunks, CountDownLatch gate) {
            return with(r -> {
                r.stallAfter = contentChunks;
                r.stallGate = Objects.requireNonNull(gate, "gate");
            });
        }

        /**
         * Streams only: from this content chunk on, each event is written one byte at a time, {@code gap} apart: the
         * connection is never silent for long, yet no event completes (a slow-drip upstream).
         */
        public Reply dripAfter(int contentChunks, Duration gap) {
            return with(r -> {
                r.dripFrom = contentChunks;
                r.dripGap = Objects.requireNonNull(gap, "gap");
            });
        }

        // What the Responses API rendering (ResponsesWire) reads of a reply.
        List<String> textPieces() {
            return text;
        }

        List<Call> calls() {
            return calls;
        }

        List<String> reasoningPieces() {
            return reasoning;
        }

        List<String> refusalPieces() {
            return refusal;
        }

        String modelName() {
            return model;
        }

        int promptTokens() {
            return promptTokens;
        }

        int cachedTokens() {
            return cachedTokens;
        }

        int reasoningTokens() {
            return reasoningTokens;
        }

        int cutAfterPieces() {
            return cutAfter;
        }

        String finishReasonName() {
            return finishReason();
        }

        int completionTokenCount() {
            return completionTokens();
        }

        private String finishReason() {
            return finishReason != null ? finishReason : calls.isEmpty() ? "stop" : "tool_calls";
        }

        private int completionTokens() {
            if (completionTokens >= 0) {
                return completionTokens;
            }
            int answer = refusal != null ? refusal.size() : calls.isEmpty() ? text.size()
                    : calls.stream().mapToInt(c -> c.argumentPieces().size()).sum();
            return reasoning.size() + answer;
        }
    }
}
