package io.hedgerow.api;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hedgerow.dialect.InvalidRequestException;
import io.hedgerow.dialect.openai.OpenAiRequestCodec;
import io.hedgerow.dialect.openai.OpenAiResponseCodec;
import io.hedgerow.exec.ChatExecutor;
import io.hedgerow.exec.LiveStream;
import io.hedgerow.exec.StreamFailedException;
import io.hedgerow.exec.Served;
import io.hedgerow.json.Json;
import io.hedgerow.model.ChatRequest;
import io.hedgerow.model.ChatResponse;
import io.hedgerow.model.Dialect;
import io.hedgerow.model.FinishReason;
import io.hedgerow.model.StreamEvent;
import io.hedgerow.model.Usage;
import io.hedgerow.model.WireBody;
import io.hedgerow.model.WireRequest;
import io.hedgerow.route.Router;

import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;

/**
 * {@code POST /v1/chat/completions}: parses the OpenAI request and answers it, as one JSON body or as server-sent
 * events, over the shared {@link InboundPipeline}. Every request gets exactly one answer: a success, or one
 * OpenAI-style error (a JSON error body before the stream started, an SSE error event after, never {@code [DONE]}
 * after a broken answer), logged once.
 *
 * <p>Served by an OpenAI-compatible provider, the answer is relayed as that provider produced it (its body, or its
 * chunks as they came); served by another dialect, it is encoded from the canonical answer.
 */
public final class ChatCompletionsService implements HttpService {
    private static final System.Logger LOG = System.getLogger(ChatCompletionsService.class.getName());

    private final InboundPipeline pipeline;
    private final Clock clock;
    private final InboundPipeline.Api api = new Api();

    /** A service on one fixed router and executor, observed by nobody. */
    public ChatCompletionsService(Router router, ChatExecutor executor, long maxBodyBytes, Clock clock) {
        this(EngineLeases.fixed(new Engine(router, executor, maxBodyBytes)), RequestObserver.NONE, clock,
             JsonBodyReader.create());
    }

