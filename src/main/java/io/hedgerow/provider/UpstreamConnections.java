package io.hedgerow.provider;

import io.helidon.common.tls.Tls;
import io.helidon.webclient.api.ClientConnection;
import io.helidon.webclient.api.ConnectionKey;
import io.helidon.webclient.api.TcpClientConnection;
import io.helidon.webclient.api.WebClient;
import io.helidon.webclient.api.WebClientConfig;
import io.helidon.webclient.http1.Http1Client;

import java.net.URI;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.LinkedBlockingDeque;

/**
 * The keep-alive connections to one upstream, lent to Helidon's HTTP/1.1 client one request at a time
 * ({@code request.connection(..)}); closing the response gives the connection back, or closes it when the
 * answer was not read to its end or the server asked to close.
 *
 * <p>Why not the client's own connection cache: in Helidon 4.3.0 a connection given back to that cache is
 * visible to other requests <em>before</em> its idle monitor (a thread that reads ahead to notice a server
 * closing the connection) is started. A request that takes the connection in that window races the monitor for
 * the first byte of its answer and fails with "Protocol is not HTTP" (seen here a few times a minute with 8
 * concurrent requests; fixed upstream in Helidon 4.4.0, helidon-io/helidon#10880). Here the monitor is started
 * first. Connections are reused most recently released first, so after a burst the surplus stays idle and is
 * closed by its monitor when the read timeout passes.
 *
 * <p>{@link #close()} closes the idle connections and keeps none from then on: a connection given back after it is
 * closed instead, so an exchange still running finishes undisturbed and leaves nothing open behind it.
 *
 * <p>Thread-safe: the idle connections are a concurrent deque; a lent connection belongs to its request; the closed
 * flag is volatile, and a connection given back while closing is taken back out of the deque and closed.
 */
final class UpstreamConnections {
    private static final List<String> HTTP1 = List.of(Http1Client.PROTOCOL_ID);
    private static final Tls NO_TLS = Tls.builder().enabled(false).build();
    /** Idle connections kept per upstream, as Helidon's own cache does by default. */
    private static final int MAX_IDLE = 256;

    private final WebClient client;
    private final ConnectionKey key;
    private final LinkedBlockingDeque<TcpClientConnection> idle = new LinkedBlockingDeque<>(MAX_IDLE);
    private volatile boolean closed;

    UpstreamConnections(WebClient client, URI base) {
        this.client = client;
        WebClientConfig config = client.prototype();
        String scheme = base.getScheme().toLowerCase(Locale.ROOT);
        boolean https = scheme.equals("https");
        int port = base.getPort() >= 0 ? base.getPort() : https ? 443 : 80;
        this.key = ConnectionKey.create(scheme, base.getHost(), port, https ? config.tls() : NO_TLS,
                                        config.dnsResolver(), config.dnsAddressLookup(), config.proxy());
    }

    /** A connected connection: the most recently given back one that is still open, else a new one. */
    ClientConnection acquire() {
        TcpClientConnection connection;
        while ((connection = idle.pollFirst()) != null) {
            if (connection.isConnected()) {
                return connection;
            }
            connection.closeResource();
        }
        return TcpClientConnection.create(client, key, HTTP1, this::giveBack, gone -> { }).connect();
    }

    /** Closes the idle connections now, and every connection given back from now on. Idempotent. */
    void close() {
        closed = true;
        TcpClientConnection connection;
        while ((connection = idle.pollFirst()) != null) {
            connection.closeResource();
        }
    }

    /** Called when a response was read to its end: keep the connection (true) or let the client close it. */
    private boolean giveBack(TcpClientConnection connection) {
        if (closed || !connection.isConnected()) {
            return false;
        }
        // The monitor first, then visibility: the order Helidon 4.3.0's cache gets wrong.
        connection.helidonSocket().idle();
        if (!idle.offerFirst(connection)) {
            return false;
        }
        // Closed meanwhile: take it back out, unless close() already has (and closed it).
        return !closed || !idle.remove(connection);
    }
}
