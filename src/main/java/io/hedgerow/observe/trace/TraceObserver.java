package io.hedgerow.observe.trace;

import io.hedgerow.api.RequestObserver;
import io.hedgerow.config.ProviderType;
import io.hedgerow.exec.AttemptRecord;
import io.hedgerow.exec.AttemptRole;
import io.hedgerow.exec.ChainFailedException;
import io.hedgerow.exec.ExecutionEvent;
import io.hedgerow.exec.ExecutionListener;
import io.hedgerow.exec.Served;
import io.hedgerow.model.ChatRequest;
import io.hedgerow.model.ChatResponse;
import io.hedgerow.model.Failure;
import io.hedgerow.model.FailureKind;
import io.hedgerow.model.Usage;
import io.hedgerow.provider.UpstreamTrace;
import io.hedgerow.route.Candidate;
import io.hedgerow.route.RoutePlan;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapGetter;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * Turns each chat request into a trace: a {@code SERVER} span for the client's request (continuing the client's trace
 * when it sent a W3C {@code traceparent}), a {@code CLIENT} span per upstream attempt, children of it, and span events
 * for what the router decided (a hedge fired, a failover, a stream resumed on another candidate, a hedge refused by the
 * budget, a candidate skipped). Attributes follow the OpenTelemetry GenAI semantic conventions ({@link GenAi}) plus
 * Hedgerow's own ({@code hedgerow.*}): the attempt's role, its outcome ({@code won}, {@code lost_cancelled}: another
 * attempt won and this one was cancelled at once, {@code cancelled}: the request ended, {@code failed} with its class), the key's label (never its value) and the time to the first token.
 *
 * <p>Each attempt's span context is put in {@link UpstreamTrace} on the request's thread when the attempt starts, just
 * before its thread starts: the upstream call then carries that span's own {@code traceparent}.
 *
 * <p>Prompts and completions are recorded ({@code gen_ai.input.messages}, {@code gen_ai.output.messages}) only with
 * {@code capture-content: true}; keys never are: nothing here reads a key's value.
 *
 * <p>Threads: a request's events arrive on its own thread, where {@link #begin} bound its trace; the attempt spans are
 * kept by attempt number in that trace.
 */
public final class TraceObserver implements RequestObserver.HeaderAware, ExecutionListener {
    private static final ThreadLocal<RequestTrace> CURRENT = new ThreadLocal<>();
    /** The executor's reason for cancelling a race's losers. */
    private static final String LOST = "another attempt won";
    private static final TextMapGetter<Function<String, Optional<String>>> HEADERS = new TextMapGetter<>() {
        @Override
        public Iterable<String> keys(Function<String, Optional<String>> carrier) {
            return List.of("traceparent", "tracestate");
        }

        @Override
        public String get(Function<String, Optional<String>> carrier, String key) {
            return carrier == null ? null : carrier.apply(key).orElse(null);
        }
    };

    private final Tracing tracing;

    public TraceObserver(Tracing tracing) {
        this.tracing = tracing;
    }

    @Override
    public Exchange begin(String requestId, String api, Optional<String> tag,
                          Function<String, Optional<String>> header) {
        if (!tracing.enabled()) {
            return Exchange.NONE;
        }
        Context parent = Tracing.PROPAGATOR.extract(Context.root(), header, HEADERS);
        String operation = api.equals("embeddings") ? "embeddings" : GenAi.CHAT;
        Span span = tracing.tracer().spanBuilder(operation).setParent(parent).setSpanKind(SpanKind.SERVER)
                .setAttribute(GenAi.OPERATION, operation)
                .setAttribute("http.request.method", "POST")
                .setAttribute("hedgerow.request.id", requestId)
                .setAttribute("hedgerow.api", api)
                .startSpan();
        tag.ifPresent(t -> span.setAttribute("hedgerow.tag", GenAi.bounded(t)));
        RequestTrace trace = new RequestTrace(span, operation, tracing.settings().captureContent());
        CURRENT.set(trace);
        return trace;
    }

