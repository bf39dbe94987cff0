package io.hedgerow.api;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hedgerow.exec.ChainFailedException;
import io.hedgerow.exec.ChatExecutor;
import io.hedgerow.exec.LiveStream;
import io.hedgerow.exec.StreamFailedException;
import io.hedgerow.exec.Served;
import io.hedgerow.model.ChatRequest;
import io.hedgerow.model.ChatResponse;
import io.hedgerow.model.ContentPart;
import io.hedgerow.model.Message;
import io.hedgerow.model.ToolCall;
import io.hedgerow.model.Usage;
import io.hedgerow.model.FinishReason;
import io.hedgerow.model.StreamEvent;
import io.hedgerow.route.RoutePlan;
import io.hedgerow.route.Router;
import io.hedgerow.dialect.InvalidRequestException;
import io.hedgerow.json.Json;
import io.hedgerow.dialect.openai.OpenAiRequestCodec;
import io.hedgerow.dialect.openai.OpenAiResponseCodec;

import io.helidon.http.HeaderNames;
import io.helidon.http.HttpMediaType;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Pattern;

/**
 * {@code POST /v1/chat/completions}: parses the OpenAI request, routes it, runs it through the executor and
 * answers, as one JSON body or as server-sent events. Every request gets exactly one answer: a success, or one
 * OpenAI-style error (a JSON error body before the stream started, an SSE error event after, never
 * {@code [DONE]} after a broken answer), logged once.
 */
public final class ChatCompletionsService implements HttpService {
    private static final System.Logger LOG = System.getLogger(ChatCompletionsService.class.getName());
    private static final io.helidon.http.HeaderName TIMEOUT_HEADER = HeaderNames.create("x-hedgerow-timeout");
    private static final Pattern SAFE_REQUEST_ID = Pattern.compile("[A-Za-z0-9._:-]{1,128}");
    // A body is one JSON value: "{...} {...}" is malformed, not a request followed by noise to ignore.
    private static final ObjectReader BODY_READER = Json.MAPPER.reader()
            .with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private static final io.helidon.http.HeaderName TAG_HEADER = HeaderNames.create("x-hedgerow-tag");

    private final EngineLeases engines;
    private final RequestObserver observer;
    private final Clock clock;

    /** A service on one fixed router and executor, observed by nobody. */
    public ChatCompletionsService(Router router, ChatExecutor executor, long maxBodyBytes, Clock clock) {
        this(EngineLeases.fixed(new Engine(router, executor, maxBodyBytes)), RequestObserver.NONE, clock);
    }

