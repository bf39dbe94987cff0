package io.hedgerow.config;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/** Binds {@code server}: the address, request limits, the admin key and who may call. */
final class ServerBinder {
    static final Keys SERVER = Keys.of("server", "host", "port", "max-body-size", "request-timeout", "admin-key",
                                       "client-keys", "allow-unauthenticated", "max-concurrent-requests",
                                       "max-connections", "max-header-size", "read-timeout", "write-timeout",
                                       "idle-timeout", "drain-timeout", "status-access", "metrics-access");
    static final Keys CLIENT_KEY = Keys.of("server.client-keys[i]", "name", "sha256", "rate-limit", "burst");

    private final Secrets secrets;

    ServerBinder(Secrets secrets) {
        this.secrets = secrets;
    }

    static List<Keys> keys() {
        return List.of(SERVER, CLIENT_KEY);
    }

    ServerSettings bind(ConfigNode node) {
        node.check(SERVER);
        String host = node.get("host").text().orElse("127.0.0.1");
        int port = node.get("port").integer(0, 65535).orElse(8080);
        long maxBody = node.get("max-body-size").size().orElse(ServerSettings.DEFAULT_MAX_BODY);
        Duration requestTimeout = node.get("request-timeout").duration().orElse(Duration.ofMinutes(5));
        Optional<ApiKey> adminKey = secrets.resolve(node.get("admin-key"), Optional.of("admin"))
                .map(Secrets.Resolved::key);
        return new ServerSettings(host, port, maxBody, requestTimeout, adminKey, clientAccess(node, host),
                                  limits(node), new EndpointAccess(
                                          mode(node.get("status-access"), EndpointAccess.DEFAULTS.status()),
                                          mode(node.get("metrics-access"), EndpointAccess.DEFAULTS.metrics())));
    }

    private static EndpointAccess.Mode mode(ConfigNode node, EndpointAccess.Mode fallback) {
        Optional<String> text = node.text();
        if (text.isEmpty()) {
            return fallback;
        }
        Optional<EndpointAccess.Mode> mode = EndpointAccess.Mode.parse(text.get());
        if (mode.isEmpty()) {
            node.error("'" + text.get() + "' (expected: keys, loopback or open)");
        }
        return mode.orElse(fallback);
    }

    private static ClientAccess clientAccess(ConfigNode node, String host) {
        List<ClientKey> keys = new ArrayList<>();
        ConfigNode list = node.get("client-keys");
        if (list.exists() && !list.isList()) {
            list.error("must be a list of {name, sha256}");
        }
        Set<String> names = new LinkedHashSet<>();
        Set<String> hashes = new LinkedHashSet<>();
        for (ConfigNode entry : list.items()) {
            entry.check(CLIENT_KEY);
            Optional<String> name = entry.get("name").text();
            Optional<String> hash = entry.get("sha256").text().map(String::trim);
            if (name.isEmpty() || hash.isEmpty()) {
                entry.error("needs a name and a sha256 (print one with: hedgerow hash-key)");
                continue;
            }
            Optional<Integer> perMinute = entry.get("rate-limit").integer(1, 1_000_000);
            Optional<Integer> burst = entry.get("burst").integer(1, 1_000_000);
            if (burst.isPresent() && perMinute.isEmpty()) {
                entry.get("burst").error("given without a rate-limit (expected: rate-limit: requests per minute)");
            }
            try {
                ClientKey client = new ClientKey(name.get(), hash.get(),
                        perMinute.map(n -> new ClientKey.RateLimit(n, burst.orElse(n))));
                if (!names.add(client.name())) {
                    entry.get("name").error("'" + client.name() + "' names two clients");
                } else if (!hashes.add(client.sha256())) {
                    entry.get("sha256").error("the same key as an earlier client (each client needs its own)");
                } else {
                    keys.add(client);
                }
            } catch (IllegalArgumentException e) {
                entry.get("sha256").error("'" + hash.get() + "' (expected: 64 hex digits, as printed by "
                        + "hedgerow hash-key)");
            }
        }
        boolean allow = node.get("allow-unauthenticated").bool().orElse(false);
        ClientAccess access = new ClientAccess(keys, allow);
        access.refusal(host).ifPresent(why -> node.get("host").error(why));
        return access;
    }

    private static ServerLimits limits(ConfigNode node) {
        ServerLimits d = ServerLimits.DEFAULTS;
        int requests = node.get("max-concurrent-requests").integer(1, 100_000).orElse(d.maxConcurrentRequests());
        Optional<Integer> connections = node.get("max-connections").integer(1, 1_000_000);
        if (connections.isPresent() && connections.get() < requests) {
            // Over HTTP/1.1 each request in flight holds a connection: past max-connections the gate closes
            // newcomers' connections, so max-concurrent-requests (and its 503 with Retry-After) is never reached.
            node.get("max-connections").warn(connections.get() + " is below max-concurrent-requests (" + requests
                    + "): every request in flight holds a connection, so requests past " + connections.get()
                    + " at once lose their connection instead of getting a 503");
        }
        return node.build(() -> new ServerLimits(
                requests, connections.orElse(ServerLimits.defaultMaxConnections(requests)),
                Math.toIntExact(node.get("max-header-size").size(1024, 1024 * 1024, "1KiB to 1MiB")
                                        .orElse((long) d.maxHeaderBytes())),
                node.get("read-timeout").positive().orElse(d.readTimeout()),
                node.get("write-timeout").positive().orElse(d.writeTimeout()),
                node.get("idle-timeout").positive().orElse(d.idleTimeout()),
                node.get("drain-timeout").duration().orElse(d.drainTimeout())), d);
    }
}
