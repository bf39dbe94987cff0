package io.hedgerow;

import io.hedgerow.api.ChatCompletionsService;
import io.hedgerow.api.FallbackService;
import io.hedgerow.api.FrontDoor;
import io.hedgerow.api.ModelsService;
import io.hedgerow.api.RequestLedger;
import io.hedgerow.api.TransportErrors;
import io.hedgerow.config.HedgerowConfig;
import io.hedgerow.config.ServerLimits;
import io.hedgerow.exec.ChatExecutor;
import io.hedgerow.exec.ExecutionListener;
import io.hedgerow.exec.StallWatchdog;
import io.hedgerow.health.HealthRegistry;
import io.hedgerow.model.Failure;
import io.hedgerow.model.FailureKind;
import io.hedgerow.provider.ProviderClient;
import io.hedgerow.provider.ProviderClients;
import io.hedgerow.route.Router;
import io.hedgerow.time.Ticker;

import io.helidon.common.socket.SocketOptions;
import io.helidon.webserver.WebServer;
import io.helidon.webserver.http1.Http1Config;
import io.helidon.webserver.observe.ObserveFeature;
import io.helidon.webserver.observe.health.HealthObserver;
import io.helidon.webserver.observe.metrics.MetricsObserver;

import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.random.RandomGenerator;

/**
 * Hedgerow assembled: provider adapters, router and executor behind a Helidon WebServer. The data's path
 * is {@code api -> route -> exec -> provider}; this class only wires it together.
 */