    @Override
    public void onEvent(ExecutionEvent event) {
        RequestTrace trace = CURRENT.get();
        if (trace == null) {
            return;
        }
        switch (event) {
        case ExecutionEvent.AttemptStarted started -> trace.attemptStarted(tracing, started);
        case ExecutionEvent.AttemptEnded ended -> trace.attemptEnded(ended);
        case ExecutionEvent.CandidateSkipped skipped -> trace.server.addEvent("hedgerow.candidate.skipped",
                Attributes.of(GenAi.CANDIDATE, skipped.record().candidate().label(),
                              GenAi.REASON, String.valueOf(skipped.reason())));
        case ExecutionEvent.HedgeRefused refused -> trace.server.addEvent("hedgerow.hedge.refused");
        case ExecutionEvent.StreamResumed resumed -> trace.server.addEvent("hedgerow.stream.resumed", Attributes.of(
                AttributeKey.stringKey("hedgerow.from"), resumed.from().label(),
                AttributeKey.stringKey("hedgerow.to"), resumed.to().label(),
                AttributeKey.longKey("hedgerow.delivered_tokens"), (long) resumed.deliveredTokens(),
                AttributeKey.stringKey("hedgerow.how"), resumed.how()));
        }
    }

    /** One request's spans: the server span and its attempts in flight, by attempt number. */
    private static final class RequestTrace implements Exchange {
        private final Span server;
        private final String operation;
        private final boolean captureContent;
        private final Map<Integer, Span> attempts = new HashMap<>();
        private boolean stream;

        RequestTrace(Span server, String operation, boolean captureContent) {
            this.server = server;
            this.operation = operation;
            this.captureContent = captureContent;
        }

        void attemptStarted(Tracing tracing, ExecutionEvent.AttemptStarted started) {
            AttemptRecord record = started.attempt();
            Candidate candidate = record.candidate();
            Span span = tracing.tracer().spanBuilder(operation + " " + candidate.model())
                    .setParent(Context.root().with(server)).setSpanKind(SpanKind.CLIENT)
                    .setAttribute(GenAi.OPERATION, operation)
                    .setAttribute(GenAi.PROVIDER_NAME, providerName(candidate.provider().type()))
                    .setAttribute(GenAi.REQUEST_MODEL, candidate.model())
                    .setAttribute("hedgerow.provider", candidate.provider().name())
                    .setAttribute("hedgerow.attempt.number", (long) started.number())
                    .setAttribute("hedgerow.attempt.role", record.role().wireName())
                    .startSpan();
            candidate.provider().baseUrl().ifPresent(u -> span.setAttribute("server.address", u.getHost()));
            record.keyLabel().ifPresent(label -> span.setAttribute("hedgerow.key.label", label));
            attempts.put(started.number(), span);
            Map<String, String> headers = new HashMap<>();
            Tracing.PROPAGATOR.inject(Context.root().with(span), headers, Map::put);
            UpstreamTrace.set(headers);
            Attributes what = Attributes.of(GenAi.CANDIDATE, candidate.label(),
                                            AttributeKey.longKey("hedgerow.attempt.number"), (long) started.number());
            if (record.role() == AttemptRole.HEDGE || record.role() == AttemptRole.PROBE) {
                server.addEvent("hedgerow.hedge.fired", what.toBuilder()
                        .put("hedgerow.attempt.role", record.role().wireName()).build());
            } else if (record.role() == AttemptRole.FALLBACK) {
                server.addEvent("hedgerow.failover", what);
            } else if (record.role() == AttemptRole.RETRY) {
                server.addEvent("hedgerow.retry", what);
            }
        }

