package io.hedgerow.api;

import com.fasterxml.jackson.databind.JsonNode;
import io.hedgerow.HedgerowServer;
import io.hedgerow.config.ClientAccess;
import io.hedgerow.config.ClientKey;
import io.hedgerow.config.ServerLimits;
import io.hedgerow.fakes.FakeOpenAi;
import io.hedgerow.testing.LogCapture;
import io.hedgerow.testing.RawClient;
import io.hedgerow.testing.RawSocket;
import io.hedgerow.testing.TestConfig;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.is;

/**
 * A client that speaks broken or hostile HTTP/1.1 on a raw socket, against a router with client keys and an admin
 * key: each request gets exactly one answer (or a clean close), an answer that ends the connection really ends it,
 * bytes that were a refused request's body are never read as a request, framing the router cannot trust is a 400
 * in the OpenAI error shape on a closed connection, nothing reaches the upstream, and no client bytes reach the log.
 * {@link RouterCheckup} then proves the router still serves and still polices its clients.
 */
class HostileClientEndToEndTest {
    static final String KEY = "hr-hostile-0123456789abcdef";
    static final String ADMIN = "hr-admin-0123456789abcdef";
    static final String MARK = "SMUGGLED-7f3a";
    static final String CHAT = "{\"model\":\"chat\",\"messages\":[{\"role\":\"user\",\"content\":\"" + MARK + "\"}]}";
    static final long MAX_BODY = 8L * 1024 * 1024;
    // The read timeout bounds the tests that wait for it; it is long enough that a loaded machine still delivers an
    // 8 MiB body on loopback within it (at 800 ms one did not, and the router rightly cut the "slow" client). The idle
    // timeout is far longer than any test waits, so a connection seen closed was closed for a reason of its own.
    static final ServerLimits LIMITS = new ServerLimits(8, 64, 8192, Duration.ofSeconds(3), Duration.ofSeconds(3),
                                                        Duration.ofSeconds(30), Duration.ofSeconds(2));
    private static final Duration ANSWERED = Duration.ofSeconds(10);

    private static FakeOpenAi upstream;
    private HedgerowServer router;

    @BeforeAll
    static void startUpstream() {
        upstream = FakeOpenAi.start();
    }

    @AfterAll
    static void stopUpstream() {
        upstream.close();
    }

    @BeforeEach
    void start() {
        upstream.reset();
        router = HedgerowServer.start(config());
    }

    static io.hedgerow.config.HedgerowConfig config() {
        return TestConfig.builder()
                .limits(LIMITS)
                .maxBodyBytes(MAX_BODY)
                .access(new ClientAccess(List.of(new ClientKey("hostile", ClientKeys.hash(KEY), Optional.empty())),
                                         false))
                .adminKey(ADMIN)
                .openAi("up", upstream.baseUrl(), p -> p.total(Duration.ofSeconds(2)).idle(Duration.ofSeconds(1)))
                .route("chat", "up/m1")
                .build();
    }

    @AfterEach
    void stop() {
        router.close();
    }

    /** A chat request with a valid key: what a smuggler would like the router to run. */
    static String smuggledChat() {
        return "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + KEY + "\r\n"
                + "Content-Type: application/json\r\nContent-Length: " + CHAT.length() + "\r\n\r\n" + CHAT;
    }

    /** An admin reload with the admin key. */
    static String smuggledReload() {
        return "POST /admin/reload HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + ADMIN + "\r\n"
                + "Content-Length: 0\r\n\r\n";
    }

    private RawSocket.Transcript exchange(String bytes) {
        try (RawSocket socket = RawSocket.connect(router.port())) {
            socket.send(bytes.getBytes(StandardCharsets.ISO_8859_1));
            return socket.readUntilClosed(ANSWERED);
        }
    }

    /** Sends one request and reads its answer (the connection may stay open). */
    private RawSocket.Response answer(String bytes) {
        try (RawSocket socket = RawSocket.connect(router.port())) {
            socket.send(bytes.getBytes(StandardCharsets.ISO_8859_1));
            return socket.read();
        }
    }

