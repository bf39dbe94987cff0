package io.hedgerow.fakes;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hedgerow.json.Json;

import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webserver.WebServer;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

import software.amazon.awssdk.eventstream.HeaderValue;
import software.amazon.awssdk.eventstream.Message;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A fake AWS Bedrock: a real Helidon {@link WebServer} on a free port of 127.0.0.1 serving the runtime's
 * {@code POST /model/{modelId}/converse} and {@code /converse-stream} (answers as real AWS event-stream frames, encoded
 * by the AWS SDK's event-stream library, flushed one by one) and the control plane's {@code GET /foundation-models} and
 * {@code GET /inference-profiles}.
 *
 * <p>Every request is authenticated as Bedrock would: with a {@link SigV4Verifier} the signature of each request is
 * checked (a bad one gets 403 {@code InvalidSignatureException} and is counted in {@link #signatureFailures()});
 * otherwise the bearer token must be the configured API key (403 {@code AccessDeniedException}). Tests script answers
 * with {@link #enqueue(Reply...)}: an {@link Answer} (text, tool uses, reasoning, a stop reason, usage), an
 * {@link Error} (status, {@code x-amzn-ErrorType}, message), or an answer that ends in an exception frame or is cut.
 */
public final class FakeBedrock implements AutoCloseable {
    /** Scripted tool inputs go out as written: {@code 1.50} stays {@code 1.50}, as a real upstream may send it. */
    private static final com.fasterxml.jackson.databind.ObjectReader EXACT = Json.MAPPER.reader()
            .with(com.fasterxml.jackson.databind.DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .without(com.fasterxml.jackson.databind.cfg.JsonNodeFeature.STRIP_TRAILING_BIGDECIMAL_ZEROES);
    private final ConcurrentLinkedQueue<Reply> script = new ConcurrentLinkedQueue<>();
    private final List<Received> received = new CopyOnWriteArrayList<>();
    private final List<String> signatureFailures = new CopyOnWriteArrayList<>();
    private final Optional<SigV4Verifier> verifier;
    private final Optional<String> apiKey;
    private final WebServer server;
    private volatile List<String> models = List.of("anthropic.claude-sonnet-4-5-20250929-v1:0");

    private FakeBedrock(Optional<SigV4Verifier> verifier, Optional<String> apiKey) {
        this.verifier = verifier;
        this.apiKey = apiKey;
        this.server = WebServer.builder().host("127.0.0.1").port(0)
                .routing(r -> r.any(this::handle)).build().start();
    }

    /** A fake that checks the SigV4 signature of every request. */
    public static FakeBedrock signed(SigV4Verifier verifier) {
        return new FakeBedrock(Optional.of(verifier), Optional.empty());
    }

    /** A fake that takes Bedrock API keys: {@code Authorization: Bearer <apiKey>}. */
    public static FakeBedrock withApiKey(String apiKey) {
        return new FakeBedrock(Optional.empty(), Optional.of(apiKey));
    }

    public URI baseUrl() {
        return URI.create("http://127.0.0.1:" + server.port());
    }

    public void enqueue(Reply... replies) {
        script.addAll(List.of(replies));
    }

    /** The foundation model ids the control plane lists. */
    public void models(List<String> ids) {
        this.models = List.copyOf(ids);
    }

    public List<Received> requests() {
        return List.copyOf(received);
    }

    public Received lastRequest() {
        return received.get(received.size() - 1);
    }

    /** Why requests' signatures were refused, one entry per refused request. */
    public List<String> signatureFailures() {
        return List.copyOf(signatureFailures);
    }

    public static Answer answer() {
        return new Answer();
    }

    public static Error error(int status, String type, String message) {
        return new Error(status, type, message);
    }

    @Override
    public void close() {
        server.stop();
    }

    private void handle(ServerRequest req, ServerResponse res) {
        byte[] body = req.content().hasEntity() ? req.content().as(byte[].class) : new byte[0];
        String rawPath = req.path().rawPath();
        String rawQuery = req.query().rawValue();
        Map<String, String> headers = new LinkedHashMap<>();
        req.headers().forEach(h -> headers.put(h.name().toLowerCase(java.util.Locale.ROOT), h.get()));
        Received r = new Received(req.prologue().method().text(), rawPath, rawQuery, headers, body);
        received.add(r);
        Optional<String> refused = authProblem(r);
        if (refused.isPresent()) {
            boolean signature = verifier.isPresent();
            if (signature) {
                signatureFailures.add(refused.get());
            }
            send(res, 403, signature ? "InvalidSignatureException" : "AccessDeniedException",
                 signature ? "The request signature we calculated does not match the signature you provided."
                         : "Authentication failed: the API key is not valid.");
            return;
        }
        if (r.method().equals("GET") && rawPath.equals("/foundation-models")) {
            ObjectNode root = Json.object();
            ArrayNode list = root.putArray("modelSummaries");
            models.forEach(id -> list.addObject().put("modelId", id)
                    .put("modelArn", "arn:aws:bedrock:us-east-1::foundation-model/" + id));
            res.header(HeaderNames.CONTENT_TYPE, "application/json").send(root.toString());
            return;
        }
        if (r.method().equals("GET") && rawPath.equals("/inference-profiles")) {
            ObjectNode root = Json.object();
            ArrayNode list = root.putArray("inferenceProfileSummaries");
            models.forEach(id -> list.addObject().put("inferenceProfileId", "us." + id)
                    .put("inferenceProfileArn", "arn:aws:bedrock:us-east-1:111122223333:inference-profile/us." + id));
            res.header(HeaderNames.CONTENT_TYPE, "application/json").send(root.toString());
            return;
        }
        if (!r.method().equals("POST") || r.modelId().isEmpty()) {
            send(res, 404, "UnknownOperationException", "no such operation: " + rawPath);
            return;
        }
        if (!hasMessages(body)) {
            // As AWS does: the body's shape is checked before the model is looked up (the live check's probe).
            send(res, 400, "ValidationException", "1 validation error detected: Value null at 'messages' failed to "
                    + "satisfy constraint: Member must not be null");
            return;
        }
        Reply reply = Optional.ofNullable(script.poll()).orElseGet(() -> answer().text("Hello from Bedrock."));
        switch (reply) {
        case Error e -> send(res, e.status(), e.type(), e.message());
        case Answer a -> {
            if (rawPath.endsWith("/converse-stream")) {
                stream(res, a);
            } else if (rawPath.endsWith("/converse")) {
                res.header(HeaderNames.CONTENT_TYPE, "application/json").send(a.json().toString());
            } else {
                send(res, 404, "UnknownOperationException", "no such operation: " + rawPath);
            }
        }
        }
    }

    private static boolean hasMessages(byte[] body) {
        try {
            JsonNode json = Json.MAPPER.readTree(body);
            return json != null && json.has("messages");
        } catch (IOException e) {
            return false;
        }
    }

    private Optional<String> authProblem(Received r) {
        if (verifier.isPresent()) {
            return verifier.get().problem(r.method(), r.rawPath(), r.rawQuery(),
                                          name -> Optional.ofNullable(r.headers().get(name.toLowerCase(
                                                  java.util.Locale.ROOT))), r.body(), Instant.now());
        }
        String expected = "Bearer " + apiKey.orElseThrow();
        return expected.equals(r.headers().get("authorization")) ? Optional.empty() : Optional.of("bad API key");
    }

    private static void send(ServerResponse res, int status, String type, String message) {
        res.status(Status.create(status))
                .header(HeaderNames.create("x-amzn-ErrorType"), type + ":http://internal.amazon.com/coral/com.amazon.bedrock/")
                .header(HeaderNames.CONTENT_TYPE, "application/json")
                .send(Json.object().put("message", message).toString());
    }

    private static void stream(ServerResponse res, Answer a) {
        res.header(HeaderNames.CONTENT_TYPE, "application/vnd.amazon.eventstream");
        try (OutputStream out = res.outputStream()) {
            for (Message frame : a.frames()) {
                frame.encode(out);
                out.flush();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** An event frame as ConverseStream sends it. */
    public static Message event(String type, ObjectNode payload) {
        Map<String, HeaderValue> headers = new LinkedHashMap<>();
        headers.put(":event-type", HeaderValue.fromString(type));
        headers.put(":content-type", HeaderValue.fromString("application/json"));
        headers.put(":message-type", HeaderValue.fromString("event"));
        // Bedrock pads payloads ("p") so that sizes do not leak the text; readers must ignore it.
        payload.put("p", "abcdefgh");
        return new Message(headers, payload.toString().getBytes(StandardCharsets.UTF_8));
    }

    /** An exception frame, e.g. {@code throttlingException}. */
    public static Message exception(String type, String message) {
        Map<String, HeaderValue> headers = new LinkedHashMap<>();
        headers.put(":exception-type", HeaderValue.fromString(type));
        headers.put(":content-type", HeaderValue.fromString("application/json"));
        headers.put(":message-type", HeaderValue.fromString("exception"));
        return new Message(headers, Json.object().put("message", message).toString()
                .getBytes(StandardCharsets.UTF_8));
    }

    /** What the fake answers next. */
    public sealed interface Reply permits Answer, Error {
    }

    /** A refusal: an HTTP status, its {@code x-amzn-ErrorType} and message. */
    public record Error(int status, String type, String message) implements Reply {
    }

    /** A scripted answer: content blocks in order, a stop reason and usage; as JSON or as frames. */
    public static final class Answer implements Reply {
        private final List<ObjectNode> blocks = new ArrayList<>();
        private String stopReason = "end_turn";
        private int inputTokens = 12;
        private int outputTokens = 5;
        private Optional<Message> endWith = Optional.empty();
        private boolean cut;

        public Answer text(String text) {
            blocks.add(Json.object().put("text", text));
            return this;
        }

        public Answer reasoning(String text) {
            ObjectNode block = Json.object();
            block.putObject("reasoningContent").putObject("reasoningText").put("text", text);
            blocks.add(block);
            return this;
        }

        public Answer toolUse(String id, String name, String inputJson) {
            ObjectNode block = Json.object();
            try {
                block.putObject("toolUse").put("toolUseId", id).put("name", name)
                        .set("input", EXACT.readTree(inputJson));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            blocks.add(block);
            stopReason = "tool_use";
            return this;
        }

        public Answer stopReason(String reason) {
            this.stopReason = reason;
            return this;
        }

        public Answer usage(int input, int output) {
            this.inputTokens = input;
            this.outputTokens = output;
            return this;
        }

        /** The stream's content, then this exception frame instead of messageStop. */
        public Answer thenException(String type, String message) {
            this.endWith = Optional.of(exception(type, message));
            return this;
        }

        /** The stream's content, then a clean end of body without messageStop. */
        public Answer cut() {
            this.cut = true;
            return this;
        }

        ObjectNode json() {
            ObjectNode root = Json.object();
            ArrayNode content = root.putObject("output").putObject("message").put("role", "assistant")
                    .putArray("content");
            blocks.forEach(content::add);
            root.put("stopReason", stopReason);
            root.putObject("usage").put("inputTokens", inputTokens).put("outputTokens", outputTokens)
                    .put("totalTokens", inputTokens + outputTokens);
            root.putObject("metrics").put("latencyMs", 42);
            return root;
        }

        List<Message> frames() {
            List<Message> frames = new ArrayList<>();
            frames.add(event("messageStart", Json.object().put("role", "assistant")));
            for (int i = 0; i < blocks.size(); i++) {
                JsonNode block = blocks.get(i);
                if (block.has("toolUse")) {
                    ObjectNode start = Json.object().put("contentBlockIndex", i);
                    start.putObject("start").putObject("toolUse")
                            .put("toolUseId", block.path("toolUse").path("toolUseId").asText())
                            .put("name", block.path("toolUse").path("name").asText());
                    frames.add(event("contentBlockStart", start));
                    String input = block.path("toolUse").path("input").toString();
                    int half = input.length() / 2;
                    for (String piece : List.of(input.substring(0, half), input.substring(half))) {
                        ObjectNode delta = Json.object().put("contentBlockIndex", i);
                        delta.putObject("delta").putObject("toolUse").put("input", piece);
                        frames.add(event("contentBlockDelta", delta));
                    }
                } else if (block.has("reasoningContent")) {
                    ObjectNode delta = Json.object().put("contentBlockIndex", i);
                    delta.putObject("delta").putObject("reasoningContent")
                            .put("text", block.path("reasoningContent").path("reasoningText").path("text").asText());
                    frames.add(event("contentBlockDelta", delta));
                } else {
                    String text = block.path("text").asText();
                    int half = text.length() / 2;
                    for (String piece : List.of(text.substring(0, half), text.substring(half))) {
                        ObjectNode delta = Json.object().put("contentBlockIndex", i);
                        delta.putObject("delta").put("text", piece);
                        frames.add(event("contentBlockDelta", delta));
                    }
                }
                frames.add(event("contentBlockStop", Json.object().put("contentBlockIndex", i)));
            }
            if (endWith.isPresent()) {
                frames.add(endWith.get());
                return frames;
            }
            if (cut) {
                return frames;
            }
            frames.add(event("messageStop", Json.object().put("stopReason", stopReason)));
            ObjectNode metadata = Json.object();
            metadata.putObject("usage").put("inputTokens", inputTokens).put("outputTokens", outputTokens)
                    .put("totalTokens", inputTokens + outputTokens);
            metadata.putObject("metrics").put("latencyMs", 42);
            frames.add(event("metadata", metadata));
            return frames;
        }
    }

    /** One request as it arrived. */
    public record Received(String method, String rawPath, String rawQuery, Map<String, String> headers, byte[] body) {
        /** The model id of a runtime call, decoded from its path segment. */
        public Optional<String> modelId() {
            if (!rawPath.startsWith("/model/")) {
                return Optional.empty();
            }
            String rest = rawPath.substring("/model/".length());
            int slash = rest.indexOf('/');
            return slash < 0 ? Optional.empty()
                    : Optional.of(URLDecoder.decode(rest.substring(0, slash), StandardCharsets.UTF_8));
        }

        public JsonNode json() {
            try {
                return Json.MAPPER.readTree(body);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        public Optional<String> header(String name) {
            return Optional.ofNullable(headers.get(name.toLowerCase(java.util.Locale.ROOT)));
        }
    }
}
