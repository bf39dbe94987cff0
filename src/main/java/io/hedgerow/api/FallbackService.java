package io.hedgerow.api;

import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

/**
 * Answers what no other service handles under {@code /v1} with a 404 in the shape of the API the path belongs to
 * (Anthropic's under {@code /v1/messages}, else OpenAI's), so SDKs show a readable error instead of an HTML page.
 */
public final class FallbackService implements HttpService {

    @Override
    public void routing(HttpRules rules) {
        rules.any("/v1/*", this::notFound);
    }

    private void notFound(ServerRequest req, ServerResponse res) {
        ErrorFormat.forPath(req.path().path()).send(res, new ApiException(
                404, "invalid_request_error", "unknown_url",
                "Unknown request URL: " + req.prologue().method().text() + " " + req.path().path()
                        + " (Hedgerow serves POST /v1/chat/completions, POST /v1/messages, "
                        + "POST /v1/messages/count_tokens, POST /v1/responses, GET and DELETE /v1/responses/{id}, "
                        + "POST /v1/embeddings and GET /v1/models)"), InboundPipeline.newRequestId());
    }
}
