package io.hedgerow.api;

import com.fasterxml.jackson.databind.JsonNode;
import io.hedgerow.exec.ChainFailedException;
import io.hedgerow.exec.LiveStream;
import io.hedgerow.exec.Served;
import io.hedgerow.model.ChatRequest;
import io.hedgerow.model.ChatResponse;
import io.hedgerow.route.RoutePlan;

import io.helidon.http.HeaderName;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Pattern;

/**
 * What every inbound API does the same way, in order: a request id (the client's {@code x-request-id} when it is
 * safe to echo, else a new one), the engine of the current config held for the whole request, an exchange for the
 * observers (labelled with the API), the body read and parsed within the router's limits ({@link JsonBodyReader}),
 * the API's own
 * parsing, routing, the client's {@code x-hedgerow-timeout}, the executor, the {@code x-hedgerow-*} headers of who
 * served, and every error answered once, in the API's {@link ErrorFormat} and logged once. Each API plugs in what is
 * its own through an {@link Api}.
 */
final class InboundPipeline {
    private static final System.Logger LOG = System.getLogger(InboundPipeline.class.getName());
    private static final HeaderName TIMEOUT_HEADER = HeaderNames.create("x-hedgerow-timeout");
    private static final HeaderName TAG_HEADER = HeaderNames.create("x-hedgerow-tag");
    private static final HeaderName REQUEST_ID = HeaderNames.create("x-request-id");
    private static final Pattern SAFE_REQUEST_ID = Pattern.compile("[A-Za-z0-9._:-]{1,128}");

    private final EngineLeases engines;
    private final RequestObserver observer;
    private final JsonBodyReader bodies;

    InboundPipeline(EngineLeases engines, RequestObserver observer, JsonBodyReader bodies) {
        this.engines = Objects.requireNonNull(engines, "engines");
        this.observer = Objects.requireNonNull(observer, "observer");
        this.bodies = Objects.requireNonNull(bodies, "bodies");
    }

    /** One inbound API's own part. */
    interface Api {
        /** Its name on metrics, e.g. {@code chat_completions}. */
        String name();

        ErrorFormat errors();

        /** Serves the parsed body: typically {@link Inbound#chat} with the request it reads from it. */
        void serve(Inbound in) throws ApiException;
    }

    /** A call to the executor for a whole answer, under the client's timeout. */
    @FunctionalInterface
    interface WholeCall<T> {
        Served<T> run(Optional<Duration> clientTimeout) throws ChainFailedException;
    }

    /** Writes a served answer in one API's shape. */
    interface Answering {
        void complete(Inbound in, ChatRequest request, Served<ChatResponse> served) throws ApiException;

        void stream(Inbound in, ChatRequest request, Served<LiveStream> served) throws ApiException;
    }

