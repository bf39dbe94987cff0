package io.hedgerow.bench;

import com.fasterxml.jackson.databind.JsonNode;
import io.helidon.common.socket.SocketOptions;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.WebServer;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.atomic.LongAdder;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A fake OpenAI-compatible provider whose latency depends on the request ({@link PromptLatency}), over real HTTP on
 * loopback. The request's id is read from a {@code req-N} marker in its first message (without one, it answers at
 * once) and its size from its text:
 * this fake's "tokenizer" counts a token per {@value #CHARS_PER_TOKEN} characters (not the router's 4, so the
 * router's estimate must be corrected by the reported usage to speak of real tokens). Streamed requests get their
 * first token after {@link PromptLatency#firstTokenNanos}, whole answers after {@link PromptLatency#wholeAnswerNanos};
 * both report usage. It counts requests, and answers abandoned before their end (hedge losers).
 */
final class PromptUpstream implements AutoCloseable {
    static final int CHARS_PER_TOKEN = 3;
    private static final Pattern ID = Pattern.compile("req-(\\d+)");
    private static final String HEAD = "{\"id\":\"chatcmpl-p\",\"object\":\"chat.completion.chunk\",\"created\":1,"
            + "\"model\":\"m\",\"choices\":[{\"index\":0,";

    private final PromptLatency latency;
    private final long seed;
    private final WebServer server;
    private final LongAdder requests = new LongAdder();
    private final LongAdder abandoned = new LongAdder();

    PromptUpstream(PromptLatency latency, long seed) {
        this.latency = latency;
        this.seed = seed;
        this.server = WebServer.builder()
                .host("127.0.0.1")
                .port(0)
                .maxPayloadSize(64L * 1024 * 1024)
                .connectionOptions(SocketOptions.builder().tcpNoDelay(true).build())
                .routing(r -> r.post("/v1/chat/completions", this::chat))
                .build()
                .start();
    }

    String baseUrl() {
        return "http://127.0.0.1:" + server.port() + "/v1";
    }

    long seed() {
        return seed;
    }

    PromptLatency latency() {
        return latency;
    }

    long requests() {
        return requests.sum();
    }

    long abandoned() {
        return abandoned.sum();
    }

    /** Prompt tokens of a request as this fake counts them: its messages' text, a token per 3 characters. */
    static long tokens(JsonNode body) {
        long chars = 0;
        for (JsonNode message : body.path("messages")) {
            JsonNode content = message.path("content");
            if (content.isTextual()) {
                chars += content.asText().length();
            } else {
                for (JsonNode part : content) {
                    chars += part.path("text").asText().length();
                }
            }
        }
        return chars / CHARS_PER_TOKEN;
    }

    private void chat(ServerRequest req, ServerResponse res) throws IOException {
        JsonNode body = Report.MAPPER.readTree(req.content().inputStream());
        requests.increment();
        Matcher m = ID.matcher(body.path("messages").path(0).path("content").asText(""));
        // A request without a req-N marker (the bench's start-up probe) is answered at once.
        long id = m.find() ? Long.parseLong(m.group(1)) : -1;
        long tokens = tokens(body);
        boolean stream = body.path("stream").asBoolean(false);
        String usage = "\"usage\":{\"prompt_tokens\":" + tokens + ",\"completion_tokens\":5,\"total_tokens\":"
                + (tokens + 5) + "}";
        try {
            if (!stream) {
                Thread.sleep(Duration.ofNanos(id < 0 ? 0 : latency.wholeAnswerNanos(seed, id, tokens)));
                res.header(HeaderNames.CONTENT_TYPE, "application/json");
                res.send("{\"id\":\"chatcmpl-p\",\"object\":\"chat.completion\",\"created\":1,\"model\":\"m\","
                                 + "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":"
                                 + "\"token0 token1 token2 token3 token4\"},\"finish_reason\":\"stop\"}]," + usage + "}");
                return;
            }
            res.header(HeaderNames.CONTENT_TYPE, "text/event-stream");
            try (OutputStream out = res.outputStream()) {
                LatencyUpstream.event(out, HEAD + "\"delta\":{\"role\":\"assistant\",\"content\":\"\"},\"finish_reason\":null}]}");
                Thread.sleep(Duration.ofNanos(id < 0 ? 0 : latency.firstTokenNanos(seed, id, tokens)));
                for (int i = 0; i < 5; i++) {
                    LatencyUpstream.event(out, HEAD + "\"delta\":{\"content\":\"token" + i + " \"},\"finish_reason\":null}]}");
                }
                LatencyUpstream.event(out, HEAD + "\"delta\":{},\"finish_reason\":\"stop\"}]}");
                LatencyUpstream.event(out, "{\"id\":\"chatcmpl-p\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\","
                        + "\"choices\":[]," + usage + "}");
                out.write("data: [DONE]\n\n".getBytes(StandardCharsets.US_ASCII));
                out.flush();
            }
        } catch (IOException | RuntimeException e) {
            // The router hung up: a cancelled attempt.
            abandoned.increment();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        server.stop();
    }
}
