package io.hedgerow.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.HdrHistogram.ConcurrentHistogram;
import org.HdrHistogram.Histogram;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingDeque;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;

/**
 * The soak's clients: open-loop requests (request {@code i} is due at {@code start + i / rate}) across the routes,
 * streamed and not, over kept-alive connections, some of which hang up on purpose (before the answer, or after a
 * few events of a stream, with a FIN or a reset). Each request asks for {@code soak ID N} and so knows its exact
 * answer ({@link ChaosUpstream#answer}); each outcome is classified strictly:
 * <ul>
 *     <li>{@code ok}: a 200 JSON answer whose text is exactly the expected one;</li>
 *     <li>{@code ok_stream}: a 200 stream of well-formed events ending in {@code [DONE]}, with a finish reason, no
 *     error event, and exactly the expected text;</li>
 *     <li>{@code stream_error}: a 200 stream whose last event is an error, with no {@code [DONE]}, and whose text
 *     so far is a prefix of the expected one;</li>
 *     <li>{@code status_NNN}: an error status with an OpenAI-style error body;</li>
 *     <li>{@code abandoned}: this client hung up on purpose;</li>
 *     <li>anything else is an <em>anomaly</em>: a truncated body, a success with the wrong (e.g. truncated) text,
 *     {@code [DONE]} after an error, a malformed event or body, no answer at all, a timeout.</li>
 * </ul>
 */
final class SoakClient {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int READ_TIMEOUT_MILLIS = 30_000;
    /**
     * A kept-alive connection idle longer than this is not reused: the router closes idle connections (after its
     * idle-timeout, 60 s by default), and a request written just as it does so would get no answer. Well-behaved
     * clients keep their idle limit under the server's; so does this one.
     */
    private static final long MAX_IDLE_NANOS = Duration.ofSeconds(20).toNanos();

    /** What to send: routes (with weights), how often to stream and to hang up, and the answer sizes. */
    record Mix(Map<String, Double> routes, double streamShare, double hangUpShare, int minPieces, int maxPieces) {
    }

    /** What a run saw. */
    static final class Tally {
        final Map<String, LongAdder> outcomes = new ConcurrentHashMap<>();
        final List<String> anomalies = Collections.synchronizedList(new ArrayList<>());
        final LongAdder anomalyCount = new LongAdder();
        final Histogram okLatency = new ConcurrentHistogram(3);
        final AtomicLong sent = new AtomicLong();
        long scheduled;
        long unfinished;
        double seconds;

        void count(String outcome) {
            outcomes.computeIfAbsent(outcome, k -> new LongAdder()).increment();
        }

        void anomaly(Request r, String what) {
            count("anomaly_" + what.split(":")[0]);
            anomalyCount.increment();
            if (anomalies.size() < 20) {
                anomalies.add("#" + r.id + " " + r.route + (r.stream ? " stream" : "") + ": " + what);
            }
        }

        Map<String, Long> snapshot() {
            Map<String, Long> copy = new TreeMap<>();
            outcomes.forEach((k, v) -> copy.put(k, v.sum()));
            return copy;
        }
    }

    /** One request's plan. */
    record Request(long id, String route, boolean stream, int pieces, int hangUpAfterEvents, long hangUpAfterMillis,
                   boolean reset) {
        String expected() {
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < pieces; i++) {
                sb.append(id).append(':').append(i).append(' ');
            }
            return sb.toString();
        }