    private static void assertOneAnswerThenClosed(RawSocket.Transcript t, int status) {
        assertThat(t.raw(), t.statuses(), is(List.of(status)));
        assertThat("the router closed the connection:\n" + t.raw(), t.closed(), is(true));
        JsonNode error = RawClient.json(t.responses().getFirst().body()).path("error");
        assertThat(t.raw(), error.path("type").isTextual() && error.path("code").isTextual()
                && error.path("message").isTextual(), is(true));
    }

    // ---- 1. a refused request's body is never read as the next request

    @ParameterizedTest
    @ValueSource(strings = {"close", "Close", "CLOSE", "keep-alive, close"})
    void aRefusalWithoutAKeyClosesAndNeverRunsItsBody(String connection) {
        String body = smuggledReload() + smuggledChat();
        RawSocket.Transcript t = exchange("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nConnection: " + connection
                                                  + "\r\nContent-Type: application/json\r\nContent-Length: "
                                                  + body.length() + "\r\n\r\n" + body);

        assertOneAnswerThenClosed(t, 401);
        assertThat(upstream.requestCount(), is(0));
    }

    @ParameterizedTest
    @ValueSource(strings = {"close", "Close"})
    void aRefusedContentTypeClosesAndNeverRunsItsBody(String connection) {
        String body = smuggledChat();
        RawSocket.Transcript t = exchange("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
                                                  + KEY + "\r\nConnection: " + connection
                                                  + "\r\nContent-Type: text/plain\r\nContent-Length: "
                                                  + body.length() + "\r\n\r\n" + body);

        assertOneAnswerThenClosed(t, 415);
        assertThat(upstream.requestCount(), is(0));
    }

    @ParameterizedTest
    @ValueSource(strings = {"close", "keep-alive"})
    void aBodyOverTheLimitIsRefusedAndTheConnectionClosedWhateverTheClientAsked(String connection) {
        // Declared over max-body-size: the rest of what arrives is never read as a request.
        RawSocket.Transcript t = exchange("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
                                                  + KEY + "\r\nConnection: " + connection
                                                  + "\r\nContent-Type: application/json\r\nContent-Length: "
                                                  + (MAX_BODY + 1) + "\r\n\r\n" + smuggledChat());

        assertOneAnswerThenClosed(t, 413);
        assertThat(upstream.requestCount(), is(0));
    }

    @Test
    void aRefusalOnAKeptAliveConnectionSkipsItsBodyAndServesTheNextRequest() {
        String body = smuggledChat();
        try (RawSocket socket = RawSocket.connect(router.port())) {
            socket.send("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                                + "Content-Length: " + body.length() + "\r\n\r\n" + body
                                + "GET /v1/models HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + KEY
                                + "\r\nConnection: close\r\n\r\n");
            RawSocket.Transcript t = socket.readUntilClosed(ANSWERED);

            assertThat(t.raw(), t.statuses(), is(List.of(401, 200)));
            assertThat(t.closed(), is(true));
        }
        assertThat(upstream.requestCount(), is(0));
    }

    @Test
    void connectionCloseOnAnAnsweredRequestEndsTheConnectionAtOnce() {
        upstream.otherwise(FakeOpenAi.Reply.text("fine"));
        try (RawSocket socket = RawSocket.connect(router.port())) {
            socket.send("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + KEY
                                + "\r\nConnection: Close\r\nContent-Type: application/json\r\nContent-Length: "
                                + CHAT.length() + "\r\n\r\n" + CHAT + "GET /v1/models HTTP/1.1\r\nHost: x\r\n"
                                + "Authorization: Bearer " + KEY + "\r\n\r\n");
            long started = System.nanoTime();
            RawSocket.Transcript t = socket.readUntilClosed(ANSWERED);

            assertThat(t.raw(), t.statuses(), is(List.of(200)));
            assertThat(t.closed(), is(true));
            // Closed with the answer, not after the idle timeout (30 s).
            assertThat((System.nanoTime() - started) / 1_000_000 < 10_000, is(true));
        }
        assertThat(upstream.requestCount(), is(1));
    }

