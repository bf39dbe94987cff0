package io.hedgerow.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Raw HTTP to a router, for what an SDK would hide: exact status codes, headers, malformed bodies and the
 * exact server-sent events of a stream. Every request has a timeout, so a hung router fails the test instead
 * of hanging it.
 */
public final class RawClient implements AutoCloseable {
    public static final String CHAT = "/v1/chat/completions";
    private static final ObjectMapper JSON = new ObjectMapper();
    /** A string as a JSON string literal. */
    static final java.util.function.Function<String, String> JSON_TEXT = text -> {
        try {
            return JSON.writeValueAsString(text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    };
    private static final Duration TIMEOUT = Duration.ofSeconds(15);

    private final HttpClient http = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build();
    private final int port;
    private final String base;

    public RawClient(int port) {
        this.port = port;
        this.base = "http://127.0.0.1:" + port;
    }

    /** POSTs JSON text to {@code /v1/chat/completions}. */
    public HttpResponse<String> chat(String json) {
        return post(CHAT, "application/json", HttpRequest.BodyPublishers.ofString(json));
    }

    /** POSTs JSON text to {@code /v1/chat/completions} with extra headers. */
    public HttpResponse<String> chat(String json, java.util.Map<String, String> headers) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + CHAT)).timeout(TIMEOUT)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json));
        headers.forEach(request::header);
        return send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** POSTs JSON text to {@code path} with extra headers. */
    public HttpResponse<String> post(String path, String json, java.util.Map<String, String> headers) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + path)).timeout(TIMEOUT)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json));
        headers.forEach(request::header);
        return send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** POSTs a streamed request of {@code api} and reads the whole answer as server-sent events. */
    SseStream stream(Inbound api, String path, String json) {
        HttpResponse<String> response = post(path, json, java.util.Map.of());
        return new SseStream(response.statusCode(), response.headers(), SseStream.parse(response.body()),
                             response.body(), api);
    }

    /** POSTs a body with this content type (null: no Content-Type header). */
    public HttpResponse<String> post(String path, String contentType, HttpRequest.BodyPublisher body) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + path)).timeout(TIMEOUT).POST(body);
        if (contentType != null) {
            request.header("Content-Type", contentType);
        }
        return send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** A GET with extra headers. */
    public HttpResponse<String> get(String path, java.util.Map<String, String> headers) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + path)).timeout(TIMEOUT).GET();
        headers.forEach(request::header);
        return send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** A DELETE. */
    public HttpResponse<String> delete(String path) {
        return send(HttpRequest.newBuilder(URI.create(base + path)).timeout(TIMEOUT).DELETE().build(),
                    HttpResponse.BodyHandlers.ofString());
    }

    public HttpResponse<String> get(String path) {
        return send(HttpRequest.newBuilder(URI.create(base + path)).timeout(TIMEOUT).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
    }

    /** POSTs a chat request and reads the whole answer as server-sent events. */
    public SseStream chatStream(String json) {
        HttpResponse<String> response = chat(json);
        return new SseStream(response.statusCode(), response.headers(), SseStream.parse(response.body()),
                             response.body(), Inbound.CHAT_COMPLETIONS);
    }

    /**
     * POSTs a streamed chat request over a bare socket, reads the status line and the first {@code events}
     * SSE data lines, then hangs up at once (an HTTP client may keep a connection open a while after its
     * body is closed). Returns the status line followed by the data lines read.
     */
    public List<String> streamAndHangUp(String json, int events) {
        return streamAndHangUp(CHAT, json, events);
    }

    /** {@link #streamAndHangUp(String, int)} on another path (another inbound API). */
    public List<String> streamAndHangUp(String path, String json, int events) {
        byte[] body = json.getBytes(StandardCharsets.UTF_8);
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
            socket.setSoTimeout((int) TIMEOUT.toMillis());
            OutputStream out = socket.getOutputStream();
            out.write(("POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\n"
                    + "Content-Type: application/json\r\nContent-Length: " + body.length + "\r\n\r\n")
                              .getBytes(StandardCharsets.US_ASCII));
            out.write(body);
            out.flush();
            BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(),
                                                                         StandardCharsets.UTF_8));
            List<String> read = new ArrayList<>();
            read.add(in.readLine());
            String line;
            while (read.size() <= events && (line = in.readLine()) != null) {
                if (line.startsWith("data:")) {
                    read.add(line);
                }
            }
            return read;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A response body as JSON. */
    public static JsonNode json(HttpResponse<String> response) {
        return json(response.body());
    }

    public static JsonNode json(String text) {
        try {
            return JSON.readTree(text);
        } catch (IOException e) {
            throw new AssertionError("not JSON: " + text, e);
        }
    }

    private <T> HttpResponse<T> send(HttpRequest request, HttpResponse.BodyHandler<T> handler) {
        try {
            return http.send(request, handler);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    @Override
    public void close() {
        http.shutdownNow();
    }

    /**
     * A streamed answer as received: the status, headers and the data of each event, in order, read in the shape of
     * the inbound API that was called.
     *
     * @param data each event's {@code data} (JSON chunks, an error object, {@code [DONE]})
     * @param raw  the body exactly as received
     * @param api  the API called: its events say where the text, reasoning, end and error are
     */
    public record SseStream(int status, HttpHeaders headers, List<String> data, String raw, Inbound api) {
        public SseStream(int status, HttpHeaders headers, List<String> data, String raw) {
            this(status, headers, data, raw, Inbound.CHAT_COMPLETIONS);
        }

        public static List<String> parse(String body) {
            List<String> events = new ArrayList<>();
            StringBuilder data = null;
            for (String line : body.split("\r?\n", -1)) {
                if (line.isEmpty()) {
                    if (data != null) {
                        events.add(data.toString());
                        data = null;
                    }
                } else if (line.startsWith("data:")) {
                    String value = line.substring(5).startsWith(" ") ? line.substring(6) : line.substring(5);
                    data = data == null ? new StringBuilder(value) : data.append('\n').append(value);
                }
            }
            if (data != null) {
                events.add(data.toString());
            }
            return events;
        }

        /** Whether the stream ended properly: {@code data: [DONE]}, or Anthropic's {@code message_stop}. */
        public boolean done() {
            if (api == Inbound.MESSAGES) {
                return !data.isEmpty() && RawClient.json(data.getLast()).path("type").asText().equals("message_stop");
            }
            return !data.isEmpty() && data.getLast().equals("[DONE]");
        }

        /** Whether {@code [DONE]} appears anywhere. */
        public boolean anyDone() {
            return data.contains("[DONE]");
        }

        /** Every event but [DONE], as JSON. */
        public List<JsonNode> chunks() {
            return data.stream().filter(d -> !d.equals("[DONE]")).map(RawClient::json).toList();
        }

        /** The content deltas joined. */
        public String text() {
            if (api == Inbound.MESSAGES) {
                return deltas("text_delta", "text");
            }
            StringBuilder sb = new StringBuilder();
            for (JsonNode chunk : chunks()) {
                JsonNode content = chunk.path("choices").path(0).path("delta").path("content");
                if (content.isTextual()) {
                    sb.append(content.asText());
                }
            }
            return sb.toString();
        }

        /** Anthropic's {@code content_block_delta}s of one type, their {@code field} joined. */
        private String deltas(String type, String field) {
            StringBuilder sb = new StringBuilder();
            for (JsonNode event : chunks()) {
                JsonNode delta = event.path("delta");
                if (event.path("type").asText().equals("content_block_delta")
                        && delta.path("type").asText().equals(type)) {
                    sb.append(delta.path(field).asText());
                }
            }
            return sb.toString();
        }

        /** The reasoning deltas ({@code reasoning_content}, Anthropic's thinking) joined. */
        public String reasoning() {
            if (api == Inbound.MESSAGES) {
                return deltas("thinking_delta", "thinking");
            }
            StringBuilder sb = new StringBuilder();
            for (JsonNode chunk : chunks()) {
                JsonNode reasoning = chunk.path("choices").path(0).path("delta").path("reasoning_content");
                if (reasoning.isTextual()) {
                    sb.append(reasoning.asText());
                }
            }
            return sb.toString();
        }

        /** The first event carrying an {@code error} object (OpenAI's error chunk, Anthropic's error event). */
        public Optional<JsonNode> error() {
            return chunks().stream().filter(c -> c.has("error")).findFirst();
        }

        /** The model the answer names (every OpenAI chunk, Anthropic's {@code message_start}). */
        public List<String> models() {
            if (api == Inbound.MESSAGES) {
                return chunks().stream().filter(c -> c.path("type").asText().equals("message_start"))
                        .map(c -> c.at("/message/model").asText()).toList();
            }
            return chunks().stream().filter(c -> c.has("model")).map(c -> c.get("model").asText()).toList();
        }

        /** Every piece of tool-call arguments, joined (OpenAI's argument deltas, Anthropic's input_json_delta). */
        public String toolArguments() {
            if (api == Inbound.MESSAGES) {
                return deltas("input_json_delta", "partial_json");
            }
            StringBuilder arguments = new StringBuilder();
            for (JsonNode chunk : chunks()) {
                for (JsonNode delta : chunk.at("/choices/0/delta/tool_calls")) {
                    arguments.append(delta.at("/function/arguments").asText());
                }
            }
            return arguments.toString();
        }

        /** The input tokens the answer reports at its end (Anthropic's without those read from the cache). */
        public int inputTokens() {
            for (JsonNode chunk : chunks().reversed()) {
                JsonNode usage = chunk.path("usage");
                if (usage.isObject()) {
                    return usage.path(api == Inbound.MESSAGES ? "input_tokens" : "prompt_tokens").asInt();
                }
            }
            return -1;
        }

        /** The output tokens the answer reports at its end. */
        public int outputTokens() {
            for (JsonNode chunk : chunks().reversed()) {
                JsonNode usage = chunk.path("usage");
                if (usage.isObject()) {
                    return usage.path(api == Inbound.MESSAGES ? "output_tokens" : "completion_tokens").asInt();
                }
            }
            return -1;
        }

        /** The finish reasons seen, in order (Anthropic's stop reasons for a Messages stream). */
        public List<String> finishReasons() {
            if (api == Inbound.MESSAGES) {
                return chunks().stream().map(c -> c.at("/delta/stop_reason"))
                        .filter(JsonNode::isTextual).map(JsonNode::asText).toList();
            }
            return chunks().stream().map(c -> c.path("choices").path(0).path("finish_reason"))
                    .filter(JsonNode::isTextual).map(JsonNode::asText).toList();
        }

        public Optional<String> header(String name) {
            return headers.firstValue(name);
        }
    }
}