        boolean hangsUp() {
            return hangUpAfterEvents >= 0 || hangUpAfterMillis >= 0;
        }
    }

    private final InetSocketAddress router;
    private final Mix mix;
    private final SplittableRandom random;
    private final LinkedBlockingDeque<Connection> idle = new LinkedBlockingDeque<>();
    private final Map<String, String> headers;

    /**
     * @param headers extra request headers, e.g. a client key
     */
    SoakClient(InetSocketAddress router, Mix mix, long seed, Map<String, String> headers) {
        this.router = router;
        this.mix = mix;
        this.random = new SplittableRandom(seed);
        this.headers = Map.copyOf(headers);
    }

    /** Sends {@code rate} requests a second for {@code duration}, then waits up to {@code grace} for the last. */
    Tally run(double rate, Duration duration, Duration grace) throws InterruptedException {
        Tally tally = new Tally();
        long count = Math.max(1, Math.round(rate * duration.toNanos() / 1e9));
        tally.scheduled = count;
        double period = 1e9 / rate;
        LongAdder finished = new LongAdder();
        long start = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(5);
        for (long i = 0; i < count; i++) {
            long due = start + (long) (i * period);
            long wait;
            while ((wait = due - System.nanoTime()) > 0) {
                LockSupport.parkNanos(wait);
            }
            Request request = plan(i);
            Thread.ofVirtual().start(() -> {
                try {
                    send(request, tally);
                } finally {
                    finished.increment();
                }
            });
        }
        long deadline = System.nanoTime() + grace.toNanos();
        while (finished.sum() < count && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        tally.unfinished = count - finished.sum();
        tally.seconds = (System.nanoTime() - start) / 1e9;
        closeIdle();
        return tally;
    }

    private synchronized Request plan(long id) {
        String route = pick(mix.routes());
        boolean stream = random.nextDouble() < mix.streamShare();
        int pieces = mix.minPieces() + random.nextInt(mix.maxPieces() - mix.minPieces() + 1);
        int afterEvents = -1;
        long afterMillis = -1;
        if (random.nextDouble() < mix.hangUpShare()) {
            if (stream && random.nextBoolean()) {
                afterEvents = 1 + random.nextInt(4);
            } else {
                afterMillis = random.nextInt(1500);
            }
        }
        return new Request(id, route, stream, pieces, afterEvents, afterMillis, random.nextBoolean());
    }

    private String pick(Map<String, Double> weights) {
        double total = weights.values().stream().mapToDouble(Double::doubleValue).sum();
        double x = random.nextDouble() * total;
        for (Map.Entry<String, Double> e : weights.entrySet()) {
            x -= e.getValue();
            if (x < 0) {
                return e.getKey();
            }
        }
        return weights.keySet().iterator().next();
    }

    void closeIdle() {
        Connection c;
        while ((c = idle.poll()) != null) {
            c.close(false);
        }
    }

    private void send(Request r, Tally tally) {
        long started = System.nanoTime();
        Connection c = null;
        try {
            c = r.hangsUp() ? Connection.open(router) : acquire();
            c.write(requestBytes(r));
            tally.sent.incrementAndGet();
            if (r.hangUpAfterMillis() >= 0) {
                Thread.sleep(r.hangUpAfterMillis());
                c.close(r.reset());
                c = null;
                tally.count("abandoned");
                return;
            }
            Outcome outcome = c.exchange(r);
            if (outcome.hungUp) {
                c.close(r.reset());
                c = null;
                tally.count("abandoned");
                return;
            }
            String verdict = judge(r, outcome);
            if (verdict.startsWith("anomaly:")) {
                tally.anomaly(r, verdict.substring(8));
            } else {
                tally.count(verdict);
                if (verdict.startsWith("ok")) {
                    tally.okLatency.recordValue(System.nanoTime() - started);
                }
            }
            if (outcome.reusable) {
                c.lastUsed = System.nanoTime();
                idle.offerFirst(c);
                c = null;
            }
        } catch (SocketTimeoutException e) {
            tally.anomaly(r, "timeout: no complete answer within " + READ_TIMEOUT_MILLIS + " ms");
        } catch (EOFException e) {
            tally.anomaly(r, "truncated: " + e.getMessage());
        } catch (IOException e) {
            tally.anomaly(r, "io: " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            tally.anomaly(r, "malformed: " + e);
        } finally {
            if (c != null) {
                c.close(false);
            }
        }
    }

    private Connection acquire() throws IOException {
        Connection c;
        while ((c = idle.pollFirst()) != null) {
            if (System.nanoTime() - c.lastUsed < MAX_IDLE_NANOS) {
                return c;
            }
            c.close(false);
        }
        return Connection.open(router);
    }

    private byte[] requestBytes(Request r) {
        String body = "{\"model\":\"" + r.route() + "\",\"messages\":[{\"role\":\"user\",\"content\":\"soak " + r.id()
                + " " + r.pieces() + "\"}]" + (r.stream() ? ",\"stream\":true" : "") + "}";
        byte[] json = body.getBytes(StandardCharsets.UTF_8);
        StringBuilder head = new StringBuilder("POST /v1/chat/completions HTTP/1.1\r\nHost: ")
                .append(router.getHostString()).append(':').append(router.getPort())
                .append("\r\nContent-Type: application/json\r\nx-request-id: soak-").append(r.id())
                .append("\r\nContent-Length: ").append(json.length).append("\r\n");
        headers.forEach((k, v) -> head.append(k).append(": ").append(v).append("\r\n"));
        head.append("\r\n");
        byte[] h = head.toString().getBytes(StandardCharsets.US_ASCII);
        byte[] all = new byte[h.length + json.length];
        System.arraycopy(h, 0, all, 0, h.length);
        System.arraycopy(json, 0, all, h.length, json.length);
        return all;
    }

    /** The verdict on a complete exchange: an outcome name, or {@code anomaly:what}. */
    static String judge(Request r, Outcome o) {
        if (o.status != 200) {
            try {
                JsonNode error = JSON.readTree(o.body).get("error");
                if (error == null || !error.path("message").isTextual() || !error.path("type").isTextual()
                        || !error.has("code")) {
                    return "anomaly:malformed_error: " + o.status + " " + o.body;
                }
                return "status_" + o.status;
            } catch (IOException e) {
                return "anomaly:malformed_error: " + o.status + " " + o.body;
            }
        }
        String expected = r.expected();
        if (!o.eventStream) {
            if (r.stream()) {
                return "anomaly:not_a_stream: " + o.body;
            }
            try {
                JsonNode answer = JSON.readTree(o.body);
                String text = answer.at("/choices/0/message/content").asText(null);
                if (!expected.equals(text)) {
                    return "anomaly:wrong_text: got '" + text + "'";
                }
                if (!answer.at("/choices/0/finish_reason").isTextual()) {
                    return "anomaly:no_finish_reason";
                }
                return "ok";
            } catch (IOException e) {
                return "anomaly:malformed_body: " + o.body;
            }
        }
        StringBuilder text = new StringBuilder();
        boolean done = false;
        boolean error = false;
        boolean finish = false;
        for (String data : o.events) {
            if (done || error) {
                return "anomaly:event_after_end: " + data;
            }
            if (data.equals("[DONE]")) {
                done = true;
                continue;
            }
            JsonNode event;
            try {
                event = JSON.readTree(data);
            } catch (IOException e) {
                return "anomaly:malformed_event: " + data;
            }
            if (event.has("error")) {
                if (!event.path("error").path("message").isTextual() || !event.path("error").has("code")) {
                    return "anomaly:malformed_error_event: " + data;
                }
                error = true;
                continue;
            }
            JsonNode choice = event.path("choices").path(0);
            JsonNode content = choice.path("delta").path("content");
            if (content.isTextual()) {
                text.append(content.asText());
            }
            if (choice.path("finish_reason").isTextual()) {
                finish = true;
            }
        }
        if (done) {
            if (!finish) {
                return "anomaly:done_without_finish_reason";
            }
            if (!expected.contentEquals(text)) {
                return "anomaly:wrong_text: [DONE] after '" + text + "', expected '" + expected + "'";
            }
            return "ok_stream";
        }
        if (error) {
            if (!inSequence(r.id(), text.toString())) {
                return "anomaly:garbage_before_error: '" + text + "'";
            }
            return "stream_error";
        }
        return "anomaly:stream_without_end: " + o.events.size() + " events";
    }

    /**
     * Whether a broken stream's text is some first pieces of the request's sequence {@code ID:0 ID:1 ...} (more than
     * N when the upstream never stopped): nothing foreign, nothing skipped, nothing repeated.
     */
    static boolean inSequence(long id, String text) {
        if (text.isEmpty()) {
            return true;
        }
        if (!text.endsWith(" ")) {
            return false;
        }
        String[] tokens = text.substring(0, text.length() - 1).split(" ", -1);
        for (int i = 0; i < tokens.length; i++) {
            if (!tokens[i].equals(id + ":" + i)) {
                return false;
            }
        }
        return true;
    }

    /** A response as read. */
    static final class Outcome {
        int status;
        boolean eventStream;
        boolean reusable;
        boolean hungUp;
        String body = "";
        final List<String> events = new ArrayList<>();
    }

    /** One kept-alive connection, read by hand. */
    static final class Connection {
        private final Socket socket;
        private final InputStream in;
        private final OutputStream out;
        private volatile long lastUsed = System.nanoTime();

        private Connection(Socket socket) throws IOException {
            this.socket = socket;
            this.in = new BufferedInputStream(socket.getInputStream(), 16 * 1024);
            this.out = socket.getOutputStream();
        }

        static Connection open(InetSocketAddress address) throws IOException {
            Socket socket = new Socket();
            try {
                socket.setTcpNoDelay(true);
                socket.setSoTimeout(READ_TIMEOUT_MILLIS);
                socket.connect(address, 5_000);
                return new Connection(socket);
            } catch (IOException e) {
                socket.close();
                throw e;
            }
        }

        void write(byte[] bytes) throws IOException {
            out.write(bytes);
            out.flush();
        }

        /** Reads one response; for a stream with a planned hang-up, stops after that many data events. */
        Outcome exchange(Request r) throws IOException {
            Outcome o = new Outcome();
            String status = line();
            if (status == null) {
                throw new IOException("no response: the connection closed before a status line");
            }
            if (!status.startsWith("HTTP/1.1 ")) {
                throw new IOException("not an HTTP/1.1 status line: " + status);
            }
            o.status = Integer.parseInt(status.substring(9, 12));
            long length = -1;
            boolean chunked = false;
            boolean close = false;
            String h;
            while ((h = line()) != null && !h.isEmpty()) {
                int colon = h.indexOf(':');
                String name = h.substring(0, colon).trim().toLowerCase(Locale.ROOT);
                String value = h.substring(colon + 1).trim();
                switch (name) {
                case "content-length" -> length = Long.parseLong(value);
                case "transfer-encoding" -> chunked = value.toLowerCase(Locale.ROOT).contains("chunked");
                case "connection" -> close = value.equalsIgnoreCase("close");
                case "content-type" -> o.eventStream = value.startsWith("text/event-stream");
                default -> {
                }
                }
            }
            if (h == null) {
                throw new EOFException("the connection closed in the headers");
            }
            SseSplitter sse = new SseSplitter(o.events);
            ByteArrayOutputStream body = new ByteArrayOutputStream();
            int stopAfter = o.eventStream ? r.hangUpAfterEvents() : -1;
            if (chunked) {
                while (true) {
                    String size = line();
                    if (size == null) {
                        throw new EOFException("the body ended without its last chunk (" + o.events.size()
                                                       + " events read)");
                    }
                    int n = Integer.parseInt(size.split(";")[0].trim(), 16);
                    if (n == 0) {
                        while ((h = line()) != null && !h.isEmpty()) {
                            // trailers: none expected
                        }
                        break;
                    }
                    byte[] chunk = in.readNBytes(n);
                    if (chunk.length < n) {
                        throw new EOFException("a chunk was cut short");
                    }
                    line();
                    body.write(chunk);
                    if (o.eventStream) {
                        sse.accept(chunk);
                        if (stopAfter >= 0 && o.events.size() >= stopAfter) {
                            o.hungUp = true;
                            return o;
                        }
                    }
                }
            } else if (length >= 0) {
                byte[] all = in.readNBytes((int) length);
                if (all.length < length) {
                    throw new EOFException("the body ended after " + all.length + " of " + length + " bytes");
                }
                body.write(all);
                sse.accept(all);
            } else {
                body.write(in.readAllBytes());
                close = true;
                sse.accept(body.toByteArray());
            }
            sse.finish();
            o.body = body.toString(StandardCharsets.UTF_8);
            o.reusable = !close;
            return o;
        }

        private String line() throws IOException {
            ByteArrayOutputStream line = new ByteArrayOutputStream(64);
            int b;
            while ((b = in.read()) >= 0) {
                if (b == '\n') {
                    byte[] bytes = line.toByteArray();
                    int n = bytes.length > 0 && bytes[bytes.length - 1] == '\r' ? bytes.length - 1 : bytes.length;
                    return new String(bytes, 0, n, StandardCharsets.UTF_8);
                }
                line.write(b);
            }
            return null;
        }

        void close(boolean reset) {
            try {
                if (reset) {
                    socket.setSoLinger(true, 0);
                }
                socket.close();
            } catch (IOException ignored) {
                // closing is all we wanted
            }
        }
    }

    /** Splits an SSE body into its events' data, as bytes arrive. */
    static final class SseSplitter {
        private final List<String> events;
        private final StringBuilder pending = new StringBuilder();

        SseSplitter(List<String> events) {
            this.events = events;
        }

        void accept(byte[] bytes) {
            pending.append(new String(bytes, StandardCharsets.UTF_8));
            int end;
            while ((end = pending.indexOf("\n\n")) >= 0) {
                dispatch(pending.substring(0, end));
                pending.delete(0, end + 2);
            }
        }

        void finish() {
            if (!pending.toString().isBlank()) {
                dispatch(pending.toString());
            }
            pending.setLength(0);
        }

        private void dispatch(String event) {
            StringBuilder data = null;
            for (String line : event.split("\n")) {
                if (line.startsWith("data:")) {
                    String value = line.substring(line.startsWith("data: ") ? 6 : 5);
                    data = data == null ? new StringBuilder(value) : data.append('\n').append(value);
                }
            }
            if (data != null) {
                events.add(data.toString());
            }
        }
    }
}
