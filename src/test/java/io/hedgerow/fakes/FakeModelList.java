package io.hedgerow.fakes;

import io.hedgerow.json.Json;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.helidon.http.Header;
import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webserver.WebServer;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * A fake list-of-models endpoint, any provider's: a real Helidon {@link WebServer} on a free loopback port that
 * answers every {@code GET} (OpenAI's and Anthropic's {@code /v1/models}, Ollama's {@code /api/tags}, OpenRouter's
 * {@code /v1/key}) and {@code POST} (a live check's empty chat request, after a 404) with what the test decides from
 * the request ({@link #answer}): a list, a status with a body,
 * garbage, or nothing at all until the fake closes ({@link Answer#hang()}). Every request is recorded with its
 * path, query and headers.
 *
 * <pre>{@code
 * try (FakeModelList fake = FakeModelList.start()) {
 *     fake.answer(req -> req.key().equals("good") ? Answer.openAi("gpt-4.1") : Answer.status(401, "{}"));
 *     ... a provider whose base-url is fake.baseUrl() + "/v1" ...
 * }
 * }</pre>
 */
public final class FakeModelList implements AutoCloseable {
    private static final Duration MAX_HANG = Duration.ofSeconds(30);

    private final WebServer server;
    private final List<Request> requests = new CopyOnWriteArrayList<>();
    private final CountDownLatch closing = new CountDownLatch(1);
    private volatile Function<Request, Answer> answers = r -> Answer.status(404, "{\"error\":\"no such path\"}");

    private FakeModelList() {
        this.server = WebServer.builder()
                .host("127.0.0.1")
                .port(0)
                .shutdownHook(false)
                .routing(r -> r.get("/*", this::handle).post("/*", this::handle))
                .build()
                .start();
    }

    public static FakeModelList start() {
        return new FakeModelList();
    }

    /** {@code http://127.0.0.1:PORT}, without a path. */
    public URI baseUrl() {
        return URI.create("http://127.0.0.1:" + server.port());
    }

    /** How every request is answered from now on. */
    public FakeModelList answer(Function<Request, Answer> byRequest) {
        this.answers = Objects.requireNonNull(byRequest, "byRequest");
        return this;
    }

    /** Every request so far, in arrival order. */
    public List<Request> requests() {
        return List.copyOf(requests);
    }

    @Override
    public void close() {
        closing.countDown();
        server.stop();
    }

    private void handle(ServerRequest req, ServerResponse res) {
        Map<String, String> headers = new LinkedHashMap<>();
        for (Header header : req.headers()) {
            headers.put(header.name().toLowerCase(Locale.ROOT), header.get());
        }
        String query = req.query().rawValue();
        Request request = new Request(req.prologue().method().text(), req.path().path(), query, headers);
        requests.add(request);
        Answer answer = answers.apply(request);
        if (answer.hang) {
            try {
                closing.await(MAX_HANG.toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return;
        }
        res.status(Status.create(answer.status)).header(HeaderNames.CONTENT_TYPE, answer.contentType)
                .send(answer.body.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * One request.
     *
     * @param method  {@code GET} for a list of models; {@code POST} for a live check's empty chat request
     * @param path    e.g. {@code /v1/models}
     * @param query   the raw query, e.g. {@code limit=1000}; empty when there is none
     * @param headers lower-cased names, first values
     */
    public record Request(String method, String path, String query, Map<String, String> headers) {
        public Optional<String> header(String name) {
            return Optional.ofNullable(headers.get(name.toLowerCase(Locale.ROOT)));
        }

        /** The key it carried: a bearer token, or Anthropic's {@code x-api-key}; empty string when none. */
        public String key() {
            return header("authorization").map(v -> v.replaceFirst("(?i)^Bearer\\s+", ""))
                    .or(() -> header("x-api-key")).orElse("");
        }
    }

    /** What one request gets. */
    public static final class Answer {
        private final int status;
        private final String contentType;
        private final String body;
        private final boolean hang;

        private Answer(int status, String contentType, String body, boolean hang) {
            this.status = status;
            this.contentType = contentType;
            this.body = body;
            this.hang = hang;
        }

        /** OpenAI's list: {@code {"object":"list","data":[{"id":..,"object":"model",..}]}}. */
        public static Answer openAi(String... ids) {
            ObjectNode root = Json.object().put("object", "list");
            ArrayNode data = root.putArray("data");
            for (String id : ids) {
                data.addObject().put("id", id).put("object", "model").put("created", 1_700_000_000L)
                        .put("owned_by", "fake");
            }
            return json(200, root.toString());
        }

        /** Anthropic's list page: {@code {"data":[{"type":"model","id":..}],"has_more":..}}. */
        public static Answer anthropic(boolean hasMore, String... ids) {
            ObjectNode root = Json.object();
            ArrayNode data = root.putArray("data");
            for (String id : ids) {
                data.addObject().put("type", "model").put("id", id).put("display_name", id)
                        .put("created_at", "2025-09-29T00:00:00Z");
            }
            root.put("has_more", hasMore).put("first_id", ids.length == 0 ? null : ids[0])
                    .put("last_id", ids.length == 0 ? null : ids[ids.length - 1]);
            return json(200, root.toString());
        }

        /** Ollama's tags: {@code {"models":[{"name":"llama3:latest","model":"llama3:latest",..}]}}. */
        public static Answer ollama(String... names) {
            ObjectNode root = Json.object();
            ArrayNode models = root.putArray("models");
            for (String name : names) {
                models.addObject().put("name", name).put("model", name).put("size", 4_661_224_676L)
                        .put("digest", "sha256:fake");
            }
            return json(200, root.toString());
        }

        public static Answer json(int status, String body) {
            return new Answer(status, "application/json", body, false);
        }

        public static Answer status(int status, String body) {
            return json(status, body);
        }

        /** Exactly this status, content type and body. */
        public static Answer raw(int status, String contentType, String body) {
            return new Answer(status, contentType, body, false);
        }

        /** Nothing at all, not even a status line, until the fake closes (or 30 s pass). */
        public static Answer hang() {
            return new Answer(0, "", "", true);
        }
    }
}