    @Test
    void anUnknownPathWithConnectionCloseIsAnsweredOnceAndClosed() {
        RawSocket.Transcript t = exchange("POST /nowhere HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                                                  + "Content-Length: " + smuggledChat().length() + "\r\n\r\n"
                                                  + smuggledChat());

        assertThat(t.raw(), t.statuses(), is(List.of(404)));
        assertThat(t.closed(), is(true));
        assertThat(upstream.requestCount(), is(0));
    }

    // ---- 2. ambiguous framing: refused, closed, never a second request from the same bytes

    @Test
    void contentLengthWithTransferEncodingIsRefused() {
        String chunk = Integer.toHexString(smuggledChat().length()) + "\r\n" + smuggledChat() + "\r\n0\r\n\r\n";
        assertOneAnswerThenClosed(exchange(head("Content-Length: 4\r\nTransfer-Encoding: chunked\r\n") + chunk), 400);
        assertThat(upstream.requestCount(), is(0));
    }

    @Test
    void conflictingContentLengthsAreRefused() {
        assertOneAnswerThenClosed(exchange(head("Content-Length: 0\r\nContent-Length: " + smuggledChat().length()
                                                        + "\r\n") + smuggledChat()), 400);
        assertOneAnswerThenClosed(exchange(head("Content-Length: 0, " + smuggledChat().length() + "\r\n")
                                                   + smuggledChat()), 400);
        assertThat(upstream.requestCount(), is(0));
    }

    @ParameterizedTest
    @ValueSource(strings = {"xchunked", "gzip, chunked", "chunked, identity", "identity", "chunked\r\nTransfer-Encoding: chunked",
                            "chunked;q=1"})
    void oddTransferEncodingsAreRefused(String encoding) {
        String chunk = Integer.toHexString(smuggledChat().length()) + "\r\n" + smuggledChat() + "\r\n0\r\n\r\n";
        assertOneAnswerThenClosed(exchange(head("Transfer-Encoding: " + encoding + "\r\n") + chunk), 400);
        assertThat(upstream.requestCount(), is(0));
    }

    // ---- 5. framing errors: a 400 in our shape, a closed connection, nothing of the body in the log

    @ParameterizedTest
    @ValueSource(strings = {"zz", "ffffffffffffffffff", "-1", "45;foo=bar", "5", "  "})
    void aBadChunkIsA400AndNothingOfTheBodyIsLogged(String size) {
        String chunkSize = size.equals("45;foo=bar") ? Integer.toHexString(CHAT.length()) + ";foo=bar" : size;
        try (LogCapture logs = LogCapture.start()) {
            RawSocket.Transcript t = exchange(head("Transfer-Encoding: chunked\r\n") + chunkSize + "\r\n" + CHAT
                                                      + "\r\n0\r\n\r\n" + smuggledChat());

            assertOneAnswerThenClosed(t, 400);
            assertThat(logs.containing(MARK), is(empty()));
            assertThat(logs.containing("SEVERE"), is(empty()));
        }
        assertThat(upstream.requestCount(), is(0));
    }

    @ParameterizedTest
    @ValueSource(strings = {"-1", "-100", "+10", "0x10", "1 0", "", "99999999999999999999999"})
    void aBadContentLengthIsA400(String length) {
        try (LogCapture logs = LogCapture.start()) {
            RawSocket.Transcript t = exchange(head("Content-Length: " + length + "\r\n") + CHAT + smuggledChat());

            assertOneAnswerThenClosed(t, 400);
            assertThat(logs.containing(MARK), is(empty()));
        }
        assertThat(upstream.requestCount(), is(0));
    }

