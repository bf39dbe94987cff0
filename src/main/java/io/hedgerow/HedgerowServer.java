package io.hedgerow;

import io.hedgerow.api.ChatCompletionsService;
import io.hedgerow.api.EmbeddingsService;
import io.hedgerow.api.ResponsesService;
import io.hedgerow.api.Engine;
import io.hedgerow.api.FallbackService;
import io.hedgerow.api.FrontDoor;
import io.hedgerow.api.JsonBodyReader;
import io.hedgerow.api.MessagesService;
import io.hedgerow.api.ModelsService;
import io.hedgerow.api.RequestObserver;
import io.hedgerow.api.RequestLedger;
import io.hedgerow.api.TransportErrors;
import io.hedgerow.config.ConfigLoader;
import io.hedgerow.config.HedgerowConfig;
import io.hedgerow.config.ProviderConfig;
import io.hedgerow.config.ServerLimits;
import io.hedgerow.exec.Bulkheads;
import io.hedgerow.exec.ChatExecutor;
import io.hedgerow.exec.ExecutionListener;
import io.hedgerow.exec.StallWatchdog;
import io.hedgerow.health.HealthRegistry;
import io.hedgerow.model.Failure;
import io.hedgerow.model.FailureKind;
import io.hedgerow.observe.AdminService;
import io.hedgerow.observe.ConfigReloader;
import io.hedgerow.observe.ConfigWatcher;
import io.hedgerow.observe.EventLog;
import io.hedgerow.observe.Generation;
import io.hedgerow.observe.GenerationLeases;
import io.hedgerow.observe.HedgerowMetrics;
import io.hedgerow.observe.Observability;
import io.hedgerow.observe.Readiness;
import io.hedgerow.observe.StatusService;
import io.hedgerow.observe.Telemetry;
import io.hedgerow.observe.ThreadsCheck;
import io.hedgerow.observe.trace.TraceObserver;
import io.hedgerow.observe.trace.Tracing;
import io.hedgerow.preflight.PreflightScheduler;
import io.hedgerow.provider.ProviderClient;
import io.hedgerow.provider.ProviderClients;
import io.hedgerow.route.Router;
import io.hedgerow.config.ConfigHash;
import io.hedgerow.state.HealthSync;
import io.hedgerow.state.StateStore;
import io.hedgerow.state.StateStores;
import io.hedgerow.state.ConversationStore;
import io.hedgerow.state.MemoryConversationStore;
import io.hedgerow.time.Daemon;
import io.hedgerow.time.Randomness;
import io.hedgerow.time.Ticker;

import io.helidon.common.socket.SocketOptions;
import io.helidon.metrics.api.BuiltInMeterNameFormat;
import io.helidon.webserver.WebServer;
import io.helidon.webserver.http1.Http1Config;
import io.helidon.webserver.observe.ObserveFeature;
import io.helidon.webserver.observe.health.HealthObserver;
import io.helidon.webserver.observe.metrics.MetricsObserver;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.random.RandomGenerator;

