package io.hedgerow;

import io.hedgerow.api.ChatCompletionsService;
import io.hedgerow.api.Engine;
import io.hedgerow.api.FallbackService;
import io.hedgerow.api.ModelsService;
import io.hedgerow.config.ConfigLoader;
import io.hedgerow.config.HedgerowConfig;
import io.hedgerow.config.ProviderConfig;
import io.hedgerow.exec.ChatExecutor;
import io.hedgerow.exec.StallWatchdog;
import io.hedgerow.health.HealthRegistry;
import io.hedgerow.observe.AdminService;
import io.hedgerow.observe.ConfigReloader;
import io.hedgerow.observe.ConfigWatcher;
import io.hedgerow.observe.EventLog;
import io.hedgerow.observe.Generation;
import io.hedgerow.observe.HedgerowMetrics;
import io.hedgerow.observe.Observability;
import io.hedgerow.observe.Readiness;
import io.hedgerow.observe.StatusService;
import io.hedgerow.observe.Telemetry;
import io.hedgerow.provider.ProviderClient;
import io.hedgerow.provider.ProviderClients;
import io.hedgerow.route.Router;
import io.hedgerow.time.Ticker;

import io.helidon.common.socket.SocketOptions;
import io.helidon.metrics.api.BuiltInMeterNameFormat;
import io.helidon.webserver.WebServer;
import io.helidon.webserver.observe.ObserveFeature;
import io.helidon.webserver.observe.health.HealthObserver;
import io.helidon.webserver.observe.metrics.MetricsObserver;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.random.RandomGenerator;

/**
 * Hedgerow assembled: provider adapters, router and executor behind a Helidon WebServer, with metrics, status,
 * events and config reload beside them. The data's path is {@code api -> route -> exec -> provider}; this class
 * only wires it together.
 *
 * <p>Everything built from one config is a {@link Generation}, held in one atomic reference: each request reads
 * it once when it starts, and a reload swaps in the next one, which shares with the old the provider clients and
 * health state of what did not change.
 */
