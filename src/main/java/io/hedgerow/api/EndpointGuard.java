package io.hedgerow.api;

import io.hedgerow.config.ApiKey;
import io.hedgerow.config.EndpointAccess;

import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.RoutingRequest;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Guards the router's own pages ({@code /status}, {@code /observe/metrics}) as {@link EndpointAccess} says. A key is
 * the admin key or any client key, sent as {@code Authorization: Bearer KEY}, or, for a browser, as HTTP Basic with
 * the key as password (any user name): the status page's own requests then carry it without the page knowing it.
 * Keys are compared as SHA-256 digests in constant time; a refusal says which header is missing, never the key.
 */
final class EndpointGuard {
    private static final System.Logger LOG = System.getLogger(EndpointGuard.class.getName());

    private EndpointGuard() {
    }

    /**
     * Why this request may not read the endpoint, if it may not.
     *
     * @param mode     the endpoint's access mode
     * @param adminKey the configured admin key
     * @param clients  the configured client keys (hashed)
     * @param what     the endpoint, for the message
     */
    static Optional<ApiException> refusal(RoutingRequest req, EndpointAccess.Mode mode, Optional<ApiKey> adminKey,
                                          ClientKeys clients, boolean clientKeysConfigured, String what) {
        if (mode == EndpointAccess.Mode.OPEN || adminKey.isEmpty() && !clientKeysConfigured) {
            return Optional.empty();
        }
        if (mode == EndpointAccess.Mode.LOOPBACK && fromLoopback(req)) {
            return Optional.empty();
        }
        Optional<String> presented = presentedKey(req);
        if (presented.isPresent()) {
            String key = presented.get();
            boolean admin = adminKey.isPresent()
                    && MessageDigest.isEqual(sha256(key), sha256(adminKey.get().value()));
            if (admin || clients.identify(key).isPresent()) {
                return Optional.empty();
            }
        }
        LOG.log(System.Logger.Level.INFO, "refused {0} {1} from {2}: {3}", req.prologue().method().text(),
                req.path().path(), req.remotePeer().address(), presented.isEmpty() ? "no key" : "an unknown key");
        return Optional.of(new ApiException(401, "invalid_request_error", "unauthorized",
                                            what + " needs the admin key or a client key: Authorization: Bearer KEY",
                                            Optional.empty(),
                                            Map.of("WWW-Authenticate",
                                                   "Bearer realm=\"hedgerow\", Basic realm=\"hedgerow\"")));
    }

    /** The key in {@code Authorization}: a bearer token, or a Basic password. */
    static Optional<String> presentedKey(RoutingRequest req) {
        Optional<String> header = req.headers().first(HeaderNames.AUTHORIZATION).map(String::trim);
        if (header.isEmpty() || header.get().length() < 7) {
            return Optional.empty();
        }
        String value = header.get();
        String scheme = value.substring(0, 6).toLowerCase(Locale.ROOT);
        if (scheme.equals("bearer") && value.charAt(6) == ' ') {
            return Optional.of(value.substring(7).trim()).filter(k -> !k.isEmpty());
        }
        if (scheme.equals("basic ")) {
            try {
                String decoded = new String(Base64.getDecoder().decode(value.substring(6).trim()),
                                            StandardCharsets.UTF_8);
                int colon = decoded.indexOf(':');
                return colon < 0 ? Optional.empty() : Optional.of(decoded.substring(colon + 1)).filter(k -> !k.isEmpty());
            } catch (IllegalArgumentException e) {
                return Optional.empty();
            }
        }
        return Optional.empty();
    }

    private static boolean fromLoopback(RoutingRequest req) {
        return req.remotePeer().address() instanceof InetSocketAddress address && address.getAddress() != null
                && address.getAddress().isLoopbackAddress();
    }

    private static byte[] sha256(String text) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required by every JDK", e);
        }
    }
}