    /**
     * One request on its way through.
     *
     * @param body the body as received; {@code json} is it parsed
     */
    record Inbound(ServerRequest req, ServerResponse res, String requestId, Engine engine,
                   RequestObserver.Exchange exchange, byte[] body, JsonNode json) {

        /** Routes the request, runs it and hands the answer to {@code answering}. */
        void chat(ChatRequest request, Answering answering) throws ApiException {
            RoutePlan plan = engine.router().plan(request.model())
                    .orElseThrow(() -> ErrorResponses.unknownModel(request.model()));
            requireServable(plan, request);
            exchange.routed(plan, request);
            Optional<Duration> clientTimeout = clientTimeout(req);
            try {
                if (request.stream()) {
                    Served<LiveStream> served = engine.executor().stream(request, plan, clientTimeout);
                    exchange.served(served);
                    try (LiveStream live = served.value()) {
                        servedHeaders(res, served);
                        answering.stream(this, request, served);
                    }
                } else {
                    Served<ChatResponse> served = engine.executor().complete(request, plan, clientTimeout);
                    exchange.served(served);
                    servedHeaders(res, served);
                    answering.complete(this, request, served);
                }
            } catch (ChainFailedException e) {
                exchange.chainFailed(e);
                throw ErrorResponses.chainFailed(e);
            }
        }

        /**
         * Runs a call that gives a whole answer (not a chat: embeddings) under the client's timeout: who served goes
         * to the observers and into the {@code x-hedgerow-*} headers; a chain that failed is the API's error.
         */
        <T> Served<T> whole(WholeCall<T> call) throws ApiException {
            try {
                Served<T> served = call.run(clientTimeout(req));
                exchange.served(served);
                servedHeaders(res, served);
                return served;
            } catch (ChainFailedException e) {
                exchange.chainFailed(e);
                throw ErrorResponses.chainFailed(e);
            }
        }

        /**
         * Refuses, before any call, a request that no candidate of its route can serve as asked, naming each and
         * why; when some can, those that cannot are passed over in the race.
         */
        private static void requireServable(RoutePlan plan, ChatRequest request) throws ApiException {
            List<String> refusals = new ArrayList<>();
            for (io.hedgerow.route.Candidate candidate : plan.candidates()) {
                Optional<String> why = candidate.client().cannotServe(request);
                if (why.isEmpty()) {
                    return;
                }
                refusals.add(candidate.label() + " (" + why.get() + ")");
            }
            throw ErrorResponses.unsupportedByRoute(plan.alias(), refusals);
        }

        /** The routing plan for a model, or the API's 404. */
        RoutePlan plan(String model) throws ApiException {
            return engine.router().plan(model).orElseThrow(() -> ErrorResponses.unknownModel(model));
        }

        /** Sends a whole JSON body. */
        void sendJson(byte[] json) {
            ClientGone.send(res.header(HeaderNames.CONTENT_TYPE, "application/json"), json);
        }

        /** Sends a whole answer, written as {@code body}, and tells the observers it was delivered. */
        void answer(ChatResponse response, byte[] body) {
            sendJson(body);
            exchange.completed(response.usage(), AnswerSize.chars(response));
        }

        /**
         * Commits the response as server-sent events and hands the writer to {@code relay}. A client gone mid-stream
         * ends it quietly: closing the live stream (by the caller's try-with-resources) aborts the upstream.
         */
        void events(java.util.function.Consumer<SseWriter> relay) {
            res.header(HeaderNames.CONTENT_TYPE, "text/event-stream");
            res.header(HeaderNames.CACHE_CONTROL, "no-cache");
            res.header("X-Accel-Buffering", "no");
            try {
                relay.accept(new SseWriter(res.outputStream()));
            } catch (UncheckedIOException e) {
                LOG.log(System.Logger.Level.INFO, "request {0}: client disconnected mid-stream", requestId);
                exchange.failed(499, "client_disconnected");
            }
        }
    }

    /** Serves one request of {@code api}; never throws for anything the client did or an upstream failed. */
    void handle(ServerRequest req, ServerResponse res, Api api) {
        String requestId = req.headers().first(REQUEST_ID)
                .filter(id -> SAFE_REQUEST_ID.matcher(id).matches())
                .orElseGet(InboundPipeline::newRequestId);
        res.header("x-request-id", requestId);
        if (api.errors() == ErrorFormat.ANTHROPIC) {
            res.header("request-id", requestId);
        }
        try (EngineLeases.Lease lease = engines.acquire();
             RequestObserver.Exchange exchange = GuardedExchange.begin(observer, requestId, api.name(),
                                                                       req.headers().first(TAG_HEADER),
                                                                       name -> req.headers().first(
                                                                               HeaderNames.create(name)))) {
            Engine engine = lease.engine();
            // The body's memory stays reserved until the request ends: the canonical request lives as long.
            try (JsonBodyReader.JsonBody body = bodies.read(req, engine.maxBodyBytes())) {
                api.serve(new Inbound(req, res, requestId, engine, exchange, body.raw(), body.json()));
            } catch (ApiException e) {
                LOG.log(e.status() >= 500 ? System.Logger.Level.WARNING : System.Logger.Level.INFO,
                        "request {0}: {1} {2}: {3}", requestId, e.status(), e.code(), e.getMessage());
                exchange.failed(e.status(), e.code());
                api.errors().send(res, e, requestId);
            }
        }
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
                                   Optional.of("x-hedgerow-timeout"), Map.of());
        }
        return parsed;
    }

    private static void servedHeaders(ServerResponse res, Served<?> served) {
        res.header("x-hedgerow-provider", served.servedBy().provider().name());
        res.header("x-hedgerow-model", served.servedBy().model());
        res.header("x-hedgerow-attempts", served.attemptsSummary());
        served.fallbackReason().ifPresent(reason -> res.header("x-hedgerow-fallback-reason", reason));
        res.header("x-hedgerow-hedged", String.valueOf(served.hedged()));
        // Which attempt won: its place among the candidates tried or skipped, and why it was started.
        res.header("x-hedgerow-winner", served.winnerSummary());
    }

    static String newRequestId() {
        return "req_" + Long.toHexString(ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE);
    }
}
