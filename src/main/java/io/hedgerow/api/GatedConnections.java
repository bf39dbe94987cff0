package io.hedgerow.api;

import io.helidon.common.buffers.BufferData;
import io.helidon.common.buffers.DataReader;
import io.helidon.common.buffers.DataWriter;
import io.helidon.common.concurrency.limits.Limit;
import io.helidon.common.socket.HelidonSocket;
import io.helidon.common.socket.PeerInfo;
import io.helidon.common.task.InterruptableTask;
import io.helidon.http.Headers;
import io.helidon.webserver.ConnectionContext;
import io.helidon.webserver.ListenerContext;
import io.helidon.webserver.ProxyProtocolData;
import io.helidon.webserver.Router;
import io.helidon.webserver.http1.Http1Config;
import io.helidon.webserver.http1.Http1ConnectionListener;
import io.helidon.webserver.http1.Http1ConnectionSelector;
import io.helidon.webserver.spi.ServerConnection;
import io.helidon.webserver.spi.ServerConnectionSelector;

import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutorService;

/**
 * Helidon's HTTP/1.1 connections, each put under the {@link ConnectionGate} from the moment it is accepted: this
 * selector is the server's only one, so Helidon hands it every new connection at once, before a byte is read (with
 * a single protocol there is nothing to identify), on the connection's own thread. The connection is admitted (or
 * refused) by the gate, and its reads are watched: bytes read while Helidon waits for a request line start that
 * request's head, and the head's end ({@link #headListener()}) makes the connection busy until the front door has
 * answered the request.
 */
final class GatedConnections implements ServerConnectionSelector {
    private static final ThreadLocal<ConnectionGate.Conn> CURRENT = new ThreadLocal<>();
    /** The most a closing connection reads and drops: a client sending more gets a reset. */
    static final long LINGER_BYTES = 16L * 1024 * 1024;

    private final ServerConnectionSelector http1;
    private final ConnectionGate gate;

    private GatedConnections(ServerConnectionSelector http1, ConnectionGate gate) {
        this.http1 = http1;
        this.gate = gate;
    }

    /** The selector for HTTP/1.1 with {@code config}, which must include {@link #headListener()}. */
    static GatedConnections http1(Http1Config config, ConnectionGate gate) {
        return new GatedConnections(Http1ConnectionSelector.builder().config(config).build(), gate);
    }

    /** Marks the connection busy when a request's head is complete. */
    static Http1ConnectionListener headListener() {
        return new Http1ConnectionListener() {
            @Override
            public void headers(ConnectionContext ctx, Headers headers) {
                ConnectionGate.Conn conn = CURRENT.get();
                if (conn != null) {
                    conn.busy();
                }
            }
        };
    }

    /** The connection served on this thread, if it is gated. */
    static Optional<ConnectionGate.Conn> current() {
        return Optional.ofNullable(CURRENT.get());
    }

    @Override
    public int bytesToIdentifyConnection() {
        return http1.bytesToIdentifyConnection();
    }

    @Override
    public Support supports(BufferData data) {
        return http1.supports(data);
    }

    @Override
    public Set<String> supportedApplicationProtocols() {
        return http1.supportedApplicationProtocols();
    }

    @Override
    public ServerConnection connection(ConnectionContext ctx) {
        Gated gated = new Gated(ctx);
        gated.inner = http1.connection(gated.context);
        return gated;
    }

    /** One connection: Helidon's, admitted by the gate first and released from it when it ends. */
    private final class Gated implements ServerConnection, InterruptableTask<Void> {
        private final WatchedContext context;
        private volatile ServerConnection inner;
        private volatile ConnectionGate.Conn conn;

        private Gated(ConnectionContext ctx) {
            this.context = new WatchedContext(ctx, this);
        }

        @Override
        public void handle(Limit limit) throws InterruptedException {
            Optional<ConnectionGate.Conn> admitted = gate.admit(() -> inner.close(true),
                                                                context.remotePeer().host());
            if (admitted.isEmpty()) {
                // Helidon closes the socket when this returns.
                return;
            }
            conn = admitted.get();
            CURRENT.set(conn);
            try {
                inner.handle(limit);
            } finally {
                try {
                    linger();
                } finally {
                    conn.gone();
                    CURRENT.remove();
                }
            }
        }

        /**
         * Before Helidon closes the socket: what the client still sends (the rest of a refused body, pipelined
         * requests) is read and dropped, up to {@link #LINGER_BYTES}, until it stops or the gate ends it
         * ({@link ConnectionGate.Conn#linger}). A socket closed with bytes unread sends a reset instead of a FIN, and
         * a reset can destroy the answer before the client has read it. A client that has closed, or a connection
         * the gate or an interrupt has closed, ends this at once.
         */
        private void linger() {
            if (conn.closedByGate() || Thread.currentThread().isInterrupted()) {
                return;
            }
            conn.linger();
            DataReader socket = context.ctx.dataReader();
            long left = LINGER_BYTES;
            try {
                while (left > 0 && !conn.closedByGate()) {
                    socket.ensureAvailable();
                    int n = socket.available();
                    socket.skip(n);
                    left -= n;
                    conn.lingered();
                }
            } catch (RuntimeException e) {
                // The client closed, or the gate closed the socket: either way, done.
            } finally {
                // An interrupt the gate sent to end this must not outlive it.
                Thread.interrupted();
            }
        }

        @Override
        public Duration idleTime() {
            return inner.idleTime();
        }

        @Override
        public void close(boolean interrupt) {
            inner.close(interrupt);
        }

        @Override
        public boolean canInterrupt() {
            return inner instanceof InterruptableTask<?> task && task.canInterrupt();
        }

        /** Bytes arrived from the client: while Helidon waits for a request line, they start a request's head. */
        private void arrived() {
            ConnectionGate.Conn c = conn;
            if (c != null && canInterrupt()) {
                c.headBytes();
            }
        }
    }

    /**
     * The connection's context with a reader that tells the gate when bytes arrive: it reads through Helidon's own
     * reader (one copy per read), so what Helidon may have buffered is never lost.
     */
    private static final class WatchedContext implements ConnectionContext {
        private final ConnectionContext ctx;
        private final DataReader reader;

        private WatchedContext(ConnectionContext ctx, Gated gated) {
            this.ctx = ctx;
            DataReader socket = ctx.dataReader();
            this.reader = DataReader.create(() -> {
                socket.ensureAvailable();
                byte[] bytes = socket.readBytes(socket.available());
                gated.arrived();
                return bytes;
            });
        }

        @Override
        public DataReader dataReader() {
            return reader;
        }

        @Override
        public ListenerContext listenerContext() {
            return ctx.listenerContext();
        }

        @Override
        public ExecutorService executor() {
            return ctx.executor();
        }

        @Override
        public DataWriter dataWriter() {
            return ctx.dataWriter();
        }

        @Override
        public Router router() {
            return ctx.router();
        }

        @Override
        public Optional<ProxyProtocolData> proxyProtocolData() {
            return ctx.proxyProtocolData();
        }

        @Override
        public HelidonSocket serverSocket() {
            return ctx.serverSocket();
        }

        @Override
        public PeerInfo remotePeer() {
            return ctx.remotePeer();
        }

        @Override
        public PeerInfo localPeer() {
            return ctx.localPeer();
        }

        @Override
        public boolean isSecure() {
            return ctx.isSecure();
        }

        @Override
        public String socketId() {
            return ctx.socketId();
        }

        @Override
        public String childSocketId() {
            return ctx.childSocketId();
        }
    }
}