public final class HedgerowServer implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(HedgerowServer.class.getName());
    /** How long the config file's directory must be quiet before a change is read. */
    static final Duration WATCH_QUIET = Duration.ofMillis(300);

    private final WebServer server;
    private final StallWatchdog watchdog;
    private final AtomicReference<Generation> current;
    private final Telemetry telemetry;
    private final Optional<ConfigReloader> reloader;
    private final Optional<ConfigWatcher> watcher;

    private HedgerowServer(WebServer server, StallWatchdog watchdog, AtomicReference<Generation> current,
                           Telemetry telemetry, Optional<ConfigReloader> reloader, Optional<ConfigWatcher> watcher) {
        this.server = server;
        this.watchdog = watchdog;
        this.current = current;
        this.telemetry = telemetry;
        this.reloader = reloader;
        this.watcher = watcher;
    }

    /** Starts a router on the configured host and port (port 0 picks a free one). */
    public static HedgerowServer start(HedgerowConfig config) {
        return builder(config).start();
    }

    /**
     * Starts a router whose policies (breakers, cooldowns, baselines, deadlines) read this ticker: tests advance a
     * fake one instead of waiting.
     */
    public static HedgerowServer start(HedgerowConfig config, Ticker ticker) {
        return builder(config).ticker(ticker).start();
    }

    /** Starts a router that reloads {@code configFile} (the file {@code config} was read from) when it changes. */
    public static HedgerowServer start(HedgerowConfig config, Path configFile) {
        return builder(config).configFile(configFile).start();
    }

    public static Builder builder(HedgerowConfig config) {
        return new Builder(config);
    }

    /** The port actually bound. */
    public int port() {
        return server.port();
    }

    /** The generation in use. */
    public Generation generation() {
        return current.get();
    }

    /** Reloads the config file now, as {@code POST /admin/reload} does; empty when started without a file. */
    public Optional<ConfigReloader.Outcome> reload() {
        return reloader.map(r -> r.reload("api"));
    }

    public Telemetry telemetry() {
        return telemetry;
    }

    @Override
    public void close() {
        watcher.ifPresent(ConfigWatcher::close);
        server.stop();
        watchdog.close();
        telemetry.metrics().close();
        telemetry.events().close();
    }

    /** How to start a router. */
    public static final class Builder {
        private final HedgerowConfig config;
        private Ticker ticker = Ticker.system();
        private Clock clock = Clock.systemUTC();
        private Optional<Path> configFile = Optional.empty();
        private Optional<Consumer<String>> eventSink = Optional.empty();
        private Duration watchQuiet = WATCH_QUIET;
        private Function<String, Optional<String>> environment = name -> Optional.ofNullable(System.getenv(name));

        private Builder(HedgerowConfig config) {
            this.config = Objects.requireNonNull(config, "config");
        }

        /** The time policies read (default: the system's). */
        public Builder ticker(Ticker value) {
            this.ticker = Objects.requireNonNull(value, "ticker");
            return this;
        }

        /** The file the config came from: reloaded on change and by {@code POST /admin/reload}. */
        public Builder configFile(Path file) {
            this.configFile = Optional.of(file);
            return this;
        }

        /** Where event lines go instead of what {@code observe.events} says (embedding, tests). */
        public Builder eventSink(Consumer<String> sink) {
            this.eventSink = Optional.of(sink);
            return this;
        }

        /** Where a reload resolves {@code ${VAR}} and {@code env:} keys (default: the process environment). */
        public Builder environment(Function<String, Optional<String>> env) {
            this.environment = Objects.requireNonNull(env, "env");
            return this;
        }

        /** How long the config directory must be quiet before a change is read (default 300 ms). */
        public Builder watchQuiet(Duration quiet) {
            this.watchQuiet = quiet;
            return this;
        }

        public HedgerowServer start() {
            return HedgerowServer.start(this);
        }
    }

    private static HedgerowServer start(Builder b) {
        HedgerowConfig config = b.config;
        Ticker ticker = b.ticker;
        Clock clock = b.clock;
        RandomGenerator random = RandomGenerator.getDefault();
        // Built first: it sets up the global registry with Prometheus-style (snake_case) names.
        MetricsObserver metricsObserver = MetricsObserver.builder()
                .metricsConfig(m -> m.builtInMeterNameFormat(BuiltInMeterNameFormat.SNAKE))
                .build();
        AtomicReference<Generation> current = new AtomicReference<>();
        EventLog events = b.eventSink.map(sink -> Observability.eventLog(sink, clock, config.observe()))
                .orElseGet(() -> EventLog.create(config.observe(), clock, System.out));
        HedgerowMetrics metrics = Observability.metrics(current::get);
        Telemetry telemetry = new Telemetry(metrics, events, current::get, ticker, config.observe().maxTags());
        StallWatchdog watchdog = StallWatchdog.start(ticker, Duration.ofMillis(50));

        Wiring wiring = new Wiring(ticker, clock, random, watchdog, telemetry);
        current.set(wiring.first(config));
        Observability.started(current.get(), telemetry);

        Optional<ConfigReloader> reloader = b.configFile.map(file -> new ConfigReloader(
                current, file, path -> ConfigLoader.load(path, b.environment), wiring::next, g -> Observability.swapped(g, telemetry),
                events, metrics));
        Optional<ConfigWatcher> watcher = Optional.empty();
        if (reloader.isPresent() && config.observe().watchConfig()) {
            try {
                ConfigReloader r = reloader.get();
                watcher = Optional.of(ConfigWatcher.start(r.file(), b.watchQuiet, r::reload));
            } catch (IOException | RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "cannot watch " + b.configFile.get()
                        + " for changes (POST /admin/reload still works): " + e.getMessage());
            }
        }
        WebServer server;
        try {
            server = WebServer.builder()
                    .host(config.server().host())
                    .port(config.server().port())
                    // Each SSE event is one small write: without TCP_NODELAY, Nagle holds it until the client's
                    // delayed ACK (~40 ms on Linux), so streamed tokens would arrive in bursts.
                    .connectionOptions(SocketOptions.builder().tcpNoDelay(true).build())
                    .addFeature(ObserveFeature.builder()
                                        .addObserver(HealthObserver.builder().details(true)
                                                             .addCheck(new Readiness(current::get)).build())
                                        .addObserver(metricsObserver)
                                        .build())
                    .routing(routing -> routing
                            .register("/v1", new ChatCompletionsService(() -> current.get().engine(), telemetry,
                                                                        clock),
                                      new ModelsService(() -> current.get().engine().router()))
                            .register("/status", StatusService.create(current::get, telemetry, clock,
                                                                      b.configFile.map(Path::toString)))
                            .register("/admin", new AdminService(() -> current.get().config().server().adminKey(),
                                                                 reloader.map(r -> r::reload)))
                            .register(new FallbackService()))
                    .build()
                    .start();
        } catch (RuntimeException e) {
            watcher.ifPresent(ConfigWatcher::close);
            watchdog.close();
            metrics.close();
            events.close();
            throw e;
        }
        return new HedgerowServer(server, watchdog, current, telemetry, reloader, watcher);
    }

    /** Builds generations: the first from a config, the next from the current one and a reloaded config. */
    private record Wiring(Ticker ticker, Clock clock, RandomGenerator random, StallWatchdog watchdog,
                          Telemetry telemetry) {
        Generation first(HedgerowConfig config) {
            Map<String, ProviderClient> clients = ProviderClients.create(config.providers(), clock, random);
            HealthRegistry health = new HealthRegistry(config.failover(), config.hedging(), ticker, telemetry);
            return generation(1, config, clients, health);
        }

        /**
         * The next generation: provider clients and candidate health are kept for providers whose upstream
         * settings (type, URL, keys, headers, role map, timeouts) did not change, rebuilt for the others.
         */
        Generation next(Generation old, HedgerowConfig config) {
            Map<String, ProviderClient> clients = new LinkedHashMap<>();
            for (ProviderConfig provider : config.providers().values()) {
                ProviderConfig before = old.config().providers().get(provider.name());
                ProviderClient kept = old.clients().get(provider.name());
                if (before != null && kept != null && ConfigReloader.sameUpstream(before, provider)) {
                    clients.put(provider.name(), kept);
                } else {
                    clients.putAll(ProviderClients.create(Map.of(provider.name(), provider), clock, random));
                }
            }
            HealthRegistry health = old.health().reconfigured(config.failover(), config.hedging(), label -> {
                String name = label.substring(0, Math.max(0, label.indexOf('/')));
                ProviderConfig before = old.config().providers().get(name);
                ProviderConfig after = config.providers().get(name);
                return before != null && after != null && ConfigReloader.sameUpstream(before, after);
            });
            return generation(old.number() + 1, config, clients, health);
        }

        private Generation generation(int number, HedgerowConfig config, Map<String, ProviderClient> clients,
                                      HealthRegistry health) {
            Router router = new Router(config, clients);
            ChatExecutor executor = new ChatExecutor(ticker, watchdog, health, random, config.server().requestTimeout(),
                                                     telemetry);
            return new Generation(number, config, clients, health,
                                  new Engine(router, executor, config.server().maxBodyBytes()), clock.instant());
        }
    }
}