    @Test
    void aChunkedBodyThatEndsWithoutItsLastChunkIsNeitherServedNorLogged() {
        try (LogCapture logs = LogCapture.start(); RawSocket socket = RawSocket.connect(router.port())) {
            socket.send(head("Transfer-Encoding: chunked\r\n") + Integer.toHexString(CHAT.length()) + "\r\n" + CHAT
                                + "\r\n");
            // ... and nothing more: the read timeout ends it, with no answer or one 400.
            RawSocket.Transcript t = socket.readUntilClosed(ANSWERED);

            assertThat(t.raw(), t.closed(), is(true));
            assertThat(t.raw(), t.statuses().stream().allMatch(s -> s == 400) && t.statuses().size() <= 1, is(true));
            assertThat(logs.containing(MARK), is(empty()));
        }
        assertThat(upstream.requestCount(), is(0));
    }

    // ---- a refusal that ends the connection while the client is still sending: its answer must not be lost

    @ParameterizedTest
    @ValueSource(strings = {"a broken chunk", "a chunked body over the limit"})
    void aConnectionClosedOnARefusalIsDrainedFirstSoItsAnswerIsNotLostToAReset(String kind) {
        // Closed with bytes unread, a socket sends a reset, not a FIN: a client still writing its body then fails
        // with "connection reset" (or sees no answer at all) instead of reading its 400 or 413.
        byte[] rest = "x".repeat(256 * 1024).getBytes(StandardCharsets.ISO_8859_1);
        int status;
        byte[] sent;
        if (kind.equals("a broken chunk")) {
            status = 400;
            sent = concat(head("Transfer-Encoding: chunked\r\n") + "zz\r\n", rest);
        } else {
            // Chunks of 64 KiB past the limit, and no last chunk: the client is still sending when it is refused.
            status = 413;
            String chunk = Integer.toHexString(64 * 1024) + "\r\n" + " ".repeat(64 * 1024) + "\r\n";
            sent = concat(head("Transfer-Encoding: chunked\r\n")
                                  + chunk.repeat((int) (MAX_BODY / (64 * 1024)) + 4), new byte[0]);
        }
        try (RawSocket socket = RawSocket.connect(router.port())) {
            socket.send(sent);
            RawSocket.Transcript t = socket.readUntilClosed(ANSWERED);

            assertThat(t.raw(), t.statuses(), is(List.of(status)));
            assertThat("closed with a FIN after the answer, not a reset", t.closed() && !t.reset(), is(true));
        }
        assertThat(upstream.requestCount(), is(0));
    }

    private static byte[] concat(String head, byte[] rest) {
        byte[] h = head.getBytes(StandardCharsets.ISO_8859_1);
        byte[] all = java.util.Arrays.copyOf(h, h.length + rest.length);
        System.arraycopy(rest, 0, all, h.length, rest.length);
        return all;
    }

    // ---- 2. bodies that would cost the heap: refused before a tree is built

    @Test
    void pathologicalBodiesAreRefusedBeforeTheyCostAnything() {
        for (String element : List.of("{}", "[]", "0", "\"\"")) {
            StringBuilder body = new StringBuilder("{\"model\":\"chat\",\"messages\":[");
            for (int i = 0; body.length() < MAX_BODY - 64; i++) {
                body.append(i == 0 ? "" : ",").append(element);
            }
            String json = body.append("]}").toString();
            RawSocket.Response r = answer(head("Content-Length: " + json.length() + "\r\n") + json);

            assertThat(r.body(), r.status(), is(400));
            assertThat(RawClient.json(r.body()).at("/error/code").asText(), is("request_too_complex"));
        }
        String deep = "{\"model\":\"chat\",\"messages\":" + "[".repeat(100_000) + "]".repeat(100_000) + "}";
        RawSocket.Response r = answer(head("Content-Length: " + deep.length() + "\r\n") + deep);
        assertThat(RawClient.json(r.body()).at("/error/code").asText(), is("request_too_complex"));
        assertThat(upstream.requestCount(), is(0));
    }

    @Test
    void emptyWhitespaceAndInvalidUtf8BodiesAreInvalidJson() {
        for (String body : List.of("", "   ", "\r\n", "{\"model\":\"chat\",\"messages\":[{\"role\":\"user\",\"content\":\"\u00c0\u00af\"}]}")) {
            RawSocket.Response r = answer(head("Content-Length: " + body.length() + "\r\n") + body);
            assertThat(r.body(), r.status(), is(400));
            assertThat(r.body(), RawClient.json(r.body()).at("/error/code").asText(), is("invalid_json"));
        }
        assertThat(upstream.requestCount(), is(0));
    }