    /**
     * @param engines  the current router and executor, taken at the start of each request and held until it ends (a
     *                 config reload swaps them; requests in flight finish on the ones they started with)
     * @param observer told how each request goes (metrics, cost, events)
     * @param clock    for the {@code created} field of answers
     */
    public ChatCompletionsService(EngineLeases engines, RequestObserver observer, Clock clock) {
        this.engines = Objects.requireNonNull(engines, "engines");
        this.observer = Objects.requireNonNull(observer, "observer");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    @Override
    public void routing(HttpRules rules) {
        rules.post("/chat/completions", this::chat);
    }

    private void chat(ServerRequest req, ServerResponse res) {
        String requestId = req.headers().first(HeaderNames.create("x-request-id"))
                .filter(id -> SAFE_REQUEST_ID.matcher(id).matches())
                .orElseGet(ChatCompletionsService::newRequestId);
        res.header("x-request-id", requestId);
        try (EngineLeases.Lease lease = engines.acquire();
             RequestObserver.Exchange exchange = GuardedExchange.begin(observer, requestId,
                                                                       req.headers().first(TAG_HEADER))) {
            Engine current = lease.engine();
            try {
                ChatRequest request = parse(req, current.maxBodyBytes());
                RoutePlan plan = current.router().plan(request.model())
                        .orElseThrow(() -> ErrorResponses.unknownModel(request.model()));
                exchange.routed(plan, request);
                Optional<Duration> clientTimeout = clientTimeout(req);
                if (request.stream()) {
                    stream(current.executor(), request, plan, clientTimeout, res, requestId, exchange);
                } else {
                    complete(current.executor(), request, plan, clientTimeout, res, exchange);
                }
            } catch (ApiException e) {
                LOG.log(e.status() >= 500 ? System.Logger.Level.WARNING : System.Logger.Level.INFO,
                        "request {0}: {1} {2}: {3}", requestId, e.status(), e.code(), e.getMessage());
                exchange.failed(e.status(), e.code());
                sendError(res, e);
            }
        }
    }

    private ChatRequest parse(ServerRequest req, long maxBodyBytes) throws ApiException {
        Optional<HttpMediaType> contentType = req.headers().contentType();
        if (contentType.isPresent() && !contentType.get().mediaType().text().equalsIgnoreCase("application/json")) {
            throw new ApiException(415, "invalid_request_error", "unsupported_media_type",
                                   "Content-Type '" + contentType.get().mediaType().text()
                                           + "' is not supported (expected: application/json)");
        }
        byte[] body = readBody(req, maxBodyBytes);
        JsonNode json;
        try {
            json = BODY_READER.readTree(body);
        } catch (JacksonException e) {
            throw new ApiException(400, "invalid_request_error", "invalid_json",
                                   "The request body is not valid JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new ApiException(400, "invalid_request_error", "invalid_json", "The request body could not be read");
        }
        if (json == null) {
            throw new ApiException(400, "invalid_request_error", "invalid_json", "The request body is empty");
        }
        try {
            return OpenAiRequestCodec.parse(json);
        } catch (InvalidRequestException e) {
            throw ErrorResponses.invalidRequest(e);
        }
    }

    private static byte[] readBody(ServerRequest req, long maxBodyBytes) throws ApiException {
        OptionalLong declared = req.headers().contentLength();
        if (declared.isPresent() && declared.getAsLong() > maxBodyBytes) {
            throw tooLarge(maxBodyBytes);
        }
        try (InputStream in = req.content().inputStream()) {
            if (declared.isPresent()) {
                // The usual case: read exactly what was declared (no copy buffer), then make sure nothing follows.
                byte[] body = in.readNBytes((int) declared.getAsLong());
                if (body.length == declared.getAsLong() && in.read() < 0) {
                    return body;
                }
                throw new ApiException(400, "invalid_request_error", "unreadable_body",
                                       "The request body does not match its Content-Length");
            }
            ByteArrayOutputStream out = new ByteArrayOutputStream(
                    (int) Math.min(declared.orElse(8192), maxBodyBytes));
            byte[] buffer = new byte[8192];
            int n;
            while ((n = in.read(buffer)) > 0) {
                if (out.size() + (long) n > maxBodyBytes) {
                    throw tooLarge(maxBodyBytes);
                }
                out.write(buffer, 0, n);
            }
            return out.toByteArray();
        } catch (BadFramingException e) {
            throw new ApiException(400, "invalid_request_error", "invalid_body_framing", e.getCause().getMessage(),
                                   Optional.empty(), java.util.Map.of("Connection", "close"));
        } catch (IOException | UncheckedIOException e) {
            throw new ApiException(400, "invalid_request_error", "unreadable_body", "The request body could not be read");
        }
    }

    /** A body over the limit: refused, and the connection closed (the rest of the body is not worth reading). */
    private static ApiException tooLarge(long maxBodyBytes) {
        return new ApiException(413, "invalid_request_error", "request_too_large",
                                "The request body exceeds the limit of " + maxBodyBytes + " bytes", Optional.empty(),
                                java.util.Map.of("Connection", "close"));
    }

    /**
     * {@code x-hedgerow-timeout}: a client may shorten (never lengthen) the request's deadline, in milliseconds or
     * as a duration such as {@code 30s}.
     */
    private static Optional<Duration> clientTimeout(ServerRequest req) throws ApiException {
        Optional<String> header = req.headers().first(TIMEOUT_HEADER);
        if (header.isEmpty()) {
            return Optional.empty();
        }
        String value = header.get().trim();
        Optional<Duration> parsed;
        if (value.matches("\\d{1,9}")) {
            parsed = Optional.of(Duration.ofMillis(Long.parseLong(value)));
        } else {
            parsed = io.hedgerow.config.Durations.parse(value);
        }
        if (parsed.isEmpty() || parsed.get().isZero()) {
            throw new ApiException(400, "invalid_request_error", "invalid_timeout",
                                   "x-hedgerow-timeout: '" + value + "' (expected: milliseconds, or a duration such as 30s)",
                                   Optional.of("x-hedgerow-timeout"), java.util.Map.of());
        }
        return parsed;
    }

    private void complete(ChatExecutor executor, ChatRequest request, RoutePlan plan,
                          Optional<Duration> clientTimeout, ServerResponse res, RequestObserver.Exchange exchange)
            throws ApiException {
        Served<ChatResponse> served;
        try {
            served = executor.complete(request, plan, clientTimeout);
        } catch (ChainFailedException e) {
            exchange.chainFailed(e);
            throw ErrorResponses.chainFailed(e);
        }
        exchange.served(served);
        servedHeaders(res, served);
        ObjectNode body = OpenAiResponseCodec.write(served.value(), newCompletionId(), clock.millis() / 1000);
        try {
            ClientGone.send(res.header(HeaderNames.CONTENT_TYPE, "application/json"),
                            Json.MAPPER.writeValueAsBytes(body));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        exchange.completed(served.value().usage(), outputChars(served.value()));
    }

    private static long outputChars(ChatResponse response) {
        Message message = response.message();
        long chars = response.reasoning().map(String::length).orElse(0)
                + response.refusal().map(String::length).orElse(0);
        for (ContentPart part : message.content()) {
            if (part instanceof ContentPart.Text text) {
                chars += text.text().length();
            }
        }
        for (ToolCall call : message.toolCalls()) {
            chars += call.name().length() + call.arguments().length();
        }
        return chars;
    }

    private void stream(ChatExecutor executor, ChatRequest request, RoutePlan plan, Optional<Duration> clientTimeout,
                        ServerResponse res, String requestId, RequestObserver.Exchange exchange) throws ApiException {
        Served<LiveStream> served;
        try {
            served = executor.stream(request, plan, clientTimeout);
        } catch (ChainFailedException e) {
            exchange.chainFailed(e);
            throw ErrorResponses.chainFailed(e);
        }
        exchange.served(served);
        try (LiveStream live = served.value()) {
            servedHeaders(res, served);
            res.header(HeaderNames.CONTENT_TYPE, "text/event-stream");
            res.header(HeaderNames.CACHE_CONTROL, "no-cache");
            res.header("X-Accel-Buffering", "no");
            String id = newCompletionId();
            long created = clock.millis() / 1000;
            String model = served.servedBy().model();
            SseWriter sse = new SseWriter(res.outputStream());
            try {
                relay(live, sse, request, id, created, model, requestId, exchange);
            } catch (UncheckedIOException e) {
                // The client went away; closing the live stream (try-with-resources) aborts the upstream.
                LOG.log(System.Logger.Level.INFO, "request {0}: client disconnected mid-stream", requestId);
                exchange.failed(499, "client_disconnected");
            }
        }
    }

    /**
     * Relays the answer as chunks. Every chunk carries the same envelope: the upstream's {@link StreamEvent.Metadata}
     * when it came before the first piece (it comes first from the adapters that send one), else the configured
     * model. The role chunk goes out just before the first piece, or before the end or error when there was none.
     */
    private void relay(LiveStream live, SseWriter sse, ChatRequest request, String id, long created, String model,
                       String requestId, RequestObserver.Exchange exchange) {
        StreamEvent.Metadata origin = new StreamEvent.Metadata(model, Optional.empty(), Optional.empty());
        boolean started = false;
        boolean finished = false;
        Optional<Usage> usage = Optional.empty();
        long outputChars = 0;
        while (true) {
            Optional<StreamEvent> event;
            try {
                event = live.next();
            } catch (StreamFailedException e) {
                // Once the first token has been sent there is no status code left to change: say it in-band.
                LOG.log(System.Logger.Level.WARNING, "request {0}: stream from {1} broke: {2}", requestId, model,
                        e.getMessage());
                if (!started) {
                    roleChunk(sse, id, created, origin);
                }
                ObjectNode error = streamError(e);
                sse.data(error);
                exchange.failed(502, error.path("error").path("code").asText());
                return;
            }
            if (event.isEmpty()) {
                break;
            }
            if (event.get() instanceof StreamEvent.Metadata metadata) {
                if (!started) {
                    origin = metadata;
                }
                continue;
            }
            if (!started) {
                started = true;
                roleChunk(sse, id, created, origin);
            }
            switch (event.get()) {
            case StreamEvent.Finished f -> {
                finished = true;
                sse.data(OpenAiResponseCodec.deltaChunk(id, created, origin, Json.object(), Optional.empty(),
                                                        Optional.of(f.reason())));
            }
            case StreamEvent.Notice notice -> sse.comment(notice.text());
            case StreamEvent.UsageReported u -> {
                usage = Optional.of(u.usage());
                if (request.includeUsage()) {
                    sse.data(OpenAiResponseCodec.usageChunk(id, created, origin, u.usage()));
                }
            }
            default -> {
                outputChars += switch (event.get()) {
                    case StreamEvent.TextDelta text -> text.text().length();
                    case StreamEvent.ReasoningDelta reasoning -> reasoning.text().length();
                    case StreamEvent.RefusalDelta refusal -> refusal.text().length();
                    case StreamEvent.ToolCallDelta call -> call.name().map(String::length).orElse(0)
                            + call.argumentsFragment().length();
                    default -> 0;
                };
                sse.data(OpenAiResponseCodec.deltaChunk(id, created, origin, OpenAiResponseCodec.delta(event.get()),
                                                        OpenAiResponseCodec.logprobs(event.get()),
                                                        Optional.<FinishReason>empty()));
            }
            }
        }
        if (!started) {
            roleChunk(sse, id, created, origin);
        }
        if (!finished) {
            LOG.log(System.Logger.Level.WARNING, "request {0}: stream ended without a finish reason", requestId);
            sse.data(ErrorResponses.body(new ApiException(502, "upstream_error", "upstream_stream_incomplete",
                                                          "the upstream stream ended without finishing the answer")));
            exchange.failed(502, "upstream_stream_incomplete");
            return;
        }
        sse.done();
        exchange.completed(usage, outputChars);
    }

    private static void roleChunk(SseWriter sse, String id, long created, StreamEvent.Metadata origin) {
        ObjectNode role = Json.object().put("role", "assistant").put("content", "");
        sse.data(OpenAiResponseCodec.deltaChunk(id, created, origin, role, Optional.empty(), Optional.empty()));
    }

    private static ObjectNode streamError(StreamFailedException e) {
        String code = switch (e.failure().kind()) {
            case TIMEOUT -> "upstream_timeout";
            case CANCELLED -> "cancelled";
            case SHUTDOWN -> "shutting_down";
            default -> "upstream_stream_broken";
        };
        return ErrorResponses.body(new ApiException(502, "upstream_error", code,
                                                    "the answer was interrupted: " + e.failure().summary() + ": "
                                                            + e.failure().message()));
    }

    private static void servedHeaders(ServerResponse res, Served<?> served) {
        res.header("x-hedgerow-provider", served.servedBy().provider().name());
        res.header("x-hedgerow-model", served.servedBy().model());
        res.header("x-hedgerow-attempts", served.attemptsSummary());
        served.fallbackReason().ifPresent(reason -> res.header("x-hedgerow-fallback-reason", reason));
        res.header("x-hedgerow-hedged", String.valueOf(served.hedged()));
        // Which attempt won: its number among the calls made, and why it was started (primary, retry, hedge...).
        res.header("x-hedgerow-winner", served.winnerSummary());
    }

    static void sendError(ServerResponse res, ApiException e) {
        try {
            res.status(e.status());
            e.headers().forEach(res::header);
            ClientGone.send(res.header(HeaderNames.CONTENT_TYPE, "application/json"),
                            Json.MAPPER.writeValueAsBytes(ErrorResponses.body(e)));
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }

    private static String newRequestId() {
        return "req_" + Long.toHexString(ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE);
    }

    private static String newCompletionId() {
        return "chatcmpl-" + Long.toHexString(ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE);
    }
}
