package io.hedgerow.bench;

import io.hedgerow.config.ProviderConfig;
import io.hedgerow.config.ProviderType;
import io.hedgerow.config.SimSettings;
import io.hedgerow.config.Timeouts;
import io.hedgerow.provider.HttpUpstream;
import io.hedgerow.provider.ProviderException;

import io.helidon.common.socket.SocketOptions;
import io.helidon.http.HeaderValues;
import io.helidon.webclient.api.HttpClientResponse;
import io.helidon.webserver.WebServer;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The floor under Hedgerow's overhead: a proxy built from the same parts (Helidon's server with the same socket
 * options, Hedgerow's own {@link HttpUpstream} with its pooled connections) that passes each JSON body through
 * untouched: no parsing, no routing, no executor, no health bookkeeping, no translation. What it costs per
 * request is what any Helidon-based proxy pays for two HTTP exchanges; what Hedgerow costs beyond it is
 * Hedgerow's own work. Non-streaming only. Runs as its own process, like the router:
 * {@code PassThroughProxy --upstream http://127.0.0.1:PORT/v1 [--port N]}; exits when stdin closes.
 */
public final class PassThroughProxy {
    private PassThroughProxy() {
    }

    public static void main(String[] args) throws IOException, InterruptedException {
        int port = 0;
        URI upstreamUrl = null;
        for (int i = 0; i + 1 < args.length; i += 2) {
            switch (args[i]) {
            case "--port" -> port = Integer.parseInt(args[i + 1]);
            case "--upstream" -> upstreamUrl = URI.create(args[i + 1]);
            default -> throw new IllegalArgumentException("unknown argument '" + args[i] + "'");
            }
        }
        if (upstreamUrl == null) {
            throw new IllegalArgumentException("--upstream URL is required");
        }
        HttpUpstream upstream = new HttpUpstream(
                new ProviderConfig("floor", ProviderType.OPENAI, Optional.of(upstreamUrl), List.of(), Map.of(),
                                   Map.of(), Timeouts.DEFAULTS, SimSettings.DEFAULTS), Clock.systemUTC());
        WebServer server = WebServer.builder()
                .host("127.0.0.1")
                .port(port)
                .connectionOptions(SocketOptions.builder().tcpNoDelay(true).build())
                .routing(r -> r.post("/v1/chat/completions", (req, res) -> pass(upstream, req, res)))
                .build()
                .start();
        System.out.println("pass-through proxy listening on http://127.0.0.1:" + server.port() + "/v1");
        System.out.flush();
        try (BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
            while (in.readLine() != null) {
                // input is ignored; its end is the signal
            }
        }
        server.stop();
        System.exit(0);
    }

    private static void pass(HttpUpstream upstream, ServerRequest req, ServerResponse res) throws IOException {
        byte[] body = req.content().inputStream().readAllBytes();
        try (HttpClientResponse response = upstream.post("/chat/completions", body, Map.of(), Optional.empty(),
                                                         false)) {
            res.header(HeaderValues.CONTENT_TYPE_JSON).send(upstream.readBody(response));
        } catch (ProviderException e) {
            res.status(502).send(e.getMessage());
        }
    }
}
