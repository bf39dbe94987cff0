package io.hedgerow.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hedgerow.dialect.InvalidRequestException;
import io.hedgerow.dialect.SseFrame;
import io.hedgerow.dialect.openai.ResponsesAnswers;
import io.hedgerow.dialect.openai.ResponsesRequestReader;
import io.hedgerow.dialect.openai.ResponsesStreamEncoder;
import io.hedgerow.exec.LiveStream;
import io.hedgerow.exec.Served;
import io.hedgerow.exec.StreamFailedException;
import io.hedgerow.json.Json;
import io.hedgerow.json.JsonSplice;
import io.hedgerow.model.ChatRequest;
import io.hedgerow.model.ChatResponse;
import io.hedgerow.model.Dialect;
import io.hedgerow.model.StreamEvent;
import io.hedgerow.model.Usage;
import io.hedgerow.model.WireBody;
import io.hedgerow.model.WireRequest;
import io.hedgerow.state.ConversationStore;
import io.hedgerow.state.StoredResponse;

import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * OpenAI's Responses API over the shared {@link InboundPipeline}: {@code POST /v1/responses} (a whole
 * {@code response} object, or its typed events), {@code GET} and {@code DELETE /v1/responses/{id}} for the responses
 * Hedgerow keeps.
 *
 * <p>A provider that serves the Responses API itself ({@code responses: true}) gets the request as the client wrote it
 * and its answer comes back as it produced it; every other provider gets it translated to its own dialect, and the
 * answer is written as a Responses one ({@link ResponsesAnswers}, {@link ResponsesStreamEncoder}).
 *
 * <p>Conversations: every response produced (unless the request said {@code store: false}) is kept in the
 * {@link ConversationStore} with its input and output items. A request with {@code previous_response_id} is joined to
 * the kept conversation before it is routed: translated, its history comes first; to a Responses upstream, the
 * history is written into its {@code input} (and {@code previous_response_id} set to null), so the chain continues on
 * whichever provider serves the next turn. Items Hedgerow made travel without their ids, and reasoning Hedgerow wrote
 * (another model's) is not sent to a Responses upstream. An unknown or forgotten id is a 404.
 */
public final class ResponsesService implements HttpService {
    private static final System.Logger LOG = System.getLogger(ResponsesService.class.getName());

    private final InboundPipeline pipeline;
    private final ConversationStore store;
    private final Clock clock;
    private final Create create = new Create();

    /**
     * @param store where responses are kept for {@code previous_response_id}, {@code GET} and {@code DELETE}
     * @param clock for {@code created_at}
     */
    public ResponsesService(EngineLeases engines, RequestObserver observer, JsonBodyReader bodies,
                            ConversationStore store, Clock clock) {
        this.pipeline = new InboundPipeline(engines, observer, bodies);
        this.store = Objects.requireNonNull(store, "store");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    @Override
    public void routing(HttpRules rules) {
        rules.post("/responses", (req, res) -> pipeline.handle(req, res, create))
                .get("/responses/{id}", this::retrieve)
                .delete("/responses/{id}", this::delete);
    }

    private void retrieve(ServerRequest req, ServerResponse res) {
        String id = req.path().pathParameters().get("id");
        Optional<StoredResponse> stored;
        try {
            stored = store.get(id);
        } catch (ConversationStore.Unreachable e) {
            ErrorFormat.OPENAI.send(res, storeUnreachable(e), InboundPipeline.newRequestId());
            return;
        }
        if (stored.isEmpty()) {
            notFound(res, id, "id");
            return;
        }
        ClientGone.send(res.header(HeaderNames.CONTENT_TYPE, "application/json"), stored.get().response());
    }

    private void delete(ServerRequest req, ServerResponse res) {
        String id = req.path().pathParameters().get("id");
        boolean deleted;
        try {
            deleted = store.delete(id);
        } catch (ConversationStore.Unreachable e) {
            ErrorFormat.OPENAI.send(res, storeUnreachable(e), InboundPipeline.newRequestId());
            return;
        }
        if (!deleted) {
            notFound(res, id, "id");
            return;
        }
        ObjectNode body = Json.object().put("id", id).put("object", "response").put("deleted", true);
        ClientGone.send(res.header(HeaderNames.CONTENT_TYPE, "application/json"), bytes(body));
    }

    private static void notFound(ServerResponse res, String id, String param) {
        ErrorFormat.OPENAI.send(res, responseNotFound(id, param), InboundPipeline.newRequestId());
    }

    private static ApiException responseNotFound(String id, String param) {
        return new ApiException(404, "invalid_request_error", "response_not_found",
                                "Response with id '" + id + "' not found: Hedgerow keeps the responses it produced "
                                        + "(not those made with store: false) for conversations.ttl, and as many as "
                                        + "conversations.max-responses and max-size allow.",
                                Optional.of(param), Map.of());
    }

    /** The fleet's conversation store did not answer, and this replica has no copy: maybe there, try again. */
    private static ApiException storeUnreachable(ConversationStore.Unreachable e) {
        LOG.log(System.Logger.Level.WARNING, "conversations: {0}", e.getMessage());
        return new ApiException(503, "server_error", "conversation_store_unavailable",
                                "The conversation store is unreachable (" + e.getMessage() + "); try again.",
                                Optional.empty(), Map.of("Retry-After", "1"));
    }

    /** {@code POST /v1/responses}. */
    private final class Create implements InboundPipeline.Api {
        @Override
        public String name() {
            return "responses";
        }

        @Override
        public ErrorFormat errors() {
            return ErrorFormat.OPENAI;
        }

        @Override
        public void serve(InboundPipeline.Inbound in) throws ApiException {
            ResponsesRequestReader.Parsed parsed;
            try {
                parsed = ResponsesRequestReader.parse(in.json());
            } catch (InvalidRequestException e) {
                throw ErrorResponses.invalidRequest(e);
            }
            List<JsonNode> history = new ArrayList<>();
            if (parsed.previousResponseId().isPresent()) {
                List<StoredResponse> chain;
                try {
                    chain = store.conversation(parsed.previousResponseId().get())
                            .orElseThrow(() -> responseNotFound(parsed.previousResponseId().get(),
                                                                "previous_response_id"));
                } catch (ConversationStore.Unreachable e) {
                    throw storeUnreachable(e);
                }
                for (StoredResponse response : chain) {
                    items(response.input(), history);
                    items(response.output(), history);
                }
            }
            ChatRequest canonical = ResponsesRequestReader.chat(parsed, history);
            WireRequest wire = new WireRequest(Dialect.OPENAI_RESPONSES, wireBody(in.body(), parsed, history),
                                               Map.of(), parsed.ownDialectOnly());
            ChatRequest request = new ChatRequest(canonical.model(), canonical.messages(), canonical.tools(),
                                                  canonical.toolChoice(), canonical.sampling(), canonical.stream(),
                                                  canonical.includeUsage(), canonical.passthrough(),
                                                  Optional.of(wire));
            in.chat(request, new Answering(parsed));
        }
    }

    /**
     * The body a Responses upstream is sent: the client's, or, continuing a kept conversation, the client's with its
     * history written into {@code input} and {@code previous_response_id} set to null (the upstream may never have
     * seen the responses it names).
     */
    private static byte[] wireBody(byte[] body, ResponsesRequestReader.Parsed parsed, List<JsonNode> history) {
        if (history.isEmpty()) {
            return body;
        }
        ArrayNode input = Json.MAPPER.createArrayNode();
        for (JsonNode item : history) {
            forUpstream(item).ifPresent(input::add);
        }
        parsed.input().forEach(input::add);
        try {
            return JsonSplice.setFields(body, Map.of("input", Json.MAPPER.writeValueAsString(input),
                                                     "previous_response_id", "null"));
        } catch (IOException e) {
            // The body was parsed as a JSON object on the way in; failing now is a bug, not the client's error.
            throw new IllegalStateException("a request parsed as a JSON object could not be rewritten", e);
        }
    }

    /** An item of the history as a Responses upstream gets it: without the ids Hedgerow made; not its reasoning. */
    private static Optional<JsonNode> forUpstream(JsonNode item) {
        String id = item.path("id").asText("");
        if (id.isEmpty() || !ResponsesAnswers.ownId(id)) {
            return Optional.of(item);
        }
        if (item.path("type").asText().equals("reasoning")) {
            return Optional.empty();
        }
        ObjectNode copy = ((ObjectNode) item).deepCopy();
        copy.remove("id");
        return Optional.of(copy);
    }

    private static void items(byte[] array, List<JsonNode> into) {
        try {
            Json.MAPPER.readTree(array).forEach(into::add);
        } catch (IOException e) {
            throw new UncheckedIOException("a kept conversation is not JSON", e);
        }
    }

    /** Writes a served answer as a Responses one (or relays a Responses upstream's own), and keeps it. */
    private final class Answering implements InboundPipeline.Answering {
        private final ResponsesRequestReader.Parsed parsed;
        private boolean kept;

        Answering(ResponsesRequestReader.Parsed parsed) {
            this.parsed = parsed;
        }

        @Override
        public void complete(InboundPipeline.Inbound in, ChatRequest request, Served<ChatResponse> served) {
            ChatResponse answer = served.value();
            Optional<WireBody> wire = answer.wire().filter(w -> w.dialect() == Dialect.OPENAI_RESPONSES);
            ObjectNode response;
            byte[] body;
            if (wire.isPresent()) {
                body = wire.get().body();
                response = parseResponse(body);
            } else {
                response = ResponsesAnswers.response(envelope(in, answer.model()), answer);
                body = bytes(response);
            }
            // Kept first: the client's next turn may come the moment it has this answer, to another replica.
            keep(response, body);
            in.answer(answer, body);
        }

        @Override
        public void stream(InboundPipeline.Inbound in, ChatRequest request, Served<LiveStream> served) {
            ResponsesStreamEncoder encoder = new ResponsesStreamEncoder(envelope(in, served.servedBy().model()));
            in.events(sse -> relay(served.value(), sse, encoder, in));
        }

        private void relay(LiveStream live, SseWriter sse, ResponsesStreamEncoder encoder,
                           InboundPipeline.Inbound in) {
            long outputChars = 0;
            boolean finished = false;
            while (true) {
                Optional<StreamEvent> event;
                try {
                    event = live.next();
                } catch (StreamFailedException e) {
                    LOG.log(System.Logger.Level.WARNING, "request {0}: stream broke: {1}", in.requestId(),
                            e.getMessage());
                    fail(sse, encoder, in, StreamErrors.of(e.failure()));
                    return;
                }
                if (event.isEmpty()) {
                    break;
                }
                if (event.get() instanceof StreamEvent.Finished) {
                    finished = true;
                } else {
                    outputChars += AnswerSize.chars(event.get());
                }
                writeKeeping(sse, encoder.accept(event.get()), encoder);
            }
            if (!finished) {
                LOG.log(System.Logger.Level.WARNING, "request {0}: stream ended without a finish", in.requestId());
                fail(sse, encoder, in, StreamErrors.incomplete());
                return;
            }
            writeKeeping(sse, encoder.end(), encoder);
            sse.finished();
            Optional<Usage> usage = encoder.usage();
            in.exchange().completed(usage, outputChars);
        }

        /**
         * Writes frames; the one that tells the client the response is complete only once the response is kept: its
         * next turn may come at once, to another replica.
         */
        private void writeKeeping(SseWriter sse, List<SseFrame> frames,
                                  ResponsesStreamEncoder encoder) {
            if (!kept && frames.stream().anyMatch(f -> "response.completed".equals(f.event())
                    || "response.incomplete".equals(f.event()))) {
                kept = true;
                ObjectNode response = encoder.finalResponse();
                keep(response, bytes(response));
            }
            sse.frames(frames);
        }

        private void fail(SseWriter sse, ResponsesStreamEncoder encoder, InboundPipeline.Inbound in,
                          ApiException error) {
            // The stream has begun: the error goes in-band, then the response is marked failed.
            sse.frames(encoder.fail(error.code(), error.getMessage()));
            in.exchange().failed(error.status(), error.code());
        }

        private ResponsesAnswers.Envelope envelope(InboundPipeline.Inbound in, String model) {
            return new ResponsesAnswers.Envelope(ResponsesAnswers.newId("resp"), clock.millis() / 1000, in.json(),
                                                 model);
        }

        /** Keeps a finished response for its conversation, unless the client said {@code store: false}. */
        private void keep(ObjectNode response, byte[] body) {
            String status = response.path("status").asText();
            String id = response.path("id").asText("");
            if (!parsed.store() || id.isEmpty() || !(status.equals("completed") || status.equals("incomplete"))) {
                return;
            }
            ArrayNode input = Json.MAPPER.createArrayNode();
            parsed.input().forEach(input::add);
            JsonNode output = response.path("output");
            try {
                if (!store.put(new StoredResponse(id, parsed.previousResponseId(), bytes(input), bytes(output),
                                                  body))) {
                    LOG.log(System.Logger.Level.INFO, "response {0} is larger than conversations.max-size: not kept",
                            id);
                }
            } catch (RuntimeException e) {
                // The answer goes out all the same; only its continuation is lost.
                LOG.log(System.Logger.Level.WARNING, "response " + id + " not kept", e);
            }
        }
    }

    private static ObjectNode parseResponse(byte[] body) {
        try {
            JsonNode node = Json.MAPPER.readTree(body);
            return node instanceof ObjectNode object ? object : Json.object();
        } catch (IOException e) {
            // The adapter read this body already; an unreadable one cannot get here.
            return Json.object();
        }
    }

    private static byte[] bytes(JsonNode json) {
        try {
            return Json.MAPPER.writeValueAsBytes(json);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
