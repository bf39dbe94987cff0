package io.hedgerow.api;

import io.hedgerow.dialect.InvalidRequestException;
import io.hedgerow.dialect.openai.EmbeddingsCodec;
import io.hedgerow.exec.Served;
import io.hedgerow.model.EmbeddingRequest;
import io.hedgerow.model.EmbeddingResponse;
import io.hedgerow.route.Candidate;
import io.hedgerow.route.RoutePlan;

import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * {@code POST /v1/embeddings}: OpenAI's embeddings API over the shared {@link InboundPipeline}, served by
 * OpenAI-compatible providers, Ollama and the simulator with the same keys, breakers, cooldowns, retries, hedges and
 * bulkheads as chat, a large request split into batches within the route's limits and its vectors put back in order.
 *
 * <p>Failover only where vectors stay comparable: a route with more than one candidate serves embeddings only when
 * its candidates declare an {@code embedding-space} (config checks that it is one and the same); a request that one
 * candidate cannot take (token arrays to Ollama) passes it over, and one that none can take is a 400 naming each.
 */
public final class EmbeddingsService implements HttpService {
    private final InboundPipeline pipeline;
    private final Api api = new Api();

    public EmbeddingsService(EngineLeases engines, RequestObserver observer, JsonBodyReader bodies) {
        this.pipeline = new InboundPipeline(engines, observer, bodies);
    }

    @Override
    public void routing(HttpRules rules) {
        rules.post("/embeddings", (req, res) -> pipeline.handle(req, res, api));
    }

    private static final class Api implements InboundPipeline.Api {
        @Override
        public String name() {
            return "embeddings";
        }

        @Override
        public ErrorFormat errors() {
            return ErrorFormat.OPENAI;
        }

        @Override
        public void serve(InboundPipeline.Inbound in) throws ApiException {
            EmbeddingsCodec.Read read;
            try {
                read = EmbeddingsCodec.readRequest(in.json());
            } catch (InvalidRequestException e) {
                throw ErrorResponses.invalidRequest(e);
            }
            EmbeddingRequest request = read.request();
            RoutePlan plan = in.plan(request.model());
            requireOneSpace(plan);
            requireServable(plan, request);
            in.exchange().routed(plan, false, request.estimatedTokens());
            Served<EmbeddingResponse> served = in.whole(
                    timeout -> in.engine().executor().embed(request, plan, timeout));
            in.sendJson(EmbeddingsCodec.writeAnswer(served.value(), read.base64()));
            in.exchange().completed(served.value().usage(), 0);
        }
    }

    /**
     * A route that could fail over must say its candidates' vectors are comparable: config refuses a route whose
     * candidates declare different spaces, or only some declare one; a route where none declares one may serve
     * embeddings only with a single candidate.
     */
    private static void requireOneSpace(RoutePlan plan) throws ApiException {
        if (plan.candidates().size() < 2) {
            return;
        }
        Candidate first = plan.candidates().getFirst();
        if (first.provider().embeddingSpace(first.model()).isEmpty()) {
            throw new ApiException(400, "invalid_request_error", "no_embedding_space",
                                   "Route '" + plan.alias() + "' has " + plan.candidates().size() + " candidates and "
                                           + "they declare no embedding space: failing over between models whose "
                                           + "vectors are not known to be comparable would corrupt the caller's "
                                           + "index. Declare embedding-space on each candidate's model (see "
                                           + "docs/embeddings.md), or call one provider/model directly.",
                                   Optional.of("model"), Map.of());
        }
    }

    /** Refuses, naming each candidate, a request that no candidate of the route can serve as asked. */
    private static void requireServable(RoutePlan plan, EmbeddingRequest request) throws ApiException {
        List<String> refusals = new ArrayList<>();
        for (Candidate candidate : plan.candidates()) {
            Optional<String> why = candidate.client().cannotEmbed(request);
            if (why.isEmpty()) {
                return;
            }
            refusals.add(candidate.label() + " (" + why.get() + ")");
        }
        throw ErrorResponses.unsupportedByRoute(plan.alias(), refusals);
    }
}