    /**
     * @param engines  the current router and executor, taken at the start of each request and held until it ends (a
     *                 config reload swaps them; requests in flight finish on the ones they started with)
     * @param observer told how each request goes (metrics, cost, events)
     * @param clock    for the {@code created} field of answers
     * @param bodies   reads request bodies within the router's limits and memory budget (one per router)
     */
    public ChatCompletionsService(EngineLeases engines, RequestObserver observer, Clock clock, JsonBodyReader bodies) {
        this.pipeline = new InboundPipeline(engines, observer, bodies);
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    @Override
    public void routing(HttpRules rules) {
        rules.post("/chat/completions", (req, res) -> pipeline.handle(req, res, api));
    }

    private final class Api implements InboundPipeline.Api, InboundPipeline.Answering {
        @Override
        public String name() {
            return "chat_completions";
        }

        @Override
        public ErrorFormat errors() {
            return ErrorFormat.OPENAI;
        }

        @Override
        public void serve(InboundPipeline.Inbound in) throws ApiException {
            ChatRequest parsed;
            try {
                parsed = OpenAiRequestCodec.parse(in.json());
            } catch (InvalidRequestException e) {
                throw ErrorResponses.invalidRequest(e);
            }
            WireRequest wire = new WireRequest(Dialect.OPENAI, in.body(), Map.of(), Optional.empty());
            ChatRequest request = new ChatRequest(parsed.model(), parsed.messages(), parsed.tools(),
                                                  parsed.toolChoice(), parsed.sampling(), parsed.stream(),
                                                  parsed.includeUsage(), parsed.passthrough(), Optional.of(wire));
            in.chat(request, this);
        }

        @Override
        public void complete(InboundPipeline.Inbound in, ChatRequest request, Served<ChatResponse> served) {
            ChatResponse response = served.value();
            Optional<WireBody> wire = response.wire().filter(w -> w.dialect() == Dialect.OPENAI);
            try {
                in.answer(response, wire.isPresent() ? wire.get().body() : Json.MAPPER.writeValueAsBytes(
                        OpenAiResponseCodec.write(response, newCompletionId(), clock.millis() / 1000)));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        @Override
        public void stream(InboundPipeline.Inbound in, ChatRequest request, Served<LiveStream> served) {
            in.events(sse -> new Relay(sse, request, newCompletionId(), clock.millis() / 1000,
                                       served.servedBy().model(), in.requestId(), in.exchange())
                    .run(served.value()));
        }
    }

    /**
     * Relays one answer as chunks. An OpenAI-compatible upstream's chunks go out as they came ({@link
     * StreamEvent.WireFrame}s), the canonical events they cover skipped; anything else is encoded. Every encoded chunk
     * carries the same envelope: the upstream's {@link StreamEvent.Metadata} when it came before the first piece,
     * else the configured model. The role chunk goes out just before the first encoded piece, or before the end or
     * error when there was none.
     */
    private static final class Relay {
        private final SseWriter sse;
        private final ChatRequest request;
        private final String id;
        private final long created;
        private final String requestId;
        private final RequestObserver.Exchange exchange;
        private StreamEvent.Metadata origin;
        private boolean started;
        private boolean finished;
        private int covered;
        private Optional<Usage> usage = Optional.empty();
        private long outputChars;

        Relay(SseWriter sse, ChatRequest request, String id, long created, String model, String requestId,
              RequestObserver.Exchange exchange) {
            this.sse = sse;
            this.request = request;
            this.id = id;
            this.created = created;
            this.requestId = requestId;
            this.exchange = exchange;
            this.origin = new StreamEvent.Metadata(model, Optional.empty(), Optional.empty());
        }

        void run(LiveStream live) {
            while (true) {
                Optional<StreamEvent> event;
                try {
                    event = live.next();
                } catch (StreamFailedException e) {
                    // Once the first token has been sent there is no status code left to change: say it in-band.
                    LOG.log(System.Logger.Level.WARNING, "request {0}: stream from {1} broke: {2}", requestId,
                            origin.model(), e.getMessage());
                    if (!started) {
                        roleChunk();
                    }
                    ApiException error = StreamErrors.of(e.failure());
                    sse.data(ErrorResponses.body(error));
                    exchange.failed(502, error.code());
                    return;
                }
                if (event.isEmpty()) {
                    break;
                }
                accept(event.get());
            }
            if (!started) {
                roleChunk();
            }
            if (!finished) {
                LOG.log(System.Logger.Level.WARNING, "request {0}: stream ended without a finish reason", requestId);
                sse.data(ErrorResponses.body(StreamErrors.incomplete()));
                exchange.failed(502, "upstream_stream_incomplete");
                return;
            }
            sse.done();
            exchange.completed(usage, outputChars);
        }

        private void accept(StreamEvent event) {
            if (event instanceof StreamEvent.WireFrame frame) {
                if (frame.dialect() == Dialect.OPENAI) {
                    covered = frame.covers();
                    started = true;
                    sse.raw(frame.data());
                }
                return;
            }
            if (event instanceof StreamEvent.Notice notice) {
                covered = 0;
                sse.comment(notice.text());
                return;
            }
            boolean relayed = covered > 0;
            if (relayed) {
                covered--;
            }
            outputChars += AnswerSize.chars(event);
            switch (event) {
            case StreamEvent.Metadata metadata -> {
                if (!started) {
                    origin = metadata;
                }
            }
            case StreamEvent.Finished f -> {
                finished = true;
                if (!relayed) {
                    started();
                    sse.data(OpenAiResponseCodec.deltaChunk(id, created, origin, Json.object(), Optional.empty(),
                                                            Optional.of(f.reason())));
                }
            }
            case StreamEvent.UsageReported u -> {
                usage = Optional.of(u.usage());
                if (!relayed && request.includeUsage()) {
                    started();
                    sse.data(OpenAiResponseCodec.usageChunk(id, created, origin, u.usage()));
                }
            }
            default -> {
                if (!relayed) {
                    started();
                    sse.data(OpenAiResponseCodec.deltaChunk(id, created, origin, OpenAiResponseCodec.delta(event),
                                                            OpenAiResponseCodec.logprobs(event),
                                                            Optional.<FinishReason>empty()));
                }
            }
            }
        }

        private void started() {
            if (!started) {
                started = true;
                roleChunk();
            }
        }

        private void roleChunk() {
            ObjectNode role = Json.object().put("role", "assistant").put("content", "");
            sse.data(OpenAiResponseCodec.deltaChunk(id, created, origin, role, Optional.empty(), Optional.empty()));
        }
    }

    private static String newCompletionId() {
        return "chatcmpl-" + Long.toHexString(ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE);
    }
}