public final class HedgerowServer implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(HedgerowServer.class.getName());
    private static final long PAYLOAD_BACKSTOP = 64L * 1024 * 1024;
    private final WebServer server;
    private final StallWatchdog watchdog;
    private final FrontDoor door;
    private final ChatExecutor executor;
    private final Duration drainTimeout;
    private final AtomicBoolean closed = new AtomicBoolean();

    private HedgerowServer(WebServer server, StallWatchdog watchdog, FrontDoor door, ChatExecutor executor,
                           Duration drainTimeout) {
        this.server = server;
        this.watchdog = watchdog;
        this.door = door;
        this.executor = executor;
        this.drainTimeout = drainTimeout;
    }

    /** Starts a router on the configured host and port (port 0 picks a free one). */
    public static HedgerowServer start(HedgerowConfig config) {
        return start(config, Ticker.system());
    }

    /**
     * Starts a router whose policies (breakers, cooldowns, baselines, deadlines) read this ticker: tests advance a
     * fake one instead of waiting.
     */
    public static HedgerowServer start(HedgerowConfig config, Ticker ticker) {
        Clock clock = Clock.systemUTC();
        Map<String, ProviderClient> clients = ProviderClients.create(config.providers(), clock,
                                                                     RandomGenerator.getDefault());
        Router router = new Router(config, clients);
        StallWatchdog watchdog = StallWatchdog.start(ticker, Duration.ofMillis(50));
        HealthRegistry health = new HealthRegistry(config.failover(), config.hedging(), ticker,
                                                   event -> LOG.log(System.Logger.Level.INFO, "{0}", event));
        ChatExecutor executor = new ChatExecutor(ticker, watchdog, health, RandomGenerator.getDefault(),
                                                 config.server().requestTimeout(), ExecutionListener.NONE);
        ServerLimits limits = config.server().limits();
        FrontDoor door = FrontDoor.create(config::server, ticker);
        WebServer server = WebServer.builder()
                .host(config.server().host())
                .port(config.server().port())
                // The drain on shutdown is ours (close()): Helidon's own hook would cut requests after 0.5 s.
                .shutdownHook(false)
                .shutdownGracePeriod(limits.drainTimeout().plus(Duration.ofSeconds(10)))
                // A backstop for bodies declared far over any limit: refused before a byte is read. Bodies over
                // max-body-size below it get the chat service's 413, and are read and dropped so the client can
                // read that answer.
                .maxPayloadSize(Math.max(config.server().maxBodyBytes(), PAYLOAD_BACKSTOP))
                .maxTcpConnections(limits.maxConnections())
                .idleConnectionTimeout(limits.idleTimeout())
                .idleConnectionPeriod(idleCheckPeriod(limits.idleTimeout()))
                .directHandlers(TransportErrors.handlers(config.server().maxBodyBytes()))
                .addProtocol(Http1Config.builder()
                                     .maxHeadersSize(limits.maxHeaderBytes())
                                     .addReceiveListener(door.headerTimeout())
                                     .build())
                // Each SSE event is one small write: without TCP_NODELAY, Nagle holds it until the client's
                // delayed ACK (~40 ms on Linux), so streamed tokens would arrive in bursts.
                .connectionOptions(SocketOptions.builder().tcpNoDelay(true).build())
                .addFeature(ObserveFeature.builder()
                                    .addObserver(HealthObserver.builder().details(true).build())
                                    .addObserver(MetricsObserver.builder().build())
                                    .build())
                .routing(routing -> routing
                        .addFilter(door)
                        .register("/v1", new ChatCompletionsService(router, executor,
                                                                    config.server().maxBodyBytes(), clock),
                                  new ModelsService(router))
                        .register(new FallbackService()))
                .build()
                .start();
        return new HedgerowServer(server, watchdog, door, executor, limits.drainTimeout());
    }

    /** Helidon checks for idle connections every period: a quarter of the timeout, between 1 s and 30 s. */
    private static Duration idleCheckPeriod(Duration idleTimeout) {
        Duration quarter = idleTimeout.dividedBy(4);
        return quarter.compareTo(Duration.ofSeconds(1)) < 0 ? Duration.ofSeconds(1)
                : quarter.compareTo(Duration.ofSeconds(30)) > 0 ? Duration.ofSeconds(30) : quarter;
    }

    /** The port actually bound. */
    public int port() {
        return server.port();
    }

    /** How {@code /v1} requests ended so far, as the router answered them. */
    public RequestLedger ledger() {
        return door.ledger();
    }

    /** Chat requests in flight now. */
    public int requestsInFlight() {
        return door.inFlight();
    }

    /** Attempts in flight to this provider now. */
    public int attemptsInFlight(String provider) {
        return executor.attemptsInFlight(provider);
    }

    /** Requests whose client is being watched now (read, write and presence guards). */
    public int clientsWatched() {
        return door.watching();
    }

    /** Drains for the configured {@code server.drain-timeout}, then stops (what SIGTERM does). */
    @Override
    public void close() {
        drain(drainTimeout);
    }

    /**
     * A graceful stop: new connections are refused at once and new chat requests on open ones get a 503
     * {@code shutting_down}; requests in flight may finish within {@code timeout}; then every attempt still running
     * is aborted, so a request still waiting gets a 503 {@code shutting_down} and a stream being relayed ends with
     * an SSE error event (never {@code [DONE]}). Idempotent.
     */
    public void drain(Duration timeout) {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        long started = System.nanoTime();
        door.drain();
        // Helidon's stop closes the listener at once, closes idle connections, and waits (up to its grace period)
        // for connections serving a request; it runs beside the drain.
        Thread stopper = Thread.ofPlatform().name("hedgerow-stop").start(server::stop);
        try {
            int waiting = door.inFlight();
            if (waiting > 0) {
                LOG.log(System.Logger.Level.INFO, "draining: {0} requests in flight, up to {1}",
                        Integer.toString(waiting), io.hedgerow.config.Checks.human(timeout));
            }
            if (!door.awaitIdle(timeout)) {
                LOG.log(System.Logger.Level.WARNING, "drain timeout: ending {0} requests still in flight",
                        Integer.toString(door.inFlight()));
                watchdog.shutdown(Failure.of(FailureKind.SHUTDOWN, "the router is shutting down"));
                door.awaitIdle(Duration.ofSeconds(5));
            }
            stopper.join(Duration.ofSeconds(15));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            watchdog.shutdown(Failure.of(FailureKind.SHUTDOWN, "the router is shutting down"));
            watchdog.close();
            door.close();
            LOG.log(System.Logger.Level.INFO, "stopped after {0} ms; requests served: {1}",
                    Long.toString((System.nanoTime() - started) / 1_000_000), door.ledger().summary());
        }
    }
}
