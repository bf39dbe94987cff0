package io.hedgerow;

import io.hedgerow.api.ChatCompletionsService;
import io.hedgerow.api.FallbackService;
import io.hedgerow.api.ModelsService;
import io.hedgerow.config.HedgerowConfig;
import io.hedgerow.exec.ChatExecutor;
import io.hedgerow.exec.ExecutionListener;
import io.hedgerow.exec.StallWatchdog;
import io.hedgerow.health.HealthRegistry;
import io.hedgerow.provider.ProviderClient;
import io.hedgerow.provider.ProviderClients;
import io.hedgerow.route.Router;
import io.hedgerow.time.Ticker;

import io.helidon.common.socket.SocketOptions;
import io.helidon.webserver.WebServer;
import io.helidon.webserver.observe.ObserveFeature;
import io.helidon.webserver.observe.health.HealthObserver;
import io.helidon.webserver.observe.metrics.MetricsObserver;

import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.random.RandomGenerator;

/**
 * Hedgerow assembled: provider adapters, router and executor behind a Helidon WebServer. The data's path
 * is {@code api -> route -> exec -> provider}; this class only wires it together.
 */
public final class HedgerowServer implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(HedgerowServer.class.getName());
    private final WebServer server;
    private final StallWatchdog watchdog;

    private HedgerowServer(WebServer server, StallWatchdog watchdog) {
        this.server = server;
        this.watchdog = watchdog;
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
        WebServer server = WebServer.builder()
                .host(config.server().host())
                .port(config.server().port())
                // Each SSE event is one small write: without TCP_NODELAY, Nagle holds it until the client's
                // delayed ACK (~40 ms on Linux), so streamed tokens would arrive in bursts.
                .connectionOptions(SocketOptions.builder().tcpNoDelay(true).build())
                .addFeature(ObserveFeature.builder()
                                    .addObserver(HealthObserver.builder().details(true).build())
                                    .addObserver(MetricsObserver.builder().build())
                                    .build())
                .routing(routing -> routing
                        .register("/v1", new ChatCompletionsService(router, executor,
                                                                    config.server().maxBodyBytes(), clock),
                                  new ModelsService(router))
                        .register(new FallbackService()))
                .build()
                .start();
        return new HedgerowServer(server, watchdog);
    }

    /** The port actually bound. */
    public int port() {
        return server.port();
    }

    @Override
    public void close() {
        server.stop();
        watchdog.close();
    }
}
