package io.hedgerow.fakes;

import io.helidon.webserver.WebServer;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;

/**
 * A small OTLP/HTTP trace receiver: a real Helidon server on a free port answering {@code POST /v1/traces} with
 * {@code application/x-protobuf} bodies, as an OpenTelemetry collector does. It decodes each export
 * ({@code ExportTraceServiceRequest}) with a protobuf wire-format reader of its own (varints, fixed64, length-delimited
 * fields; the OTLP field numbers of {@code opentelemetry/proto/trace/v1/trace.proto}) into {@link Span}s, and keeps
 * every raw body so tests can search them for text that must never be exported.
 */
public final class OtlpReceiver implements AutoCloseable {
    private final List<Span> spans = new CopyOnWriteArrayList<>();
    private final List<byte[]> bodies = new CopyOnWriteArrayList<>();
    private final List<Map<String, String>> headers = new CopyOnWriteArrayList<>();
    private final WebServer server;

    private OtlpReceiver() {
        server = WebServer.builder().host("127.0.0.1").port(0)
                .routing(r -> r.post("/v1/traces", this::receive)).build().start();
    }

    public static OtlpReceiver start() {
        return new OtlpReceiver();
    }

    /** The endpoint to configure: {@code http://127.0.0.1:PORT/v1/traces}. */
    public String endpoint() {
        return "http://127.0.0.1:" + server.port() + "/v1/traces";
    }

    public List<Span> spans() {
        return List.copyOf(spans);
    }

    /** The headers of each export request, lower-case names. */
    public List<Map<String, String>> exportHeaders() {
        return List.copyOf(headers);
    }

    /** Whether any export body holds these bytes (UTF-8), anywhere. */
    public boolean anyBodyContains(String text) {
        byte[] needle = text.getBytes(StandardCharsets.UTF_8);
        for (byte[] body : bodies) {
            outer:
            for (int i = 0; i + needle.length <= body.length; i++) {
                for (int j = 0; j < needle.length; j++) {
                    if (body[i + j] != needle[j]) {
                        continue outer;
                    }
                }
                return true;
            }
        }
        return false;
    }

    /** Waits (polling, bounded) until the spans received satisfy the condition; returns them. */
    public List<Span> await(Predicate<List<Span>> condition, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.test(spans()) && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        return spans();
    }

    @Override
    public void close() {
        server.stop();
    }

    private void receive(ServerRequest req, ServerResponse res) {
        byte[] body = req.content().as(byte[].class);
        Map<String, String> h = new LinkedHashMap<>();
        req.headers().forEach(x -> h.put(x.name().toLowerCase(java.util.Locale.ROOT), x.get()));
        headers.add(h);
        bodies.add(body);
        try {
            for (Field resourceSpans : fields(body)) {
                if (resourceSpans.number == 1) {
                    for (Field scopeSpans : fields(resourceSpans.bytes)) {
                        if (scopeSpans.number == 2) {
                            for (Field span : fields(scopeSpans.bytes)) {
                                if (span.number == 2) {
                                    spans.add(Span.decode(span.bytes));
                                }
                            }
                        }
                    }
                }
            }
            res.header("Content-Type", "application/x-protobuf").send(new byte[0]);
        } catch (RuntimeException e) {
            res.status(400).send("cannot decode: " + e);
        }
    }

