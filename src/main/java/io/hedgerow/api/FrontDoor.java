package io.hedgerow.api;

import io.hedgerow.config.ClientAccess;
import io.hedgerow.config.ClientKey;
import io.hedgerow.config.EndpointAccess;
import io.hedgerow.config.ServerLimits;
import io.hedgerow.config.ServerSettings;
import io.hedgerow.state.LocalRateLimits;
import io.hedgerow.state.RateLimits;
import io.hedgerow.time.Daemon;
import io.hedgerow.time.Ticker;

import io.helidon.http.HeaderNames;
import io.helidon.http.HeaderValues;
import io.helidon.http.Method;
import io.helidon.webserver.CloseConnectionException;
import io.helidon.webserver.http.Filter;
import io.helidon.webserver.http.FilterChain;
import io.helidon.webserver.http.RoutingRequest;
import io.helidon.webserver.http.RoutingResponse;
import io.helidon.webserver.http1.Http1Config;
import io.helidon.webserver.spi.ServerConnectionSelector;

import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * Every request passes here first, in this order:
 * <ol>
 *     <li>It is put under a {@link ClientWatch} guard: its body must arrive within the read timeout, each write of
 *     a streamed answer within the write timeout, and the whole request within a backstop (read timeout + request
 *     timeout + write timeout + 5 s). A chat request's connection is watched too: when its client leaves, the
 *     request stops, and with it its upstream attempts.</li>
 *     <li>Under {@code /v1}: with client keys configured, {@code Authorization: Bearer KEY} or {@code x-api-key: KEY}
 *     (as Anthropic's SDKs send it) must name one (401 otherwise), and a client with a rate limit may be told to wait
 *     (429 with {@code Retry-After}).</li>
 *     <li>A chat request (of any inbound API: Chat Completions, Messages and its token count) takes one of
 *     {@code max-concurrent-requests} places, or is refused at once with a 503 and
 *     {@code Retry-After}: a bounded router answers "not now" instead of queueing without end. While the router
 *     drains for shutdown, new chat requests get a 503 {@code shutting_down}.</li>
 *     <li>How each {@code /v1} request ended is counted in the {@link RequestLedger}.</li>
 * </ol>
 * A client found gone (a failed write, a fired guard) ends its connection quietly: nobody is left to answer. A
 * refusal is written in the shape of the API the path belongs to ({@link ErrorFormat#forPath}).
 *
 * <p>Settings are read per request from a supplier, so a reloaded config applies to the next request. Thread-safe:
 * the in-flight count is atomic; the draining flag is volatile.
 */
public final class FrontDoor implements Filter, AutoCloseable {
    private static final System.Logger LOG = System.getLogger(FrontDoor.class.getName());
    // Model requests: each holds a place of max-concurrent-requests, is refused while draining, and is watched for a
    // client that leaves.
    private static final java.util.Set<String> CHAT = java.util.Set.of("/v1/chat/completions", "/v1/messages",
                                                                        "/v1/messages/count_tokens", "/v1/responses",
                                                                        "/v1/embeddings");
    private static final io.helidon.http.HeaderName API_KEY = HeaderNames.create("x-api-key");
    private static final Duration SLACK = Duration.ofSeconds(5);

    private final Supplier<ServerSettings> settings;
    private static final Duration SCAN_PERIOD = Duration.ofMillis(100);

    private final ClientWatch watch;
    private final ConnectionGate gate;
    private final Daemon daemon;
    private final RateLimits rateLimits;
    private final RequestLedger ledger = new RequestLedger();
    private final AtomicInteger inFlight = new AtomicInteger();
    private final Object idle = new Object();
    private volatile Keys keys;
    private volatile boolean draining;

    private FrontDoor(Supplier<ServerSettings> settings, ClientWatch watch, RateLimits rateLimits) {
        this.settings = Objects.requireNonNull(settings, "settings");
        this.watch = watch;
        this.gate = new ConnectionGate(() -> this.settings.get().limits(), Ticker.system(), this::wake);
        this.rateLimits = Objects.requireNonNull(rateLimits, "rateLimits");
        // With no connection open it parks until the next one is accepted (an idle router pays no tick).
        this.daemon = Daemon.every("hedgerow-client-watch", SCAN_PERIOD, Ticker.system(),
                                   () -> watch.watching() > 0 || gate.open() > 0, () -> {
                                       watch.scan();
                                       gate.scan();
                                   });
    }

    /**
     * A front door reading its settings from {@code settings} on each request, with rate limits in this process.
     *
     * @param ticker time for the rate limits (client socket deadlines always use real time)
     */
    public static FrontDoor create(Supplier<ServerSettings> settings, Ticker ticker) {
        return create(settings, new LocalRateLimits(ticker));
    }

    /** A front door whose client rate limits are {@code rateLimits} (fleet-wide ones, say). */
    public static FrontDoor create(Supplier<ServerSettings> settings, RateLimits rateLimits) {
        return new FrontDoor(settings, ClientWatch.create(Ticker.system()), rateLimits);
    }

    /**
     * The server's only connection selector: HTTP/1.1 with {@code config}, every connection under the gate from the
     * moment it is accepted. Build the server with {@code protocolsDiscoverServices(false)} and no other protocol, and
     * with {@link #maxTcpConnections} as Helidon's own cap.
     */
    public ServerConnectionSelector connections(Http1Config.Builder config) {
        return GatedConnections.http1(config.addReceiveListener(GatedConnections.headListener()).build(), gate);
    }

    /**
     * Helidon's hard cap on connections for a router configured with {@code maxConnections}: above it, so that a
     * newcomer to a full house reaches the gate, which closes an idle connection for it (at the cap, Helidon would
     * stop accepting and the newcomer would wait in the listen backlog behind silent connections).
     */
    public static int maxTcpConnections(int maxConnections) {
        return maxConnections + Math.max(16, maxConnections / 8);
    }

    /** A connection was accepted, or a request is watched: the client watch has work. */
    private void wake() {
        Daemon d = daemon;
        if (d != null) {
            d.wake();
        }
    }

    /** The thread that times clients out; readiness reports it when it stops. */
    public Daemon daemon() {
        return daemon;
    }

    /** Client connections open now (admitted by the gate). */
    public int connections() {
        return gate.open();
    }

    /** How {@code /v1} requests ended so far. */
    public RequestLedger ledger() {
        return ledger;
    }

    /** Chat requests being served now. */
    public int inFlight() {
        return inFlight.get();
    }

    /** Requests (and header blocks) whose client is being watched now. */
    public int watching() {
        return watch.watching();
    }

    /** From now on, new chat requests are refused with a 503 {@code shutting_down}. */
    public void drain() {
        draining = true;
    }

    /** Waits until no chat request is in flight, or the timeout; true when none is. */
    public boolean awaitIdle(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (idle) {
            while (inFlight.get() > 0) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                idle.wait(Math.max(1, left / 1_000_000));
            }
            return true;
        }
    }

    @Override
    public void close() {
        daemon.close();
    }

    @Override
    public void filter(FilterChain chain, RoutingRequest req, RoutingResponse res) {
        ServerSettings s = settings.get();
        ServerLimits limits = s.limits();
        String path = req.path().path();
        boolean api = path.equals("/v1") || path.startsWith("/v1/");
        boolean chat = CHAT.contains(path) && req.prologue().method() == Method.POST;
        Duration backstop = limits.readTimeout().plus(s.requestTimeout()).plus(limits.writeTimeout()).plus(SLACK);
        // From the headers: asking the entity now would fix it before the stream filter below is installed.
        boolean body = req.headers().contentLength().orElse(0) > 0
                || req.headers().contains(HeaderValues.TRANSFER_ENCODING_CHUNKED);
        boolean clientCloses = asksToClose(req.headers());
        if (clientCloses) {
            // Helidon reads only a lower-case "close" as such; the token is case-insensitive (RFC 9110 7.6.1).
            res.header(HeaderValues.CONNECTION_CLOSE);
        }
        try (ClientWatch.Guard guard = watch.open(backstop, limits.writeTimeout())) {
            wake();
            if (body) {
                long readNanos = limits.readTimeout().toNanos();
                req.streamFilter(in -> new GuardedInputStream(in, guard, readNanos));
            }
            if (api) {
                serve(chain, req, res, s, guard, chat);
            } else {
                Optional<ApiException> refused = guardedPage(path)
                        .flatMap(page -> EndpointGuard.refusal(req, page.mode(s.endpoints()), s.adminKey(),
                                                               clientKeys(s.access()), s.access().required(),
                                                               page.name));
                if (refused.isPresent()) {
                    refuse(req, res, refused.get());
                } else {
                    chain.proceed();
                }
            }
        }
        boolean closing = clientCloses || closes(res);
        if (body && !req.content().consumed()) {
            // A body left unread (refused before it was read, or a route that takes none) is read and dropped here,
            // within the read timeout, so the client gets to read the answer; one too long or too slow ends the
            // connection, and is never parsed as a request. A chunked one is not read: Helidon holds a whole chunk
            // in memory before handing over a byte of it, so the connection closes instead (and lingers,
            // GatedConnections, dropping what the client still sends so that it reads this answer).
            // One declared over max-body-size would only be read to be refused: it closes (and lingers) too.
            long declared = req.headers().contentLength().orElse(-1);
            closing |= declared < 0 || declared > s.maxBodyBytes()
                    || !discard(req, s.maxBodyBytes(), limits.readTimeout());
        }
        GatedConnections.current().ifPresent(ConnectionGate.Conn::answered);
        if (closing) {
            // The answer has been sent (routing commits it before returning here); Helidon would go on reading.
            throw new CloseConnectionException("the connection ends with this answer");
        }
    }

    /** Serves a {@code /v1} request and counts how it ended; a client found gone ends the connection. */
    private void serve(FilterChain chain, RoutingRequest req, RoutingResponse res, ServerSettings s,
                       ClientWatch.Guard guard, boolean chat) {
        String path = req.path().path();
        String outcome = "client_gone";
        try {
            outcome = enter(chain, req, res, s, guard, chat);
        } catch (RuntimeException e) {
            if (guard.firedBecause().isPresent() || ClientGone.isConnectionFailure(e)) {
                guard.firedBecause().ifPresent(why -> LOG.log(System.Logger.Level.INFO, "{0} {1} from {2}: "
                        + "connection closed: {3}", req.prologue().method().text(), path,
                        req.remotePeer().address(), why));
                throw e instanceof CloseConnectionException c ? c
                        : new CloseConnectionException("the client is gone", e);
            }
            outcome = "failed";
            throw e;
        } finally {
            ledger.record(outcome);
        }
        if (outcome.equals("client_gone")) {
            // Nothing more can reach it: close without the response's last bytes.
            throw new CloseConnectionException("the client is gone: "
                                                       + guard.firedBecause().orElse("a write failed"));
        }
    }

    /** Whether the request's {@code Connection} header holds the token {@code close}, in any case. */
    static boolean asksToClose(io.helidon.http.Headers headers) {
        for (String value : headers.values(HeaderNames.CONNECTION)) {
            for (String token : value.split(",")) {
                if (token.trim().equalsIgnoreCase("close")) {
                    return true;
                }
            }
        }
        return false;
    }

    private static boolean closes(RoutingResponse res) {
        return res.headers().first(HeaderNames.CONNECTION).map(v -> v.toLowerCase(Locale.ROOT).contains("close"))
                .orElse(false);
    }

    /**
     * Reads and drops what is left of a request's body: at most {@code limit} bytes, within {@code timeout}. True when
     * the body ended within both; false when it is longer, slower or badly framed (the connection must then close).
     */
    private boolean discard(RoutingRequest req, long limit, Duration timeout) {
        try (ClientWatch.Guard guard = watch.open(timeout, timeout);
             InputStream in = req.content().inputStream()) {
            byte[] buffer = new byte[8192];
            long left = limit;
            while (left >= 0) {
                int n = in.read(buffer);
                if (n < 0) {
                    return guard.firedBecause().isEmpty();
                }
                left -= n;
            }
            return false;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /** Admits (or refuses) a {@code /v1} request and serves it; returns its outcome for the ledger. */
    private String enter(FilterChain chain, RoutingRequest req, RoutingResponse res, ServerSettings s,
                         ClientWatch.Guard guard, boolean chat) {
        Optional<ApiException> refused = authorize(req, s.access());
        if (refused.isEmpty() && chat && draining) {
            res.header(HeaderValues.CONNECTION_CLOSE);
            refused = Optional.of(new ApiException(503, "server_error", "shutting_down",
                                                   "Hedgerow is shutting down; retry on another instance or shortly",
                                                   Optional.empty(), Map.of("Retry-After", "1")));
        }
        if (refused.isPresent()) {
            return refuse(req, res, refused.get());
        }
        if (!chat) {
            chain.proceed();
            return outcome(res, guard);
        }
        int max = s.limits().maxConcurrentRequests();
        if (inFlight.incrementAndGet() > max) {
            leave();
            return refuse(req, res, new ApiException(503, "server_error", "overloaded",
                                                "Hedgerow is serving its limit of " + max + " requests at once; "
                                                        + "retry shortly", Optional.empty(),
                                                Map.of("Retry-After", "1")));
        }
        try {
            guard.watchConnection(req.localPeer().port(), req.remotePeer().port());
            chain.proceed();
            return outcome(res, guard);
        } finally {
            leave();
        }
    }

    private void leave() {
        if (inFlight.decrementAndGet() == 0) {
            synchronized (idle) {
                idle.notifyAll();
            }
        }
    }

    /** The client's key, when keys are configured, and its rate limit. */
    private Optional<ApiException> authorize(RoutingRequest req, ClientAccess access) {
        if (!access.required()) {
            return Optional.empty();
        }
        Optional<String> header = req.headers().first(HeaderNames.AUTHORIZATION);
        Optional<String> apiKey = req.headers().first(API_KEY).map(String::trim).filter(k -> !k.isEmpty());
        Optional<String> bearer = header.map(String::trim)
                .filter(h -> h.length() > 7 && h.substring(0, 7).toLowerCase(Locale.ROOT).equals("bearer "))
                .map(h -> h.substring(7).trim());
        // Either header may carry the key: OpenAI's SDKs send a bearer key, Anthropic's x-api-key.
        ClientKeys known = clientKeys(access);
        Optional<ClientKey> client = bearer.flatMap(known::identify).or(() -> apiKey.flatMap(known::identify));
        if (client.isEmpty()) {
            String why = header.isEmpty() && apiKey.isEmpty()
                    ? "no API key was sent (expected: Authorization: Bearer KEY, or x-api-key: KEY)"
                    : bearer.isEmpty() && apiKey.isEmpty() ? "the Authorization header is not a bearer key"
                    : "the API key is not one this router knows";
            LOG.log(System.Logger.Level.INFO, "refused {0} {1} from {2}: {3}", req.prologue().method().text(),
                    req.path().path(), req.remotePeer().address(), why);
            return Optional.of(new ApiException(401, "invalid_request_error", "invalid_api_key",
                                                "Unauthorized: " + why, Optional.empty(),
                                                Map.of("WWW-Authenticate", "Bearer")));
        }
        RateLimits.Verdict verdict = rateLimits.acquire(client.get());
        if (verdict instanceof RateLimits.Verdict.Wait wait) {
            long seconds = Math.max(1, (wait.retryAfter().toMillis() + 999) / 1000);
            ClientKey.RateLimit limit = client.get().rateLimit().orElseThrow();
            LOG.log(System.Logger.Level.INFO, "client {0} rate limited ({1}/min)", client.get().name(),
                    limit.perMinute());
            return Optional.of(new ApiException(429, "rate_limit_error", "rate_limit_exceeded",
                                                "Client '" + client.get().name() + "' is limited to "
                                                        + limit.perMinute() + " requests per minute; retry in "
                                                        + seconds + " s", Optional.empty(),
                                                Map.of("Retry-After", String.valueOf(seconds))));
        }
        if (verdict instanceof RateLimits.Verdict.Unavailable unavailable) {
            LOG.log(System.Logger.Level.INFO, "client {0} refused: {1}", client.get().name(), unavailable.why());
            return Optional.of(new ApiException(503, "server_error", "rate_limit_unavailable",
                                                "Client '" + client.get().name() + "' has a fleet-wide rate limit "
                                                        + "that cannot be counted now (" + unavailable.why()
                                                        + "); retry shortly", Optional.empty(),
                                                Map.of("Retry-After", "1")));
        }
        return Optional.empty();
    }

    private static String refuse(RoutingRequest req, RoutingResponse res, ApiException e) {
        ErrorFormat format = ErrorFormat.forPath(req.path().path());
        String requestId = InboundPipeline.newRequestId();
        res.header("x-request-id", requestId);
        if (format == ErrorFormat.ANTHROPIC) {
            res.header("request-id", requestId);
        }
        format.send(res, e, requestId);
        return "status_" + format.status(e);
    }

    private static String outcome(RoutingResponse res, ClientWatch.Guard guard) {
        if (guard.firedBecause().isPresent()) {
            return "client_gone";
        }
        boolean sse = res.headers().contentType()
                .map(t -> t.mediaType().text().equalsIgnoreCase("text/event-stream")).orElse(false);
        if (sse) {
            return switch (guard.ending()) {
                case DONE -> "ok_stream";
                case ERROR -> "stream_error";
                default -> "client_gone";
            };
        }
        int code = res.status().code();
        return code < 400 ? "ok" : "status_" + code;
    }

    /** The client keys of this config, hashed once per config. */
    private ClientKeys clientKeys(ClientAccess access) {
        Keys current = keys;
        if (current == null || current.access != access) {
            current = new Keys(access, new ClientKeys(access.keys()));
            keys = current;
        }
        return current.keys;
    }

    /** Client keys, hashed once per config. */
    private record Keys(ClientAccess access, ClientKeys keys) {
    }

    /** The router's own pages that {@code server.status-access} and {@code server.metrics-access} guard. */
    private enum Page {
        STATUS("/status"),
        METRICS("/observe/metrics");

        private final String name;

        Page(String name) {
            this.name = name;
        }

        EndpointAccess.Mode mode(EndpointAccess access) {
            return this == STATUS ? access.status() : access.metrics();
        }
    }

    private static Optional<Page> guardedPage(String path) {
        for (Page page : Page.values()) {
            if (path.equals(page.name) || path.startsWith(page.name + "/")) {
                return Optional.of(page);
            }
        }
        return Optional.empty();
    }
}