    @ParameterizedTest
    @ValueSource(strings = {"/v1/chat/completions", "/v1/messages"})
    void aChunkDeclaredOverTheLimitIsRefusedBeforeItIsHeldInMemory(String path) {
        // Helidon reads a whole chunk into memory before handing over a byte of it: a chunk declared larger than
        // max-body-size (32 MiB against 8) must be refused at its size line, not held (and answered, or not, later).
        try (RawSocket socket = RawSocket.connect(router.port())) {
            socket.send(head(path, "Transfer-Encoding: chunked\r\n") + Integer.toHexString(32 * 1024 * 1024)
                                + "\r\n" + "x".repeat(64 * 1024));
            long started = System.nanoTime();
            RawSocket.Transcript t = socket.readUntilClosed(ANSWERED);
            long millis = (System.nanoTime() - started) / 1_000_000;

            assertThat(t.raw(), t.statuses(), is(List.of(413)));
            assertThat(t.closed(), is(true));
            // Answered at the size line, not when the read timeout (3 s) gave up on the chunk.
            assertThat("answered after " + millis + " ms", millis < LIMITS.readTimeout().toMillis(), is(true));
            assertError(path, t.responses().getFirst().body(), "request_too_large");
        }
        assertThat(upstream.requestCount(), is(0));
    }

    // ---- every inbound API has the same front door

    /** A POST head to {@code path} with a valid key and these extra header lines. */
    private static String head(String path, String extra) {
        return "POST " + path + " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + KEY + "\r\n"
                + "Content-Type: application/json\r\n" + extra + "\r\n";
    }

    /** The answer is an error in the dialect of the API the path belongs to, and says {@code code} in OpenAI's. */
    private static void assertError(String path, String body, String code) {
        JsonNode json = RawClient.json(body);
        if (path.startsWith("/v1/messages")) {
            assertThat(body, json.path("type").asText(), is("error"));
            assertThat(body, json.at("/error/type").asText(),
                       is(code.equals("request_too_large") ? "request_too_large" : "invalid_request_error"));
            assertThat(body, json.at("/error/message").isTextual(), is(true));
        } else {
            assertThat(body, json.at("/error/code").asText(), is(code));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"/v1/chat/completions", "/v1/messages", "/v1/messages/count_tokens", "/v1/responses",
                            "/v1/embeddings"})
    void everyInboundApiHasTheSameFrontDoor(String path) {
        // A refusal's body is never run as a request, and the connection closes when asked.
        String smuggled = smuggledReload() + smuggledChat();
        RawSocket.Transcript refused = exchange("POST " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                                                        + "Content-Type: application/json\r\nContent-Length: "
                                                        + smuggled.length() + "\r\n\r\n" + smuggled);
        assertThat(refused.raw(), refused.statuses(), is(List.of(401)));
        assertThat(refused.closed(), is(true));
        // A body declared over the limit: 413, closed.
        RawSocket.Transcript large = exchange(head(path, "Content-Length: " + (MAX_BODY + 1) + "\r\n")
                                                      + smuggledChat());
        assertThat(large.raw(), large.statuses(), is(List.of(413)));
        assertThat(large.closed(), is(true));
        // Broken framing: 400, closed, nothing of the body in the log.
        try (LogCapture logs = LogCapture.start()) {
            RawSocket.Transcript framing = exchange(head(path, "Transfer-Encoding: chunked\r\n") + "45;foo=bar\r\n"
                                                            + CHAT + "\r\n0\r\n\r\n" + smuggledChat());
            assertThat(framing.raw(), framing.statuses(), is(List.of(400)));
            assertThat(framing.closed(), is(true));
            assertThat(logs.containing(MARK), is(empty()));
        }
        // A body over the JSON limits is refused before a tree is built; an empty one is invalid JSON.
        StringBuilder values = new StringBuilder("{\"model\":\"chat\",\"input\":[");
        for (int i = 0; i < 150_000; i++) {
            values.append(i == 0 ? "0" : ",0");
        }
        String many = values.append("]}").toString();
        RawSocket.Response complex = answer(head(path, "Content-Length: " + many.length() + "\r\n") + many);
        assertThat(complex.body(), complex.status(), is(400));
        assertError(path, complex.body(), "request_too_complex");
        RawSocket.Response empty = answer(head(path, "Content-Length: 0\r\n"));
        assertThat(empty.body(), empty.status(), is(400));
        assertError(path, empty.body(), "invalid_json");
        // A field out of its documented range is refused, naming it: nothing unvalidated reaches the upstream.
        String user = "[{\"role\":\"user\",\"content\":\"x\"}]";
        String[] fieldAndBody = switch (path) {
            case "/v1/chat/completions" -> new String[] {"temperature", "\"messages\":" + user + ",\"temperature\":5"};
            case "/v1/messages" -> new String[] {"temperature", "\"max_tokens\":5,\"messages\":" + user
                    + ",\"temperature\":5"};
            case "/v1/messages/count_tokens" -> new String[] {"role", "\"messages\":[{\"role\":\"wizard\","
                    + "\"content\":\"x\"}]"};
            case "/v1/responses" -> new String[] {"temperature", "\"input\":\"x\",\"temperature\":5"};
            default -> new String[] {"encoding_format", "\"input\":\"x\",\"encoding_format\":\"hex\""};
        };
        String field = fieldAndBody[0];
        String bad = "{\"model\":\"chat\"," + fieldAndBody[1] + "}";
        RawSocket.Response invalid = answer(head(path, "Content-Length: " + bad.length() + "\r\n") + bad);
        assertThat(invalid.body(), invalid.status(), is(400));
        assertThat(invalid.body(), invalid.body().contains(field), is(true));
        assertThat(upstream.requestCount(), is(0));
    }

