package io.hedgerow.observe;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hedgerow.config.ApiKey;
import io.hedgerow.json.Json;

import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * {@code /admin}: {@code POST /admin/reload} reloads the config file now. Every admin endpoint needs
 * {@code Authorization: Bearer <server.admin-key>}, compared in constant time (as SHA-256 digests, so not even
 * the length leaks). Without an admin key configured they answer 403 {@code admin_disabled}; a missing or wrong
 * token gets 401.
 */
public final class AdminService implements HttpService {
    private static final System.Logger LOG = System.getLogger(AdminService.class.getName());

    private final Supplier<Optional<ApiKey>> adminKey;
    private final Optional<Function<String, ConfigReloader.Outcome>> reload;

    /**
     * @param adminKey the admin key of the config in use (it may be changed by a reload)
     * @param reload   reloads the config file (empty when the router was started without one)
     */
    public AdminService(Supplier<Optional<ApiKey>> adminKey, Optional<Function<String, ConfigReloader.Outcome>> reload) {
        this.adminKey = adminKey;
        this.reload = reload;
    }

    @Override
    public void routing(HttpRules rules) {
        rules.post("/reload", this::reload);
    }

    private void reload(ServerRequest req, ServerResponse res) {
        if (!authorized(req, res)) {
            return;
        }
        if (reload.isEmpty()) {
            send(res, 409, error("no_config_file", "this router was started without a config file to reload"));
            return;
        }
        ConfigReloader.Outcome outcome = reload.get().apply("admin");
        ObjectNode body = Json.object().put("result", outcome.result()).put("generation", outcome.generation());
        outcome.changes().forEach(body.putArray("changes")::add);
        outcome.errors().forEach(body.putArray("errors")::add);
        outcome.warnings().forEach(body.putArray("warnings")::add);
        send(res, outcome.result().equals("rejected") ? 422 : 200, body);
    }

    private boolean authorized(ServerRequest req, ServerResponse res) {
        Optional<ApiKey> key = adminKey.get();
        if (key.isEmpty()) {
            send(res, 403, error("admin_disabled", "admin endpoints are disabled: set server.admin-key"));
            return false;
        }
        Optional<String> header = req.headers().first(HeaderNames.AUTHORIZATION);
        String presented = header.filter(h -> h.regionMatches(true, 0, "Bearer ", 0, 7))
                .map(h -> h.substring(7).trim()).orElse("");
        if (!MessageDigest.isEqual(sha256(presented), sha256(key.get().value()))) {
            LOG.log(System.Logger.Level.WARNING, "admin request to {0} refused: {1}", req.path().path(),
                    header.isEmpty() ? "no bearer token" : "wrong bearer token");
            res.header(HeaderNames.WWW_AUTHENTICATE, "Bearer realm=\"hedgerow-admin\"");
            send(res, 401, error("unauthorized", "admin endpoints need Authorization: Bearer <server.admin-key>"));
            return false;
        }
        return true;
    }

    private static ObjectNode error(String code, String message) {
        ObjectNode body = Json.object();
        body.putObject("error").put("message", message).put("type", "admin_error").put("code", code);
        return body;
    }

    private static void send(ServerResponse res, int status, ObjectNode body) {
        try {
            res.status(status).header(HeaderNames.CONTENT_TYPE, "application/json")
                    .send(Json.MAPPER.writeValueAsBytes(body));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static byte[] sha256(String text) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required by every JDK", e);
        }
    }
}
