package io.hedgerow.api;

import io.hedgerow.dialect.InvalidRequestException;
import io.hedgerow.dialect.SseFrame;
import io.hedgerow.dialect.anthropic.AnthropicHeaders;
import io.hedgerow.dialect.anthropic.MessagesRequestReader;
import io.hedgerow.dialect.anthropic.MessagesResponseWriter;
import io.hedgerow.dialect.anthropic.MessagesStreamEncoder;
import io.hedgerow.dialect.anthropic.UnsignedThinking;
import io.hedgerow.exec.LiveStream;
import io.hedgerow.exec.StreamFailedException;
import io.hedgerow.exec.Served;
import io.hedgerow.json.Json;
import io.hedgerow.model.ChatRequest;
import io.hedgerow.model.ChatResponse;
import io.hedgerow.model.Dialect;
import io.hedgerow.model.StreamEvent;
import io.hedgerow.model.Usage;
import io.hedgerow.model.WireBody;
import io.hedgerow.model.WireRequest;
import io.hedgerow.route.RoutePlan;

import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;

/**
 * {@code POST /v1/messages}: Anthropic's Messages API over the shared {@link InboundPipeline}, as one {@code message}
 * or as Anthropic's server-sent events, with errors in Anthropic's shape ({@link ErrorFormat#ANTHROPIC}). Served by
 * an Anthropic provider, the answer is relayed as it came (its body, or its events); served by another dialect, it is
 * written from the canonical answer. A committed stream that waits sends a {@code ping} every
 * {@value #PING_SECONDS} seconds, and a failure after commit is an {@code error} event.
 *
 * <p>{@code POST /v1/messages/count_tokens} is answered by the route's first Anthropic candidate that counts
 * ({@code x-hedgerow-token-count: upstream}), else by the router's estimate (4 characters a token,
 * {@code x-hedgerow-token-count: estimate}).
 */
public final class MessagesService implements HttpService {
    private static final System.Logger LOG = System.getLogger(MessagesService.class.getName());
    static final int PING_SECONDS = 10;

    private final InboundPipeline pipeline;
    private final Messages messages = new Messages();
    private final CountTokens countTokens = new CountTokens();

    /**
     * @param bodies reads request bodies within the router's limits and memory budget (one per router); it keeps
     *               decimals exact, so tool inputs are relayed, never rounded
     */
    public MessagesService(EngineLeases engines, RequestObserver observer, JsonBodyReader bodies) {
        this.pipeline = new InboundPipeline(engines, observer, bodies);
    }

    @Override
    public void routing(HttpRules rules) {
        rules.post("/messages", (req, res) -> pipeline.handle(req, res, messages));
        rules.post("/messages/count_tokens", (req, res) -> pipeline.handle(req, res, countTokens));
    }

    /** The client's Anthropic headers, checked, as the wire form carries them; dropped betas are reported. */
    private static AnthropicHeaders.Kept headers(InboundPipeline.Inbound in) throws ApiException {
        try {
            AnthropicHeaders.Kept kept = AnthropicHeaders.read(
                    in.req().headers().first(HeaderNames.create(AnthropicHeaders.VERSION)),
                    in.req().headers().all(HeaderNames.create(AnthropicHeaders.BETA), List::of));
            if (!kept.dropped().isEmpty()) {
                in.res().header("x-hedgerow-dropped-betas", String.join(",", kept.dropped()));
            }
            return kept;
        } catch (InvalidRequestException e) {
            throw ErrorResponses.invalidRequest(e);
        }
    }

    private static ChatRequest withWire(InboundPipeline.Inbound in, MessagesRequestReader.Read read,
                                        AnthropicHeaders.Kept headers) {
        ChatRequest r = read.request();
        byte[] body = UnsignedThinking.strip(in.json()).orElse(in.body());
        WireRequest wire = new WireRequest(Dialect.ANTHROPIC, body, headers.forwarded(), read.ownDialectOnly());
        return new ChatRequest(r.model(), r.messages(), r.tools(), r.toolChoice(), r.sampling(), r.stream(),
                               r.includeUsage(), r.passthrough(), Optional.of(wire));
    }

    private abstract static class AnthropicApi implements InboundPipeline.Api {
        @Override
        public ErrorFormat errors() {
            return ErrorFormat.ANTHROPIC;
        }
    }

    private static final class Messages extends AnthropicApi {
        @Override
        public String name() {
            return "messages";
        }

