package io.hedgerow.config;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Who may call the router. With client keys, every {@code /v1} request must carry one as
 * {@code Authorization: Bearer KEY}. Without, the router serves anyone who can reach it, so it may only listen on
 * a loopback address unless config says {@code allow-unauthenticated: true}.
 *
 * @param keys                 the clients, each with the SHA-256 of its key
 * @param allowUnauthenticated whether a non-loopback address may be served without client keys
 */
public record ClientAccess(List<ClientKey> keys, boolean allowUnauthenticated) {
    /** No client keys, loopback only. */
    public static final ClientAccess OPEN_ON_LOOPBACK = new ClientAccess(List.of(), false);

    public ClientAccess {
        keys = List.copyOf(keys);
    }

    /** Whether requests must carry a client key. */
    public boolean required() {
        return !keys.isEmpty();
    }

    /**
     * Why this host may not be served with these settings, if it may not: a non-loopback address without client
     * keys, unless explicitly allowed. A host name that does not resolve is left to the bind to report.
     */
    public Optional<String> refusal(String host) {
        if (required() || allowUnauthenticated || isLoopback(host)) {
            return Optional.empty();
        }
        return Optional.of("'" + host + "' is not a loopback address and no client keys are configured, so anyone "
                                   + "who can reach it could spend your provider credit (expected: "
                                   + "server.client-keys, or allow-unauthenticated: true to serve it open)");
    }

    /** Whether a host names only this machine: {@code localhost}, {@code 127.x.y.z}, {@code ::1}. */
    public static boolean isLoopback(String host) {
        String h = host.trim().toLowerCase(Locale.ROOT);
        if (h.equals("localhost")) {
            return true;
        }
        if (h.startsWith("[") && h.endsWith("]")) {
            h = h.substring(1, h.length() - 1);
        }
        // Only literal addresses are judged here: resolving a name could ask DNS, and a name that resolves to
        // loopback today may not tomorrow.
        if (!h.matches("[0-9.]+") && !h.contains(":")) {
            return false;
        }
        try {
            return InetAddress.getByName(h).isLoopbackAddress();
        } catch (UnknownHostException e) {
            return false;
        }
    }
}