    // ---- already covered elsewhere, kept here so the suite is the whole list

    @Test
    void malformedHeadsAreRefusedOnceAndClosed() {
        for (String bad : List.of(
                "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n  folded\r\n\r\nabcd",
                "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length : 4\r\n\r\nabcd",
                "POST /v1/chat/completions HTTP/1.1\r\nContent-Length: 4\r\n\r\nabcd",
                "POST /v1/chat/completions HTTP/1.1\r\nHost: a\r\nHost: b\r\nContent-Length: 4\r\n\r\nabcd",
                "POST /v1/chat/completions HTTP/1.0\r\nHost: x\r\nContent-Length: 4\r\n\r\nabcd",
                "POST /v1/chat/completions\r\nHost: x\r\n\r\n",
                "P\u00d8ST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n\r\n")) {
            RawSocket.Transcript t = exchange(bad);
            assertThat(bad + "\n->\n" + t.raw(), t.closed(), is(true));
            assertThat(bad + "\n->\n" + t.raw(), t.statuses().size() <= 1
                    && t.statuses().stream().allMatch(s -> s == 400 || s == 505), is(true));
        }
        assertThat(upstream.requestCount(), is(0));
    }

    @Test
    void afterEveryKindOfAbuseTheRouterStillServesAndPolicesItsClients() throws Exception {
        aRefusalWithoutAKeyClosesAndNeverRunsItsBody("close");
        contentLengthWithTransferEncodingIsRefused();
        aBadChunkIsA400AndNothingOfTheBodyIsLogged("45;foo=bar");
        aBadContentLengthIsA400("-1");
        malformedHeadsAreRefusedOnceAndClosed();
        pathologicalBodiesAreRefusedBeforeTheyCostAnything();

        new RouterCheckup(router, upstream, Map.of("Authorization", "Bearer " + KEY), LIMITS).run();
    }

    /** A POST head to the chat endpoint with a valid key and these extra header lines. */
    private static String head(String extra) {
        return "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + KEY + "\r\n"
                + "Content-Type: application/json\r\n" + extra + "\r\n";
    }
}
