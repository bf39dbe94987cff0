package io.hedgerow.api;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hedgerow.route.Router;
import io.hedgerow.json.Json;

import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * {@code GET /v1/models}: the configured routes, as the model ids clients can ask for. One body serves both
 * dialects' SDKs: OpenAI's fields ({@code object}, {@code created}, {@code owned_by}) and Anthropic's ({@code type},
 * {@code display_name}, {@code created_at}, and the page's {@code has_more}, {@code first_id}, {@code last_id}); each
 * reads its own and ignores the others.
 */
public final class ModelsService implements HttpService {
    private final java.util.function.Supplier<Router> router;

    public ModelsService(Router router) {
        this(() -> router);
    }

    /** Lists the routes of whichever router is current (the config may be reloaded). */
    public ModelsService(java.util.function.Supplier<Router> router) {
        this.router = router;
    }

    @Override
    public void routing(HttpRules rules) {
        rules.get("/models", this::list)
                .get("/models/{id}", this::one);
    }

    private void list(ServerRequest req, ServerResponse res) {
        ObjectNode body = Json.object().put("object", "list");
        ArrayNode data = body.putArray("data");
        router.get().routes().keySet().forEach(alias -> data.add(model(alias)));
        body.put("has_more", false);
        if (!data.isEmpty()) {
            body.put("first_id", data.get(0).path("id").asText());
            body.put("last_id", data.get(data.size() - 1).path("id").asText());
        } else {
            body.putNull("first_id").putNull("last_id");
        }
        send(res, 200, body);
    }

    private void one(ServerRequest req, ServerResponse res) {
        String id = req.path().pathParameters().get("id");
        if (router.get().routes().containsKey(id)) {
            send(res, 200, model(id));
        } else {
            send(res, 404, ErrorResponses.body(ErrorResponses.unknownModel(id)));
        }
    }

    private static ObjectNode model(String alias) {
        return Json.object().put("id", alias).put("object", "model").put("created", 0).put("owned_by", "hedgerow")
                .put("type", "model").put("display_name", alias).put("created_at", "1970-01-01T00:00:00Z");
    }

    private static void send(ServerResponse res, int status, ObjectNode body) {
        try {
            res.status(status).header(HeaderNames.CONTENT_TYPE, "application/json")
                    .send(Json.MAPPER.writeValueAsBytes(body));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