    /** One span as exported. Ids are lower-case hex; the parent id is empty for a root span. */
    public record Span(String traceId, String spanId, String parentSpanId, String traceState, String name, int kind,
                       long startNanos, long endNanos, Map<String, Object> attributes, List<Event> events,
                       int statusCode, String statusMessage) {
        /** OTLP's SpanKind: 2 server, 3 client. */
        public static final int SERVER = 2;
        public static final int CLIENT = 3;

        public Optional<Object> attribute(String key) {
            return Optional.ofNullable(attributes.get(key));
        }

        public boolean hasEvent(String name) {
            return events.stream().anyMatch(e -> e.name().equals(name));
        }

        static Span decode(byte[] bytes) {
            String traceId = "";
            String spanId = "";
            String parent = "";
            String state = "";
            String name = "";
            int kind = 0;
            long start = 0;
            long end = 0;
            Map<String, Object> attributes = new LinkedHashMap<>();
            List<Event> events = new ArrayList<>();
            int code = 0;
            String message = "";
            for (Field f : fields(bytes)) {
                switch (f.number) {
                case 1 -> traceId = HexFormat.of().formatHex(f.bytes);
                case 2 -> spanId = HexFormat.of().formatHex(f.bytes);
                case 3 -> state = f.text();
                case 4 -> parent = HexFormat.of().formatHex(f.bytes);
                case 5 -> name = f.text();
                case 6 -> kind = (int) f.varint;
                case 7 -> start = f.varint;
                case 8 -> end = f.varint;
                case 9 -> keyValue(f.bytes, attributes);
                case 11 -> events.add(Event.decode(f.bytes));
                case 15 -> {
                    for (Field s : fields(f.bytes)) {
                        if (s.number == 2) {
                            message = s.text();
                        } else if (s.number == 3) {
                            code = (int) s.varint;
                        }
                    }
                }
                default -> {
                    // dropped counts, links, flags: not needed here
                }
                }
            }
            return new Span(traceId, spanId, parent, state, name, kind, start, end, attributes, events, code, message);
        }
    }

    /** A span event with its attributes. */
    public record Event(String name, Map<String, Object> attributes) {
        static Event decode(byte[] bytes) {
            String name = "";
            Map<String, Object> attributes = new LinkedHashMap<>();
            for (Field f : fields(bytes)) {
                if (f.number == 2) {
                    name = f.text();
                } else if (f.number == 3) {
                    keyValue(f.bytes, attributes);
                }
            }
            return new Event(name, attributes);
        }
    }

    /** A KeyValue: {@code key} (1) and an AnyValue (2) of string (1), bool (2), int (3), double (4) or array (5). */
    private static void keyValue(byte[] bytes, Map<String, Object> into) {
        String key = "";
        Object value = null;
        for (Field f : fields(bytes)) {
            if (f.number == 1) {
                key = f.text();
            } else if (f.number == 2) {
                value = anyValue(f.bytes);
            }
        }
        into.put(key, value);
    }

    private static Object anyValue(byte[] bytes) {
        for (Field f : fields(bytes)) {
            switch (f.number) {
            case 1 -> {
                return f.text();
            }
            case 2 -> {
                return f.varint != 0;
            }
            case 3 -> {
                return f.varint;
            }
            case 4 -> {
                return Double.longBitsToDouble(f.varint);
            }
            case 5 -> {
                List<Object> values = new ArrayList<>();
                for (Field v : fields(f.bytes)) {
                    if (v.number == 1) {
                        values.add(anyValue(v.bytes));
                    }
                }
                return values;
            }
            default -> {
                // kvlist and bytes values are not used by the router
            }
            }
        }
        return "";
    }

    /** One protobuf field: its number and either a varint/fixed value or the bytes of a length-delimited one. */
    private record Field(int number, long varint, byte[] bytes) {
        String text() {
            return new String(bytes, StandardCharsets.UTF_8);
        }
    }

    private static List<Field> fields(byte[] bytes) {
        List<Field> out = new ArrayList<>();
        ByteBuffer in = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        while (in.hasRemaining()) {
            long tag = varint(in);
            int number = (int) (tag >>> 3);
            switch ((int) (tag & 7)) {
            case 0 -> out.add(new Field(number, varint(in), new byte[0]));
            case 1 -> out.add(new Field(number, in.getLong(), new byte[0]));
            case 2 -> {
                byte[] value = new byte[(int) varint(in)];
                in.get(value);
                out.add(new Field(number, 0, value));
            }
            case 5 -> out.add(new Field(number, in.getInt() & 0xffffffffL, new byte[0]));
            default -> throw new IllegalArgumentException("unsupported wire type in tag " + tag);
            }
        }
        return out;
    }

    private static long varint(ByteBuffer in) {
        long value = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            byte b = in.get();
            value |= (long) (b & 0x7f) << shift;
            if (b >= 0) {
                return value;
            }
        }
        throw new IllegalArgumentException("varint too long");
    }
}
