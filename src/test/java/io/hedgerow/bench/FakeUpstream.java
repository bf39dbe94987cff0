package io.hedgerow.bench;

import io.helidon.common.socket.SocketOptions;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.WebServer;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * A fake OpenAI-compatible upstream for benchmarks: a real Helidon {@link WebServer} on loopback answering
 * {@code POST /v1/chat/completions} as fast as it can, as one JSON body or, when the request says
 * {@code "stream": true}, as server-sent events in OpenAI's chunk format ({@code role} chunk, {@code chunks}
 * content chunks, a finish chunk, a usage chunk when {@code stream_options.include_usage} is asked, and
 * {@code [DONE]}), each flushed as it is written; {@code POST /v1/embeddings} with one vector of
 * {@value #EMBEDDING_DIMENSIONS} floats and {@code POST /v1/responses} with one Responses API {@code response} object
 * (JSON only), after the same {@code ttft}.
 *
 * <p>Latency is configurable per process: {@code ttft} is slept before the answer (or before the first content
 * chunk of a stream) and {@code chunkGap} between content chunks; both are {@link Delay}s, sampled from one seeded
 * generator so a run can be repeated. Each content chunk's text is the sender's {@link System#nanoTime()} at
 * the moment it was written followed by a space: on Linux that clock is {@code CLOCK_MONOTONIC}, shared by every
 * process on the machine, so a client can tell how long each chunk took to reach it (see {@link BenchHttp}).
 *
 * <p>Counters ({@code GET /stats}: requests, connections they came on, streams, completed streams, streams the
 * client left) let a benchmark report upstream requests per client request and whether connections are reused.
 * Run it as its own process with {@code scripts/bench upstream [--port N] [--ttft D] [--chunk-gap D] [--chunks N] [--seed N]}; it exits
 * when its standard input closes (its parent went away) or after {@code --max-seconds}.
 */
public final class FakeUpstream implements AutoCloseable {
    /** The model name every answer carries. */
    public static final String MODEL = "bench-model";
    /** The length of the vector every embeddings answer carries (nomic-embed-text's). */
    public static final int EMBEDDING_DIMENSIONS = 768;
    private static final byte[] DATA = "data: ".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] END = "\n\n".getBytes(StandardCharsets.US_ASCII);
    private static final String CHUNK_HEAD = "{\"id\":\"chatcmpl-bench\",\"object\":\"chat.completion.chunk\","
            + "\"created\":1700000000,\"model\":\"" + MODEL + "\",\"choices\":[{\"index\":0,";

    /**
     * What the fake does.
     *
     * @param ttft     delay before the answer (JSON) or the first content chunk (stream)
     * @param chunkGap delay between two content chunks
     * @param chunks   content chunks per streamed answer
     * @param seed     seed of the delay generator
     */
    public record Settings(Delay ttft, Delay chunkGap, int chunks, long seed) {
        public static final Settings IMMEDIATE = new Settings(Delay.NONE, Delay.NONE, 50, 1);

        public Settings {
            Objects.requireNonNull(ttft, "ttft");
            Objects.requireNonNull(chunkGap, "chunkGap");
            if (chunks < 1 || chunks > 100_000) {
                throw new IllegalArgumentException("chunks: " + chunks + " (expected: 1..100000)");
            }
        }
    }

    private final Settings settings;
    private final SplittableRandom random;
    private final WebServer server;
    private final byte[] completion;
    private final byte[] embedding;
    private final byte[] response;
    private final byte[] roleChunk;
    private final byte[] finishChunk;
    private final byte[] usageChunk;
    private final LongAdder requests = new LongAdder();
    private final LongAdder streams = new LongAdder();
    private final LongAdder completedStreams = new LongAdder();
    private final LongAdder abandonedStreams = new LongAdder();
    private final Set<String> connections = ConcurrentHashMap.newKeySet();

    private FakeUpstream(Settings settings, int port) {
        this.settings = settings;
        this.random = new SplittableRandom(settings.seed());
        this.completion = ("{\"id\":\"chatcmpl-bench\",\"object\":\"chat.completion\",\"created\":1700000000,"
                + "\"model\":\"" + MODEL + "\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\","
                + "\"content\":\"Hello from the bench upstream.\",\"refusal\":null},\"logprobs\":null,"
                + "\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":12,\"completion_tokens\":7,"
                + "\"total_tokens\":19}}").getBytes(StandardCharsets.UTF_8);
        this.embedding = embedding(settings.seed());
        this.response = ("{\"id\":\"resp_bench\",\"object\":\"response\",\"created_at\":1700000000,"
                + "\"status\":\"completed\",\"model\":\"" + MODEL + "\",\"output\":[{\"id\":\"msg_bench\","
                + "\"type\":\"message\",\"status\":\"completed\",\"role\":\"assistant\",\"content\":[{"
                + "\"type\":\"output_text\",\"text\":\"Hello from the bench upstream.\",\"annotations\":[]}]}],"
                + "\"usage\":{\"input_tokens\":12,\"input_tokens_details\":{\"cached_tokens\":0},"
                + "\"output_tokens\":7,\"output_tokens_details\":{\"reasoning_tokens\":0},\"total_tokens\":19}}")
                .getBytes(StandardCharsets.UTF_8);
        this.roleChunk = event(CHUNK_HEAD + "\"delta\":{\"role\":\"assistant\",\"content\":\"\"},\"logprobs\":null,"
                                       + "\"finish_reason\":null}]}");
        this.finishChunk = event(CHUNK_HEAD + "\"delta\":{},\"logprobs\":null,\"finish_reason\":\"stop\"}]}");
        this.usageChunk = event("{\"id\":\"chatcmpl-bench\",\"object\":\"chat.completion.chunk\","
                                        + "\"created\":1700000000,\"model\":\"" + MODEL + "\",\"choices\":[],"
                                        + "\"usage\":{\"prompt_tokens\":12,\"completion_tokens\":" + settings.chunks()
                                        + ",\"total_tokens\":" + (12 + settings.chunks()) + "}}");
        this.server = WebServer.builder()
                .host("127.0.0.1")
                .port(port)
                // Like real API front ends: small writes (one SSE event) leave at once, not after the peer's ACK.
                .connectionOptions(SocketOptions.builder().tcpNoDelay(true).build())
                .routing(r -> r.post("/v1/chat/completions", this::chat)
                        .post("/v1/embeddings", (req, res) -> json(req, res, embedding))
                        .post("/v1/responses", (req, res) -> json(req, res, response))
                        .get("/stats", this::stats))
                .build()
                .start();
    }

    /** Starts a fake on {@code port} (0: a free one). */
    public static FakeUpstream start(Settings settings, int port) {
        return new FakeUpstream(Objects.requireNonNull(settings, "settings"), port);
    }

    /** The {@code base-url} of an {@code openai} provider pointing here, e.g. {@code http://127.0.0.1:40123/v1}. */
    public URI baseUrl() {
        return URI.create("http://127.0.0.1:" + server.port() + "/v1");
    }

    public int port() {
        return server.port();
    }

    /** Requests received so far. */
    public long requests() {
        return requests.sum();
    }

    /** Connections those requests came on (distinct socket ids). */
    public long connections() {
        return connections.size();
    }

    @Override
    public void close() {
        server.stop();
    }

    private void chat(ServerRequest req, ServerResponse res) throws IOException {
        byte[] body = req.content().inputStream().readAllBytes();
        requests.increment();
        connections.add(req.socketId());
        boolean stream = Json.flag(body, "stream");
        long ttft = sample(settings.ttft());
        if (!stream) {
            sleepNanos(ttft);
            res.header(HeaderNames.CONTENT_TYPE, "application/json").send(completion);
            return;
        }
        streams.increment();
        boolean usage = Json.flag(body, "include_usage");
        res.header(HeaderNames.CONTENT_TYPE, "text/event-stream");
        res.header(HeaderNames.CACHE_CONTROL, "no-cache");
        ByteArrayOutputStream chunk = new ByteArrayOutputStream(256);
        try (OutputStream out = res.outputStream()) {
            out.write(roleChunk);
            out.flush();
            sleepNanos(ttft);
            for (int i = 0; i < settings.chunks(); i++) {
                if (i > 0) {
                    sleepNanos(sample(settings.chunkGap()));
                }
                chunk.reset();
                chunk.write(DATA);
                chunk.write((CHUNK_HEAD + "\"delta\":{\"content\":\"" + System.nanoTime()
                        + " \"},\"logprobs\":null,\"finish_reason\":null}]}").getBytes(StandardCharsets.US_ASCII));
                chunk.write(END);
                chunk.writeTo(out);
                out.flush();
            }
            out.write(finishChunk);
            if (usage) {
                out.write(usageChunk);
            }
            out.write("data: [DONE]\n\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            completedStreams.increment();
        } catch (IOException | RuntimeException e) {
            // The client left mid-stream (Helidon reports it as an unchecked exception on write).
            abandonedStreams.increment();
        }
    }

    /** A non-streamed answer of another API: counted, delayed by {@code ttft}, the same bytes every time. */
    private void json(ServerRequest req, ServerResponse res, byte[] answer) throws IOException {
        req.content().inputStream().readAllBytes();
        requests.increment();
        connections.add(req.socketId());
        sleepNanos(sample(settings.ttft()));
        res.header(HeaderNames.CONTENT_TYPE, "application/json").send(answer);
    }

    /** An embeddings answer for one input: a seeded vector of plausible floats, as OpenAI writes them. */
    private static byte[] embedding(long seed) {
        SplittableRandom values = new SplittableRandom(seed);
        StringBuilder sb = new StringBuilder(EMBEDDING_DIMENSIONS * 12 + 200);
        sb.append("{\"object\":\"list\",\"data\":[{\"object\":\"embedding\",\"index\":0,\"embedding\":[");
        for (int i = 0; i < EMBEDDING_DIMENSIONS; i++) {
            sb.append(i == 0 ? "" : ",").append((float) (values.nextDouble() * 0.2 - 0.1));
        }
        sb.append("]}],\"model\":\"").append(MODEL).append("\",\"usage\":{\"prompt_tokens\":8,\"total_tokens\":8}}");
        return sb.toString().getBytes(StandardCharsets.UTF_8);
    }

    private void stats(ServerRequest req, ServerResponse res) {
        res.header(HeaderNames.CONTENT_TYPE, "application/json")
                .send("{\"requests\":" + requests.sum() + ",\"connections\":" + connections.size()
                              + ",\"streams\":" + streams.sum() + ",\"completed_streams\":"
                              + completedStreams.sum() + ",\"abandoned_streams\":" + abandonedStreams.sum() + "}");
    }

    private long sample(Delay delay) {
        if (delay.sigma() == 0) {
            return delay.medianNanos();
        }
        synchronized (random) {
            return delay.sampleNanos(random);
        }
    }

    private static void sleepNanos(long nanos) {
        if (nanos <= 0) {
            return;
        }
        try {
            Thread.sleep(Duration.ofNanos(nanos));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static byte[] event(String json) {
        return ("data: " + json + "\n\n").getBytes(StandardCharsets.UTF_8);
    }

    /** Just enough JSON for the two flags the fake reacts to, without parsing the whole body. */
    static final class Json {
        private Json() {
        }

        /** Whether {@code "name": true} appears in the body (whitespace around the colon allowed). */
        static boolean flag(byte[] body, String name) {
            byte[] key = ("\"" + name + "\"").getBytes(StandardCharsets.US_ASCII);
            outer:
            for (int i = 0; i + key.length <= body.length; i++) {
                for (int j = 0; j < key.length; j++) {
                    if (body[i + j] != key[j]) {
                        continue outer;
                    }
                }
                int k = skipSpace(body, i + key.length);
                if (k < body.length && body[k] == ':') {
                    k = skipSpace(body, k + 1);
                    return k + 4 <= body.length && body[k] == 't' && body[k + 1] == 'r' && body[k + 2] == 'u'
                            && body[k + 3] == 'e';
                }
            }
            return false;
        }

        private static int skipSpace(byte[] body, int i) {
            while (i < body.length && (body[i] == ' ' || body[i] == '\n' || body[i] == '\r' || body[i] == '\t')) {
                i++;
            }
            return i;
        }
    }

    /** {@code scripts/bench upstream}: runs a fake until stdin closes or {@code --max-seconds} pass. */
    public static void main(String[] args) throws IOException, InterruptedException {
        int port = 0;
        Delay ttft = Delay.NONE;
        Delay gap = Delay.NONE;
        int chunks = 50;
        long seed = 1;
        long maxSeconds = 3600;
        List<String> rest = new ArrayList<>(List.of(args));
        for (int i = 0; i < rest.size(); i++) {
            String arg = rest.get(i);
            String value = i + 1 < rest.size() ? rest.get(i + 1) : null;
            if (value == null) {
                throw new IllegalArgumentException(arg + " needs a value");
            }
            i++;
            switch (arg) {
            case "--port" -> port = Integer.parseInt(value);
            case "--ttft" -> ttft = Delay.parse(value);
            case "--chunk-gap" -> gap = Delay.parse(value);
            case "--chunks" -> chunks = Integer.parseInt(value);
            case "--seed" -> seed = Long.parseLong(value);
            case "--max-seconds" -> maxSeconds = Long.parseLong(value);
            default -> throw new IllegalArgumentException("unknown argument '" + arg + "'");
            }
        }
        FakeUpstream fake = start(new Settings(ttft, gap, chunks, seed), port);
        System.out.println("fake-upstream listening on " + fake.baseUrl() + " (ttft " + ttft + ", chunk gap " + gap
                                   + ", " + chunks + " chunks)");
        System.out.flush();
        Thread watcher = Thread.ofPlatform().daemon().start(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
                while (in.readLine() != null) {
                    // input is ignored; its end is the signal
                }
            } catch (IOException ignored) {
                // a broken stdin means the same as a closed one
            }
        });
        watcher.join(Duration.ofSeconds(maxSeconds));
        fake.close();
        System.exit(0);
    }
}
