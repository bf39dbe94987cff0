package io.hedgerow.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.helidon.common.socket.SocketOptions;
import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webserver.CloseConnectionException;
import io.helidon.webserver.WebServer;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * An OpenAI-compatible upstream that misbehaves at random, for the chaos soak: a real Helidon {@link WebServer} on
 * loopback. Every answer is a function of the request, so any upstream (and any retry, hedge or splice) gives the
 * same text: the last user message reads {@code soak ID N}, and the answer is N pieces {@code ID:0 ID:1 ...} (a
 * stream that never ends goes on with {@code ID:N ID:N+1 ...}). A client can then tell a complete answer from a
 * truncated one exactly.
 *
 * <p>Each request draws one {@link Fault} (seeded, with the weights given): a proper answer, or a 429, a 5xx, a
 * connection dropped before the headers, a stream cut midway, a stall, a slow first token, an answer over the
 * router's cap, SSE framing with no events, the wrong content type, a redirect, a stream that never ends, or one
 * that drips a byte at a time. Counters say how many exchanges started and ended (and how many the caller left),
 * so a soak can check that none is left hanging.
 */
final class ChaosUpstream implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration PROBE = Duration.ofMillis(50);
    /** Longest any misbehaviour lasts: a stall or an endless stream gives up after it, should nobody hang up. */
    private static final Duration GIVE_UP = Duration.ofSeconds(20);

    /** What one request gets. */
    enum Fault {
        OK, RATE_LIMITED, SERVER_ERROR, DROP, CUT, STALL, SLOW_FIRST_TOKEN, HUGE, BAD_SSE, WRONG_TYPE, REDIRECT,
        ENDLESS, DRIP
    }

    /** The default mix: about a third of requests misbehave, every class of fault among them. */
    static Map<Fault, Double> defaultMix() {
        Map<Fault, Double> mix = new EnumMap<>(Fault.class);
        mix.put(Fault.OK, 0.65);
        mix.put(Fault.RATE_LIMITED, 0.02);
        mix.put(Fault.SERVER_ERROR, 0.06);
        mix.put(Fault.DROP, 0.03);
        mix.put(Fault.CUT, 0.05);
        mix.put(Fault.STALL, 0.03);
        mix.put(Fault.SLOW_FIRST_TOKEN, 0.05);
        mix.put(Fault.HUGE, 0.02);
        mix.put(Fault.BAD_SSE, 0.02);
        mix.put(Fault.WRONG_TYPE, 0.02);
        mix.put(Fault.REDIRECT, 0.02);
        mix.put(Fault.ENDLESS, 0.015);
        mix.put(Fault.DRIP, 0.015);
        return mix;
    }

    private final String name;
    private final WebServer server;
    private final Fault[] faults;
    private final double[] cumulative;
    private final SplittableRandom random;
    private final int hugeBytes;
    private final Map<Fault, LongAdder> drawn = new EnumMap<>(Fault.class);
    private final LongAdder started = new LongAdder();
    private final LongAdder ended = new LongAdder();
    private final LongAdder callerLeft = new LongAdder();
    private final AtomicLong inFlight = new AtomicLong();
    private final AtomicLong peakInFlight = new AtomicLong();
    private volatile boolean closed;

    /**
     * @param hugeBytes size of a {@link Fault#HUGE} answer: more than the router's {@code max-response-size}
     */
    ChaosUpstream(String name, Map<Fault, Double> mix, long seed, int hugeBytes) {
        this.name = name;
        this.random = new SplittableRandom(seed);
        this.hugeBytes = hugeBytes;
        this.faults = mix.keySet().toArray(new Fault[0]);
        this.cumulative = new double[faults.length];
        double sum = 0;
        for (int i = 0; i < faults.length; i++) {
            sum += mix.get(faults[i]);
            cumulative[i] = sum;
            drawn.put(faults[i], new LongAdder());
        }
        for (int i = 0; i < faults.length; i++) {
            cumulative[i] /= sum;
        }
        this.server = WebServer.builder()
                .host("127.0.0.1")
                .port(0)
                .shutdownHook(false)
                .connectionOptions(SocketOptions.builder().tcpNoDelay(true).build())
                .routing(r -> r.post("/v1/chat/completions", this::chat))
                .build()
                .start();
    }

    String name() {
        return name;
    }

    int port() {
        return server.port();
    }

    URI baseUrl() {
        return URI.create("http://127.0.0.1:" + port() + "/v1");
    }

    long started() {
        return started.sum();
    }

    long ended() {
        return ended.sum();
    }

    long inFlight() {
        return inFlight.get();
    }

    /** The most exchanges ever in flight at once: as many connections as the caller needed side by side. */
    long peakInFlight() {
        return peakInFlight.get();
    }

    /** Exchanges whose caller closed the connection before the answer was over. */
    long callerLeft() {
        return callerLeft.sum();
    }

    Map<String, Long> faultsDrawn() {
        Map<String, Long> counts = new LinkedHashMap<>();
        drawn.forEach((f, n) -> counts.put(f.name().toLowerCase(java.util.Locale.ROOT), n.sum()));
        return counts;
    }

    @Override
    public void close() {
        closed = true;
        server.stop();
    }

    private Fault draw() {
        double x;
        synchronized (random) {
            x = random.nextDouble();
        }
        for (int i = 0; i < faults.length; i++) {
            if (x < cumulative[i]) {
                return faults[i];
            }
        }
        return faults[faults.length - 1];
    }

    private void chat(ServerRequest req, ServerResponse res) throws IOException {
        JsonNode body = JSON.readTree(req.content().inputStream().readAllBytes());
        started.increment();
        peakInFlight.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
        Fault fault = draw();
        drawn.get(fault).increment();
        try {
            serve(fault, body, res);
        } catch (Left e) {
            callerLeft.increment();
        } finally {
            inFlight.decrementAndGet();
            ended.increment();
        }
    }

    private void serve(Fault fault, JsonNode body, ServerResponse res) throws Left {
        boolean stream = body.path("stream").asBoolean(false);
        String[] pieces = answer(body);
        String model = body.path("model").asText("m");
        switch (fault) {
        case RATE_LIMITED -> error(res, 429, "rate_limit_exceeded", "Rate limit reached.", "1");
        case SERVER_ERROR -> error(res, random() < 0.5 ? 500 : 503, null, "The server had an error.", null);
        case DROP -> throw new CloseConnectionException("chaos: dropped before the headers");
        case HUGE -> {
            String pad = "x".repeat(hugeBytes);
            if (stream) {
                send(res, 200, "text/event-stream", "data: {\"pad\":\"" + pad + "\"}\n\n");
            } else {
                send(res, 200, "application/json", "{\"id\":\"x\",\"object\":\"chat.completion\",\"choices\":[{"
                        + "\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"" + pad + "\"},"
                        + "\"finish_reason\":\"stop\"}]}");
            }
        }
        case BAD_SSE -> send(res, 200, stream ? "text/event-stream" : "application/json",
                             stream ? "{\"choices\":[{\"delta\":{\"content\":\"x\"}}]}\nevent: x\nretry: y\n\n"
                                     : "{\"choices\": [{\"message\": ");
        case WRONG_TYPE -> send(res, 200, "text/html", "<html><body>Service Unavailable</body></html>");
        case REDIRECT -> {
            res.header(HeaderNames.LOCATION, "http://127.0.0.1:9/v1/chat/completions");
            send(res, 302, "text/plain", "moved");
        }
        default -> {
            if (stream) {
                stream(fault, pieces, model, body.path("stream_options").path("include_usage").asBoolean(false), res);
            } else if (fault == Fault.CUT) {
                throw new CloseConnectionException("chaos: cut before the answer");
            } else if (fault == Fault.OK) {
                send(res, 200, "application/json", completion(pieces, model));
            } else {
                // Slow, stalled, endless or dripping: the headers at once, then whitespace (valid before JSON) now
                // and then, which notices a caller that left, and the answer late (or never).
                res.header(HeaderNames.CONTENT_TYPE, "application/json");
                OutputStream out = res.outputStream();
                try {
                    Duration wait = fault == Fault.SLOW_FIRST_TOKEN ? slowFirstToken() : GIVE_UP;
                    long deadline = System.nanoTime() + wait.toNanos();
                    while (System.nanoTime() < deadline && !closed) {
                        write(out, new byte[] {' '});
                        sleep(PROBE);
                    }
                    write(out, completion(pieces, model).getBytes(StandardCharsets.UTF_8));
                } finally {
                    try {
                        out.close();
                    } catch (IOException | RuntimeException ignored) {
                        // the caller is gone
                    }
                }
            }
        }
        }
    }

    private void stream(Fault fault, String[] pieces, String model, boolean usage, ServerResponse res) throws Left {
        res.header(HeaderNames.CONTENT_TYPE, "text/event-stream");
        OutputStream out = res.outputStream();
        try {
            write(out, event(chunk(model, "{\"role\":\"assistant\",\"content\":\"\"}", null)));
            if (fault == Fault.SLOW_FIRST_TOKEN) {
                probe(out, slowFirstToken());
            } else if (fault == Fault.STALL) {
                probe(out, GIVE_UP);
                return;
            }
            int cutAt = fault == Fault.CUT ? Math.max(1, pieces.length / 2) : -1;
            for (int i = 0; i < pieces.length; i++) {
                if (i == cutAt) {
                    throw new CloseConnectionException("chaos: stream cut");
                }
                byte[] event = event(chunk(model, "{\"content\":\"" + pieces[i] + "\"}", null));
                if (fault == Fault.DRIP && i >= 1) {
                    for (byte b : event) {
                        write(out, new byte[] {b});
                        sleep(Duration.ofMillis(100));
                    }
                    continue;
                }
                write(out, event);
            }
            if (fault == Fault.ENDLESS) {
                // The sequence goes on past N: the client sees more than its answer, then the router's cut.
                String id = pieces.length == 0 ? "0" : pieces[0].substring(0, pieces[0].indexOf(':'));
                long deadline = System.nanoTime() + GIVE_UP.toNanos();
                for (int i = pieces.length; System.nanoTime() < deadline && !closed; i++) {
                    write(out, event(chunk(model, "{\"content\":\"" + id + ":" + i + " \"}", null)));
                    sleep(Duration.ofMillis(20));
                }
                return;
            }
            write(out, event(chunk(model, "{}", "stop")));
            if (usage) {
                write(out, event("{\"id\":\"chatcmpl-soak\",\"object\":\"chat.completion.chunk\",\"created\":1,"
                                         + "\"model\":\"" + model + "\",\"choices\":[],\"usage\":{\"prompt_tokens\":9,"
                                         + "\"completion_tokens\":" + pieces.length + ",\"total_tokens\":"
                                         + (9 + pieces.length) + "}}"));
            }
            write(out, "data: [DONE]\n\n".getBytes(StandardCharsets.US_ASCII));
        } finally {
            try {
                out.close();
            } catch (IOException | RuntimeException ignored) {
                // the caller is gone; counted where the write failed
            }
        }
    }

    /** Waits, writing an SSE comment now and then: the router ignores it, and a caller that left is noticed. */
    private void probe(OutputStream out, Duration wait) throws Left {
        long deadline = System.nanoTime() + wait.toNanos();
        while (System.nanoTime() < deadline && !closed) {
            sleep(PROBE);
            write(out, ": waiting\n\n".getBytes(StandardCharsets.US_ASCII));
        }
    }

    private Duration slowFirstToken() {
        return Duration.ofMillis(300 + (long) (random() * 2500));
    }

    private double random() {
        synchronized (random) {
            return random.nextDouble();
        }
    }

    /** The answer to {@code soak ID N}: N pieces {@code ID:i }. */
    static String[] answer(JsonNode body) {
        String text = "";
        for (JsonNode message : body.path("messages")) {
            if (message.path("role").asText().equals("user")) {
                text = message.path("content").asText("");
            }
        }
        String[] words = text.trim().split(" ");
        if (words.length != 3 || !words[0].equals("soak")) {
            return new String[] {"not a soak request "};
        }
        int n = Integer.parseInt(words[2]);
        String[] pieces = new String[n];
        for (int i = 0; i < n; i++) {
            pieces[i] = words[1] + ":" + i + " ";
        }
        return pieces;
    }

    private static String completion(String[] pieces, String model) {
        return "{\"id\":\"chatcmpl-soak\",\"object\":\"chat.completion\",\"created\":1,\"model\":\"" + model + "\","
                + "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\""
                + String.join("", pieces) + "\"},\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":"
                + pieces.length + ",\"total_tokens\":" + (9 + pieces.length) + "}}";
    }

    private static String chunk(String model, String delta, String finish) {
        return "{\"id\":\"chatcmpl-soak\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"" + model
                + "\",\"choices\":[{\"index\":0,\"delta\":" + delta + ",\"finish_reason\":"
                + (finish == null ? "null" : "\"" + finish + "\"") + "}]}";
    }

    private static byte[] event(String json) {
        return ("data: " + json + "\n\n").getBytes(StandardCharsets.UTF_8);
    }

    private static void error(ServerResponse res, int status, String code, String message, String retryAfter)
            throws Left {
        if (retryAfter != null) {
            res.header(HeaderNames.RETRY_AFTER, retryAfter);
        }
        send(res, status, "application/json", "{\"error\":{\"message\":\"" + message + "\",\"type\":\"server_error\","
                + "\"param\":null,\"code\":" + (code == null ? "null" : "\"" + code + "\"") + "}}");
    }

    private static void send(ServerResponse res, int status, String contentType, String body) throws Left {
        try {
            res.status(Status.create(status)).header(HeaderNames.CONTENT_TYPE, contentType)
                    .send(body.getBytes(StandardCharsets.UTF_8));
        } catch (RuntimeException e) {
            throw new Left();
        }
    }

    private static void write(OutputStream out, byte[] bytes) throws Left {
        try {
            out.write(bytes);
            out.flush();
        } catch (IOException | RuntimeException e) {
            throw new Left();
        }
    }

    private static void sleep(Duration d) {
        try {
            Thread.sleep(d);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The caller closed the connection. */
    private static final class Left extends Exception {
        Left() {
            super(null, null, false, false);
        }
    }
}
