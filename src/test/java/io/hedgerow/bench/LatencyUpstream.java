package io.hedgerow.bench;

import io.helidon.common.socket.SocketOptions;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.WebServer;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.LongAdder;

/**
 * A fake OpenAI-style upstream for the hedging benchmark, served over real HTTP on loopback: its time to first
 * token is lognormal ({@code median * exp(sigma * z)}), a {@code slowFraction} of requests is {@code slowFactor}
 * times slower, and {@link #slowDown(double)} multiplies every later delay (a provider turning slow mid-run), or
 * {@link #ramp} makes that factor grow steadily (a provider degrading gradually). Streamed requests get SSE, the others
 * one JSON answer after the delay. It counts requests, and streams abandoned before their end (the router cancelled a
 * hedge loser).
 */
final class LatencyUpstream implements AutoCloseable {
    private static final String HEAD = "{\"id\":\"chatcmpl-h\",\"object\":\"chat.completion.chunk\",\"created\":1,"
            + "\"model\":\"m\",\"choices\":[{\"index\":0,";

    /** The distribution of time to first token. */
    record Model(Duration median, double sigma, double slowFraction, double slowFactor) {
        /** One sample in nanoseconds. */
        long sampleNanos(SplittableRandom random) {
            double nanos = median.toNanos() * Math.exp(sigma * gaussian(random));
            if (slowFraction > 0 && random.nextDouble() < slowFraction) {
                nanos *= slowFactor;
            }
            return (long) nanos;
        }

        /** Standard normal by Box-Muller (SplittableRandom has no nextGaussian on every JDK we support). */
        static double gaussian(SplittableRandom random) {
            double u = 1 - random.nextDouble();
            double v = random.nextDouble();
            return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
        }
    }

    private final Model model;
    private final SplittableRandom random;
    private final WebServer server;
    private final LongAdder requests = new LongAdder();
    private final LongAdder abandoned = new LongAdder();
    private volatile double factor = 1;
    private volatile double rampTo = 1;
    private volatile long rampStart;
    private volatile long rampNanos;

    LatencyUpstream(Model model, long seed) {
        this.model = model;
        this.random = new SplittableRandom(seed);
        this.server = WebServer.builder()
                .host("127.0.0.1")
                .port(0)
                .connectionOptions(SocketOptions.builder().tcpNoDelay(true).build())
                .routing(r -> r.post("/v1/chat/completions", this::chat))
                .build()
                .start();
    }

    String baseUrl() {
        return "http://127.0.0.1:" + server.port() + "/v1";
    }

    /** From now on every delay is {@code factor} times longer. */
    void slowDown(double newFactor) {
        this.rampNanos = 0;
        this.factor = newFactor;
    }

    /** From now on the delay factor grows linearly from where it is to {@code to}, over {@code over}, then stays. */
    void ramp(double to, Duration over) {
        this.rampTo = to;
        this.rampStart = System.nanoTime();
        this.rampNanos = over.toNanos();
    }

    /** The delay factor now. */
    double factor() {
        long length = rampNanos;
        if (length <= 0) {
            return factor;
        }
        double done = Math.min(1, (System.nanoTime() - rampStart) / (double) length);
        return factor + (rampTo - factor) * done;
    }

    long requests() {
        return requests.sum();
    }

    long abandoned() {
        return abandoned.sum();
    }

    private void chat(ServerRequest req, ServerResponse res) throws IOException {
        boolean streamed = new String(req.content().inputStream().readAllBytes(), StandardCharsets.UTF_8)
                .contains("\"stream\":true");
        requests.increment();
        long ttft;
        synchronized (random) {
            ttft = (long) (model.sampleNanos(random) * factor());
        }
        if (!streamed) {
            answer(res, ttft);
            return;
        }
        res.header(HeaderNames.CONTENT_TYPE, "text/event-stream");
        try (OutputStream out = res.outputStream()) {
            event(out, HEAD + "\"delta\":{\"role\":\"assistant\",\"content\":\"\"},\"finish_reason\":null}]}");
            Thread.sleep(Duration.ofNanos(ttft));
            for (int i = 0; i < 5; i++) {
                event(out, HEAD + "\"delta\":{\"content\":\"token" + i + " \"},\"finish_reason\":null}]}");
            }
            event(out, HEAD + "\"delta\":{},\"finish_reason\":\"stop\"}]}");
            event(out, "{\"id\":\"chatcmpl-h\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\","
                    + "\"choices\":[],\"usage\":{\"prompt_tokens\":10,\"completion_tokens\":5,\"total_tokens\":15}}");
            out.write("data: [DONE]\n\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
        } catch (IOException | RuntimeException e) {
            // The router hung up: a cancelled attempt.
            abandoned.increment();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** A whole JSON answer after {@code delayNanos}. */
    private void answer(ServerResponse res, long delayNanos) {
        try {
            Thread.sleep(Duration.ofNanos(delayNanos));
            res.header(HeaderNames.CONTENT_TYPE, "application/json");
            res.send(("{\"id\":\"chatcmpl-h\",\"object\":\"chat.completion\",\"created\":1,\"model\":\"m\","
                    + "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"token0 token1\"},"
                    + "\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":10,\"completion_tokens\":2,"
                    + "\"total_tokens\":12}}").getBytes(StandardCharsets.UTF_8));
        } catch (RuntimeException e) {
            abandoned.increment();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** One SSE {@code data:} event, flushed. */
    static void event(OutputStream out, String json) throws IOException {
        out.write(("data: " + json + "\n\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    @Override
    public void close() {
        server.stop();
    }
}