/**
 * Hedgerow assembled: provider adapters, router and executor behind a Helidon WebServer, with metrics, status,
 * events and config reload beside them. The data's path is {@code api -> route -> exec -> provider}; this class
 * only wires it together.
 *
 * <p>Everything built from one config is a {@link Generation}, held in one atomic reference: each chat request takes
 * it when it starts and holds it until it ends ({@link GenerationLeases}), and a reload swaps in the next one, which
 * shares with the old the provider clients and health state of what did not change. A client the new generation does
 * not share is closed once the last request on an older generation holding it has ended; on shutdown, after the
 * drain, so are those of the generation in use.
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
    private final FrontDoor door;
    private final PreflightScheduler preflight;
    private final GenerationLeases leases;
    private final StateStore store;
    private final Tracing tracing;
    private final AtomicBoolean closed = new AtomicBoolean();

    private HedgerowServer(WebServer server, StallWatchdog watchdog, AtomicReference<Generation> current,
                           Telemetry telemetry, Optional<ConfigReloader> reloader, Optional<ConfigWatcher> watcher,
                           FrontDoor door, PreflightScheduler preflight, GenerationLeases leases, StateStore store,
                           Tracing tracing) {
        this.server = server;
        this.watchdog = watchdog;
        this.current = current;
        this.telemetry = telemetry;
        this.reloader = reloader;
        this.watcher = watcher;
        this.door = door;
        this.preflight = preflight;
        this.leases = leases;
        this.store = store;
        this.tracing = tracing;
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
        return current.get().engine().executor().attemptsInFlight(provider);
    }

    /** The router's own threads (what readiness checks). */
    public List<Daemon> threads() {
        return daemons(door, watchdog, watcher, preflight, store);
    }

    /** Client connections open now (admitted by the front door's gate). */
    public int connectionsOpen() {
        return door.connections();
    }

    /** Requests whose client is being watched now (read, write and presence guards). */
    public int clientsWatched() {
        return door.watching();
    }

    /** The live checks of every route's providers and keys ({@code observe.preflight}). */
    public PreflightScheduler preflight() {
        return preflight;
    }

    /** Where health state is saved and shared ({@code state:}). */
    public StateStore state() {
        return store;
    }

    /** Drains for the configured {@code server.drain-timeout}, then stops (what SIGTERM does). */
    @Override
    public void close() {
        drain(current.get().config().server().limits().drainTimeout());
    }

    /**
     * A graceful stop: new connections are refused at once and new chat requests on open ones get a 503
     * {@code shutting_down}; requests in flight may finish within {@code timeout}; then every attempt still running
     * is aborted, so a request still waiting gets a 503 {@code shutting_down} and a stream being relayed ends with
     * an SSE error event (never {@code [DONE]}); then the provider clients are closed, and with them the idle
     * upstream connections (one still lent to a request that outlived it is closed when that request ends).
     * Idempotent.
     */
    public void drain(Duration timeout) {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        long started = System.nanoTime();
        watcher.ifPresent(ConfigWatcher::close);
        preflight.close();
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
            // After the drain: a request still running keeps its generation's clients until it ends.
            leases.close();
            // Last: what the drain taught (a cooldown from a request that ended late) is saved too.
            store.close();
            telemetry.metrics().close();
            telemetry.events().close();
            // The spans of the drained requests go out before the exporter stops (bounded).
            tracing.close();
            LOG.log(System.Logger.Level.INFO, "stopped after {0} ms; requests served: {1}",
                    Long.toString((System.nanoTime() - started) / 1_000_000), door.ledger().summary());
        }
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
        RandomGenerator random = Randomness.shared();
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

        String replica = StateStores.replicaId();
        StateStore store = StateStores.open(config.state(), clock, ticker, replica);
        HealthSync sync = new HealthSync(store, ticker, clock, replica);
        // Traces: a server span per request, a client span per attempt (observe.tracing; off by default).
        Tracing tracing = Tracing.create(config.observe().tracing(), version());
        TraceObserver traces = new TraceObserver(tracing);
        ExecutionListener executionListener = tracing.enabled() ? both(telemetry, traces) : telemetry;
        RequestObserver requestObserver = tracing.enabled() ? RequestObserver.all(List.of(telemetry, traces))
                : telemetry;
        Wiring wiring = new Wiring(ticker, clock, random, watchdog, telemetry, executionListener,
                                   new Bulkheads(ticker), sync);
        current.set(wiring.first(config));
        sync.attach(() -> current.get().health(), label -> configured(current.get(), label));
        String configHash = ConfigHash.of(b.configFile, config);
        telemetry.configHash(configHash);
        store.configHash(configHash);
        telemetry.state(store::status);
        store.onStatus(telemetry::stateChanged);
        // Saved and shared state first, so the first request already knows what the last run learned.
        store.start(sync::learn);
        Observability.started(current.get(), telemetry);
        // Live checks read the generation in use at each round; they start once the server listens.
        PreflightScheduler preflight = new PreflightScheduler(() -> {
            Generation g = current.get();
            return new PreflightScheduler.Fleet(g.config(), g.clients(), g.health().keys());
        }, ticker, Ticker.system(), clock, telemetry);
        GenerationLeases leases = new GenerationLeases(current.get());
        ConversationStore conversations = store.conversations(
                new MemoryConversationStore(config.conversations(), ticker), config.conversations());

        Optional<ConfigReloader> reloader = b.configFile.map(file -> new ConfigReloader(
                current, file, path -> ConfigLoader.load(path, b.environment), wiring::next, g -> {
                    leases.swapped(g);
                    preflight.reloaded();
                    conversations.settings(g.config().conversations());
                    if (!g.config().state().equals(config.state())) {
                        LOG.log(System.Logger.Level.WARNING, "state: the reloaded config changes 'state:'; that "
                                + "applies at the next start (the store in use stays)");
                    }
                    String hash = ConfigHash.of(b.configFile, g.config());
                    telemetry.configHash(hash);
                    store.configHash(hash);
                    Observability.swapped(g, telemetry);
                }, events, metrics));
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
        ServerLimits limits = config.server().limits();
        FrontDoor door = FrontDoor.create(() -> current.get().config().server(), store.rateLimits());
        Optional<ConfigWatcher> finalWatcher = watcher;
        // One budget for every inbound API's request bodies.
        JsonBodyReader bodies = JsonBodyReader.create();
        WebServer server;
        try {
            server = WebServer.builder()
                    .host(config.server().host())
                    .port(config.server().port())
                    // The drain on shutdown is ours (close()): Helidon's own hook would cut requests after 0.5 s.
                    .shutdownHook(false)
                    .shutdownGracePeriod(limits.drainTimeout().plus(Duration.ofSeconds(10)))
                    // Bodies over max-body-size, by Content-Length or by the sizes of their chunks so far, are
                    // refused before a byte is read (TransportErrors' 413, then the connection lingers): Helidon
                    // reads a whole chunk into memory before handing it over, so this bounds what one chunked body
                    // holds outside the memory budget. Fixed at start: a reload may lower the limit, not raise it.
                    .maxPayloadSize(config.server().maxBodyBytes())
                    .maxTcpConnections(FrontDoor.maxTcpConnections(limits.maxConnections()))
                    .idleConnectionTimeout(limits.idleTimeout())
                    .idleConnectionPeriod(idleCheckPeriod(limits.idleTimeout()))
                    .directHandlers(TransportErrors.handlers(config.server().maxBodyBytes()))
                    // HTTP/1.1 only, through the front door's gate, which sees each connection from its accept.
                    .protocolsDiscoverServices(false)
                    .addConnectionSelector(door.connections(Http1Config.builder()
                                                                    .maxHeadersSize(limits.maxHeaderBytes())))
                    // Each SSE event is one small write: without TCP_NODELAY, Nagle holds it until the client's
                    // delayed ACK (~40 ms on Linux), so streamed tokens would arrive in bursts.
                    .connectionOptions(SocketOptions.builder().tcpNoDelay(true).build())
                    .addFeature(ObserveFeature.builder()
                                        .addObserver(HealthObserver.builder().details(true)
                                                             .addCheck(Readiness.create(current::get, telemetry))
                                                             .addCheck(new ThreadsCheck(() -> daemons(
                                                                     door, watchdog, finalWatcher, preflight,
                                                                     store)))
                                                             .build())
                                        .addObserver(metricsObserver)
                                        .build())
                    .routing(routing -> routing
                            .addFilter(door)
                            .register("/v1", new ChatCompletionsService(leases, requestObserver, clock, bodies),
                                      new MessagesService(leases, requestObserver, bodies),
                                      new EmbeddingsService(leases, requestObserver, bodies),
                                      new ResponsesService(leases, requestObserver, bodies, conversations, clock),
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
            preflight.close();
            watchdog.close();
            door.close();
            leases.close();
            store.close();
            metrics.close();
            events.close();
            tracing.close();
            throw e;
        }
        // In the background: the router serves at once, whatever the checks find and however long they take.
        preflight.start();
        return new HedgerowServer(server, watchdog, current, telemetry, reloader, watcher, door, preflight, leases,
                                  store, tracing);
    }

    /** The router's own threads, for readiness. */
    private static List<Daemon> daemons(FrontDoor door, StallWatchdog watchdog, Optional<ConfigWatcher> watcher,
                                        PreflightScheduler preflight, StateStore store) {
        List<Daemon> all = new ArrayList<>(store.daemons());
        all.add(door.daemon());
        watchdog.daemon().ifPresent(all::add);
        watcher.map(ConfigWatcher::daemon).ifPresent(all::add);
        preflight.daemon().ifPresent(all::add);
        return all;
    }

    /** Helidon checks for idle connections every period: a quarter of the timeout, between 1 s and 30 s. */
    private static Duration idleCheckPeriod(Duration idleTimeout) {
        Duration quarter = idleTimeout.dividedBy(4);
        return quarter.compareTo(Duration.ofSeconds(1)) < 0 ? Duration.ofSeconds(1)
                : quarter.compareTo(Duration.ofSeconds(30)) > 0 ? Duration.ofSeconds(30) : quarter;
    }

    /** Whether {@code label} is a candidate of some route of this generation (state about others is not adopted). */
    private static boolean configured(Generation g, String label) {
        return g.engine().router().routes().values().stream()
                .anyMatch(plan -> plan.candidates().stream().anyMatch(c -> c.label().equals(label)));
    }

    /** Both listeners hear every event, in turn; what the first throws does not keep the second from hearing. */
    private static ExecutionListener both(ExecutionListener first, ExecutionListener second) {
        return event -> {
            try {
                first.onEvent(event);
            } finally {
                second.onEvent(event);
            }
        };
    }

    /** The jar's version, for the traces' {@code service.version}. */
    private static String version() {
        return Optional.ofNullable(HedgerowServer.class.getPackage().getImplementationVersion()).orElse("dev");
    }

    /** Builds generations: the first from a config, the next from the current one and a reloaded config. */
    private record Wiring(Ticker ticker, Clock clock, RandomGenerator random, StallWatchdog watchdog,
                          Telemetry telemetry, ExecutionListener executionListener, Bulkheads bulkheads,
                          HealthSync sync) {
        Generation first(HedgerowConfig config) {
            Map<String, ProviderClient> clients = ProviderClients.create(config.providers(), clock, random);
            // Telemetry first (metrics, events), then the state store hears the change.
            HealthRegistry health = new HealthRegistry(config.failover(), config.hedging(), ticker,
                                                       telemetry.andThen(sync), sync);
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
                                                     executionListener, bulkheads);
            return new Generation(number, config, clients, health,
                                  new Engine(router, executor, config.server().maxBodyBytes()), clock.instant());
        }
    }
}