        void attemptEnded(ExecutionEvent.AttemptEnded ended) {
            Span span = attempts.remove(ended.number());
            if (span == null) {
                return;
            }
            Optional<Failure> failure = ended.attempt().failure();
            double millis = ended.elapsedNanos() / 1e6;
            if (failure.isEmpty()) {
                span.setAttribute("hedgerow.attempt.outcome", "won");
                // A streamed attempt serves when its first token arrives: its span ends there.
                span.setAttribute(stream ? "hedgerow.time_to_first_token_ms" : "hedgerow.duration_ms", millis);
            } else if (failure.get().kind() == FailureKind.CANCELLED) {
                // Lost the race (another attempt won, this one was cancelled at once), or the request ended.
                boolean lost = failure.get().message().equals(LOST);
                span.setAttribute("hedgerow.attempt.outcome", lost ? "lost_cancelled" : "cancelled");
                span.setAttribute("hedgerow.cancelled.reason", failure.get().message());
            } else {
                Failure f = failure.get();
                span.setAttribute("hedgerow.attempt.outcome", "failed");
                span.setAttribute("hedgerow.failure.class", GenAi.kind(f.kind()));
                span.setAttribute("error.type", GenAi.kind(f.kind()));
                if (f.status() > 0) {
                    span.setAttribute("http.response.status_code", (long) f.status());
                }
                span.setStatus(StatusCode.ERROR, f.summary());
            }
            span.end();
        }

        @Override
        public void routed(RoutePlan plan, boolean streamed, long promptTokens) {
            // A request that is no chat (embeddings): its route names the span.
            stream = streamed;
            server.updateName(operation + " " + plan.alias());
            server.setAttribute(GenAi.REQUEST_MODEL, plan.alias());
            server.setAttribute("hedgerow.stream", streamed);
        }

        @Override
        public void routed(RoutePlan plan, ChatRequest request) {
            stream = request.stream();
            server.updateName(operation + " " + plan.alias());
            server.setAttribute(GenAi.REQUEST_MODEL, plan.alias());
            server.setAttribute("hedgerow.stream", request.stream());
            request.sampling().maxTokens().ifPresent(m -> server.setAttribute(GenAi.MAX_TOKENS, (long) m));
            request.sampling().temperature().ifPresent(t -> server.setAttribute(GenAi.TEMPERATURE, t));
            request.sampling().topP().ifPresent(p -> server.setAttribute(GenAi.TOP_P, p));
            if (captureContent) {
                server.setAttribute(GenAi.INPUT_MESSAGES, GenAi.messages(request.messages()));
            }
        }

        @Override
        public void served(Served<?> served) {
            Candidate by = served.servedBy();
            server.setAttribute(GenAi.PROVIDER_NAME, providerName(by.provider().type()));
            server.setAttribute("hedgerow.provider", by.provider().name());
            server.setAttribute(GenAi.RESPONSE_MODEL, by.model());
            server.setAttribute("hedgerow.hedged", served.hedged());
            served.fallbackReason().ifPresent(r -> server.setAttribute("hedgerow.fallback.reason", r));
            if (served.value() instanceof ChatResponse response) {
                server.setAttribute(GenAi.RESPONSE_MODEL, response.model());
                server.setAttribute(GenAi.FINISH_REASONS, List.of(response.finishReason().wireName()));
                if (captureContent) {
                    server.setAttribute(GenAi.OUTPUT_MESSAGES, GenAi.messages(List.of(response.message())));
                }
            }
        }

        @Override
        public void completed(Optional<Usage> usage, long outputChars) {
            usage.ifPresent(u -> {
                server.setAttribute(GenAi.INPUT_TOKENS, (long) u.promptTokens());
                server.setAttribute(GenAi.OUTPUT_TOKENS, (long) u.completionTokens());
            });
            server.setAttribute("http.response.status_code", 200L);
        }

        @Override
        public void chainFailed(ChainFailedException failure) {
            server.setAttribute("hedgerow.chain_failed", true);
        }

        @Override
        public void failed(int status, String code) {
            server.setAttribute("http.response.status_code", (long) status);
            server.setAttribute("error.type", code);
            server.setStatus(StatusCode.ERROR, code);
        }

        @Override
        public void close() {
            // Attempts still open (a stream's losers are ended by their events; this is a backstop).
            attempts.values().forEach(Span::end);
            attempts.clear();
            server.end();
            CURRENT.remove();
            UpstreamTrace.set(Map.of());
        }
    }

    /** The GenAI conventions' {@code gen_ai.provider.name} of a provider type. */
    static String providerName(ProviderType type) {
        return switch (type) {
            case OPENAI -> "openai";
            case ANTHROPIC -> "anthropic";
            case BEDROCK -> "aws.bedrock";
            case OLLAMA -> "ollama";
            case SIM -> "hedgerow.sim";
        };
    }
}