        @Override
        public void serve(InboundPipeline.Inbound in) throws ApiException {
            MessagesRequestReader.Read read;
            try {
                read = MessagesRequestReader.read(in.json());
            } catch (InvalidRequestException e) {
                throw ErrorResponses.invalidRequest(e);
            }
            in.chat(withWire(in, read, headers(in)), new Answering(read.thinking()));
        }
    }

    private record Answering(boolean thinking) implements InboundPipeline.Answering {
        @Override
        public void complete(InboundPipeline.Inbound in, ChatRequest request, Served<ChatResponse> served) {
            ChatResponse response = served.value();
            Optional<WireBody> wire = response.wire().filter(w -> w.dialect() == Dialect.ANTHROPIC);
            try {
                in.answer(response, wire.isPresent() ? wire.get().body() : Json.MAPPER.writeValueAsBytes(
                        MessagesResponseWriter.message(response, newMessageId(), thinking)));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        @Override
        public void stream(InboundPipeline.Inbound in, ChatRequest request, Served<LiveStream> served) {
            MessagesStreamEncoder encoder = new MessagesStreamEncoder(newMessageId(), served.servedBy().model(),
                                                                      thinking);
            in.events(sse -> relay(served.value(), sse, encoder, in));
        }

        private static void relay(LiveStream live, SseWriter sse, MessagesStreamEncoder encoder,
                                  InboundPipeline.Inbound in) {
            Optional<Usage> usage = Optional.empty();
            long outputChars = 0;
            boolean finished = false;
            SseFrame ping = MessagesStreamEncoder.ping();
            try (Pinger pinger = Pinger.start(sse, () -> sse.event(ping.event(), ping.data()),
                                              Duration.ofSeconds(PING_SECONDS))) {
                while (true) {
                    Optional<StreamEvent> event;
                    try {
                        event = live.next();
                    } catch (StreamFailedException e) {
                        pinger.close();
                        LOG.log(System.Logger.Level.WARNING, "request {0}: stream broke: {1}", in.requestId(),
                                e.getMessage());
                        fail(sse, encoder, in, StreamErrors.of(e.failure()));
                        return;
                    }
                    if (event.isEmpty()) {
                        break;
                    }
                    switch (event.get()) {
                    case StreamEvent.UsageReported u -> usage = Optional.of(u.usage());
                    case StreamEvent.Finished f -> finished = true;
                    default -> outputChars += AnswerSize.chars(event.get());
                    }
                    sse.frames(encoder.accept(event.get()));
                }
            }
            if (!finished) {
                LOG.log(System.Logger.Level.WARNING, "request {0}: stream ended without a stop", in.requestId());
                fail(sse, encoder, in, StreamErrors.incomplete());
                return;
            }
            sse.frames(encoder.end());
            sse.finished();
            in.exchange().completed(usage, outputChars);
        }

        private static void fail(SseWriter sse, MessagesStreamEncoder encoder, InboundPipeline.Inbound in,
                                 ApiException error) {
            // The stream has begun (a first token decided the race): the error goes in-band, in Anthropic's shape.
            SseFrame frame = MessagesStreamEncoder.error(
                    ErrorFormat.type(ErrorFormat.ANTHROPIC.status(error)), error.getMessage());
            sse.event(frame.event(), frame.data());
            in.exchange().failed(error.status(), error.code());
        }
    }

    private static final class CountTokens extends AnthropicApi {
        @Override
        public String name() {
            return "count_tokens";
        }

        @Override
        public void serve(InboundPipeline.Inbound in) throws ApiException {
            MessagesRequestReader.Read read;
            try {
                read = MessagesRequestReader.readCount(in.json());
            } catch (InvalidRequestException e) {
                throw ErrorResponses.invalidRequest(e);
            }
            ChatRequest request = withWire(in, read, headers(in));
            RoutePlan plan = in.plan(request.model());
            in.exchange().routed(plan, request);
            TokenCount count = TokenCount.of(plan, request);
            in.res().header("x-hedgerow-token-count", count.source());
            count.countedBy().ifPresent(label -> in.res().header("x-hedgerow-provider", label));
            in.sendJson(("{\"input_tokens\":" + count.inputTokens() + "}").getBytes(StandardCharsets.US_ASCII));
            in.exchange().completed(Optional.empty(), 0);
        }
    }

    private static String newMessageId() {
        return "msg_hr" + Long.toHexString(ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE);
    }
}
