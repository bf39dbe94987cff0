package io.hedgerow.config;

import io.hedgerow.model.Role;

import io.helidon.config.Config;
import io.helidon.config.ConfigSources;

import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads a Hedgerow YAML file into a validated {@link HedgerowConfig}, or into the full list of what is wrong
 * with it. Credentials are resolved here ({@code ${ENV_VAR}}, {@code env:}, {@code file:}), so a chain that names
 * a provider whose key is missing fails at start-up, not at 7 am. Unknown keys are warnings (they are
 * usually typos). Values are never printed for keys, only their source.
 */
public final class ConfigLoader {
    private static final Pattern ENV_REF = Pattern.compile("\\$\\{([A-Za-z_][A-Za-z0-9_]*)}");
    private static final Set<String> TOP = Set.of("server", "defaults", "providers", "routes", "failover",
                                                  "hedging", "observe", "state");
    private static final Set<String> FAILOVER = Set.of("retry", "cooldowns", "breaker", "recovery");
    private static final Set<String> RECOVERY = Set.of("mode", "max-resumptions");
    private static final Set<String> RETRY = Set.of("max-attempts", "base-delay", "max-delay", "max-retry-after");
    private static final Set<String> COOLDOWNS = Set.of("rate-limited", "auth", "max-retry-after");
    private static final Set<String> BREAKER = Set.of("window", "minimum-calls", "failure-ratio", "open-for",
                                                      "half-open-probes", "successes-to-close");
    private static final Set<String> HEDGING = Set.of("budget", "baseline", "demotion", "defaults");
    private static final Set<String> BUDGET = Set.of("ratio", "min-per-second", "ttl");
    private static final Set<String> BASELINE = Set.of("window", "min-samples", "half-life");
    private static final Set<String> DEMOTION = Set.of("factor", "slow-share", "recover-factor", "probe-share");
    private static final Set<String> HEDGE = Set.of("enabled", "delay", "min-delay", "max-delay", "warmup-delay",
                                                    "max-in-flight", "same-provider");
    private static final Set<String> MODEL = Set.of("name", "context-window", "price");
    private static final Set<String> PRICE = Set.of("input", "cached-input", "output");
    private static final Set<String> OBSERVE = Set.of("events", "recent-events", "max-tags", "watch-config",
                                                      "preflight");
    private static final Set<String> STATE = Set.of("store", "file", "save-every", "url", "key-prefix", "timeout",
                                                    "replicas", "rate-limits-when-down");
    private static final Set<String> PREFLIGHT = Set.of("enabled", "interval", "timeout");
    private static final Set<String> SERVER = Set.of("host", "port", "max-body-size", "request-timeout",
                                                    "admin-key", "client-keys", "allow-unauthenticated",
                                                    "max-concurrent-requests", "max-connections", "max-header-size",
                                                    "read-timeout", "write-timeout", "idle-timeout", "drain-timeout");
    private static final Set<String> CLIENT_KEY = Set.of("name", "sha256", "rate-limit", "burst");
    private static final Set<String> PROVIDER = Set.of("type", "base-url", "keys", "headers", "role-map",
                                                       "timeouts", "sim", "key-rotation", "models", "prefill",
                                                       "max-concurrent", "max-response-size");
    private static final Set<String> TIMEOUTS = Set.of("connect", "first-token", "idle", "total");
    private static final Set<String> SIM = Set.of("first-token", "tokens-per-second", "answer-tokens", "faults");
    private static final Set<String> LATENCY = Set.of("median", "sigma", "slow-fraction", "slow-factor");
    private static final Set<String> FAULTS = Set.of("rate-limited", "server-error", "cut-stream");
    private static final Set<String> ROUTE = Set.of("chain", "retry", "hedge", "on-content-filter", "timeout",
                                                    "recovery");
    private static final Set<String> KEY = Set.of("label", "env", "file", "value");

    private final Function<String, Optional<String>> env;
    private final ConfigProblems problems = new ConfigProblems();

    private ConfigLoader(Function<String, Optional<String>> env) {
        this.env = env;
    }

    /** What loading produced: the config when there were no errors, and every error and warning. */
    public record Result(Optional<HedgerowConfig> config, List<String> errors, List<String> warnings) {
    }

    /** Loads a file, resolving {@code ${VAR}} from the process environment. */
    public static Result load(Path file) {
        return load(file, name -> Optional.ofNullable(System.getenv(name)));
    }

    /** Loads a file with the given environment (tests pass a map). */
    public static Result load(Path file, Function<String, Optional<String>> env) {
        ConfigLoader loader = new ConfigLoader(env);
        if (!Files.isRegularFile(file)) {
            loader.problems.error("config", "file '" + file + "' does not exist or is not a file");
            return loader.result(Optional.empty());
        }
        Config root;
        try {
            root = Config.builder()
                    .disableEnvironmentVariablesSource()
                    .disableSystemPropertiesSource()
                    .disableValueResolving()
                    .disableKeyResolving()
                    .addSource(ConfigSources.file(file))
                    .build();
            // Force the parse now so a YAML syntax error is reported as a problem, not a stack trace.
            root.traverse().count();
        } catch (RuntimeException e) {
            loader.problems.error("config", "cannot parse '" + file + "' as YAML: " + rootCause(e));
            return loader.result(Optional.empty());
        }
        return loader.result(loader.read(root).map(c -> c.withState(loader.state(root.get("state"), file))));
    }

    private Result result(Optional<HedgerowConfig> config) {
        return new Result(problems.hasErrors() ? Optional.empty() : config, problems.errors(), problems.warnings());
    }

    private Optional<HedgerowConfig> read(Config root) {
        unknownKeys(root, "", TOP);
        ServerSettings server = server(root.get("server"));
        Timeouts defaults = timeouts(root.get("defaults").get("timeouts"), "defaults.timeouts", Timeouts.DEFAULTS);
        unknownKeys(root.get("defaults"), "defaults", Set.of("timeouts"));

        FailoverSettings failover = failover(root.get("failover"));
        HedgingSettings hedging = hedging(root.get("hedging"));
        Map<String, ProviderConfig> providers = new LinkedHashMap<>();
        Config providersNode = root.get("providers");
        if (!providersNode.exists() || children(providersNode).isEmpty()) {
            problems.error("providers", "none configured (expected: at least one provider)");
        } else {
            for (Config node : children(providersNode)) {
                provider(node, defaults).ifPresent(p -> providers.put(p.name(), p));
            }
        }
        Map<String, RouteConfig> routes = new LinkedHashMap<>();
        Config routesNode = root.get("routes");
        if (!routesNode.exists() || children(routesNode).isEmpty()) {
            problems.error("routes", "none configured (expected: at least one route with a chain)");
        } else {
            for (Config node : children(routesNode)) {
                route(node, providers, providersNode, failover, hedging).ifPresent(r -> routes.put(r.alias(), r));
            }
        }
        routes.values().forEach(route -> notAFallback(route, providers));
        ObserveSettings observe = observe(root.get("observe"));
        return Optional.of(new HedgerowConfig(server, providers, routes, failover, hedging, observe));
    }

    private ServerSettings server(Config node) {
        unknownKeys(node, "server", SERVER);
        String host = text(node.get("host"), "server.host").orElse("127.0.0.1");
        int port = integer(node.get("port"), "server.port", 0, 65535).orElse(8080);
        long maxBody = size(node.get("max-body-size"), "server.max-body-size").orElse(ServerSettings.DEFAULT_MAX_BODY);
        Duration requestTimeout = duration(node.get("request-timeout"), "server.request-timeout")
                .orElse(Duration.ofMinutes(5));
        Optional<ApiKey> adminKey = Optional.empty();
        Config admin = node.get("admin-key");
        if (admin.exists()) {
            adminKey = key(admin, "server.admin-key", "admin");
        }
        return new ServerSettings(host, port, maxBody, requestTimeout, adminKey, clientAccess(node, host),
                                  serverLimits(node));
    }

    private ObserveSettings observe(Config node) {
        unknownKeys(node, "observe", OBSERVE);
        ObserveSettings d = ObserveSettings.DEFAULTS;
        String events = text(node.get("events"), "observe.events").map(String::trim).orElse(d.events());
        // YAML 1.1 reads a bare off/no as false (and on/yes as true): they mean off (and stdout), not a file.
        events = switch (events) {
            case "false" -> "off";
            case "true" -> "stdout";
            default -> events;
        };
        if (events.isEmpty()) {
            problems.error("observe.events", "empty (expected: stdout, off, or a file path)");
            events = d.events();
        } else if (!events.equals("stdout") && !events.equals("off")) {
            Path parent = Path.of(events).toAbsolutePath().getParent();
            if (parent == null || !Files.isDirectory(parent)) {
                problems.error("observe.events", "'" + events + "' (expected: stdout, off, or a file in an existing "
                        + "directory)");
                events = d.events();
            }
        }
        return new ObserveSettings(events,
                                   integer(node.get("recent-events"), "observe.recent-events", 0, 10_000)
                                           .orElse(d.recentEvents()),
                                   integer(node.get("max-tags"), "observe.max-tags", 0, 1000).orElse(d.maxTags()),
                                   bool(node.get("watch-config"), "observe.watch-config").orElse(d.watchConfig()),
                                   preflight(node.get("preflight")));
    }

    /** {@code state}: where health state lives; the snapshot file defaults to one beside the config file. */
    private StateSettings state(Config node, Path configFile) {
        unknownKeys(node, "state", STATE);
        StateSettings d = StateSettings.DEFAULTS;
        StateSettings.Store store = text(node.get("store"), "state.store").map(String::trim).flatMap(v -> {
            for (StateSettings.Store s : StateSettings.Store.values()) {
                if (s.wireName().equals(v)) {
                    return Optional.of(s);
                }
            }
            problems.error("state.store", "'" + v + "' (expected: local or redis)");
            return Optional.empty();
        }).orElse(d.store());
        Optional<Path> file = Optional.of(StateSettings.fileBeside(configFile));
        Optional<String> fileText = text(node.get("file"), "state.file").map(String::trim);
        if (fileText.isPresent()) {
            String f = fileText.get();
            if (f.equals("off") || f.equals("false")) {
                file = Optional.empty();
            } else {
                Path path = configFile.toAbsolutePath().resolveSibling(f);
                if (!Files.isDirectory(path.toAbsolutePath().getParent())) {
                    problems.error("state.file", "'" + f + "' (expected: off, or a file in an existing directory)");
                } else {
                    file = Optional.of(path);
                }
            }
        }
        Optional<URI> url = text(node.get("url"), "state.url").map(String::trim).flatMap(v -> {
            try {
                URI uri = new URI(v);
                String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
                if ((scheme.equals("redis") || scheme.equals("rediss")) && uri.getHost() != null) {
                    return Optional.of(uri);
                }
            } catch (URISyntaxException ignored) {
                // reported below
            }
            problems.error("state.url", "'" + v.replaceAll("//[^@/]*@", "//***@")
                    + "' (expected: redis://host:port or rediss://host:port)");
            return Optional.empty();
        });
        if (store == StateSettings.Store.REDIS && url.isEmpty() && !node.get("url").exists()) {
            problems.error("state.url", "missing (expected: redis://host:port when state.store is redis)");
            store = d.store();
        }
        String prefix = text(node.get("key-prefix"), "state.key-prefix").orElse(d.keyPrefix());
        Duration timeout = positive(node.get("timeout"), "state.timeout").filter(t -> {
            if (t.compareTo(StateSettings.MAX_TIMEOUT) > 0) {
                problems.error("state.timeout", "'" + Checks.human(t) + "' (expected: at most "
                        + Checks.human(StateSettings.MAX_TIMEOUT) + ": requests must not wait long on shared state)");
                return false;
            }
            return true;
        }).orElse(d.timeout());
        int replicas = integer(node.get("replicas"), "state.replicas", 1, 10_000).orElse(d.replicas());
        StateSettings.WhenDown whenDown = text(node.get("rate-limits-when-down"), "state.rate-limits-when-down")
                .map(String::trim).flatMap(v -> {
                    for (StateSettings.WhenDown w : StateSettings.WhenDown.values()) {
                        if (w.wireName().equals(v)) {
                            return Optional.of(w);
                        }
                    }
                    problems.error("state.rate-limits-when-down", "'" + v + "' (expected: per-replica or refuse)");
                    return Optional.empty();
                }).orElse(d.whenDown());
        StateSettings.Store chosen = url.isEmpty() ? StateSettings.Store.LOCAL : store;
        Optional<Path> chosenFile = file;
        return build("state", () -> new StateSettings(chosen, chosenFile,
                                                      positive(node.get("save-every"), "state.save-every")
                                                              .orElse(d.saveEvery()),
                                                      url, prefix, timeout, replicas, whenDown), d);
    }

    /** {@code observe.preflight}: {@code off}, {@code on}, or {@code {enabled, interval, timeout}}. */
    private PreflightSettings preflight(Config node) {
        String key = "observe.preflight";
        PreflightSettings d = PreflightSettings.DEFAULTS;
        if (node.exists() && node.isLeaf()) {
            return bool(node, key).map(d::withEnabled).orElse(d);
        }
        unknownKeys(node, key, PREFLIGHT);
        boolean enabled = bool(node.get("enabled"), key + ".enabled").orElse(d.enabled());
        Duration interval = positive(node.get("interval"), key + ".interval").filter(i -> {
            if (i.compareTo(PreflightSettings.MIN_INTERVAL) < 0) {
                problems.error(key + ".interval", "'" + Checks.human(i) + "' (expected: at least "
                        + Checks.human(PreflightSettings.MIN_INTERVAL) + ": checks of our own must stay cheap)");
                return false;
            }
            return true;
        }).orElse(d.interval());
        Duration timeout = positive(node.get("timeout"), key + ".timeout").filter(t -> {
            if (t.compareTo(PreflightSettings.MAX_TIMEOUT) > 0) {
                problems.error(key + ".timeout", "'" + Checks.human(t) + "' (expected: at most "
                        + Checks.human(PreflightSettings.MAX_TIMEOUT) + ")");
                return false;
            }
            return true;
        }).orElse(d.timeout());
        return build(key, () -> new PreflightSettings(enabled, interval, timeout), d);
    }

    private ClientAccess clientAccess(Config node, String host) {
        List<ClientKey> keys = new ArrayList<>();
        Config list = node.get("client-keys");
        if (list.exists() && list.type() != Config.Type.LIST) {
            problems.error("server.client-keys", "must be a list of {name, sha256}");
        }
        List<Config> entries = list.exists() && list.type() == Config.Type.LIST ? children(list) : List.of();
        Set<String> names = new LinkedHashSet<>();
        Set<String> hashes = new LinkedHashSet<>();
        for (int i = 0; i < entries.size(); i++) {
            String key = "server.client-keys[" + i + "]";
            Config entry = entries.get(i);
            unknownKeys(entry, key, CLIENT_KEY);
            Optional<String> name = text(entry.get("name"), key + ".name");
            Optional<String> hash = text(entry.get("sha256"), key + ".sha256").map(String::trim);
            if (name.isEmpty() || hash.isEmpty()) {
                problems.error(key, "needs a name and a sha256 (print one with: hedgerow hash-key)");
                continue;
            }
            Optional<Integer> perMinute = integer(entry.get("rate-limit"), key + ".rate-limit", 1, 1_000_000);
            Optional<Integer> burst = integer(entry.get("burst"), key + ".burst", 1, 1_000_000);
            if (burst.isPresent() && perMinute.isEmpty()) {
                problems.error(key + ".burst", "given without a rate-limit (expected: rate-limit: requests per "
                        + "minute)");
            }
            try {
                ClientKey client = new ClientKey(name.get(), hash.get(),
                        perMinute.map(n -> new ClientKey.RateLimit(n, burst.orElse(n))));
                if (!names.add(client.name())) {
                    problems.error(key + ".name", "'" + client.name() + "' names two clients");
                } else if (!hashes.add(client.sha256())) {
                    problems.error(key + ".sha256", "the same key as an earlier client (each client needs its own)");
                } else {
                    keys.add(client);
                }
            } catch (IllegalArgumentException e) {
                problems.error(key + ".sha256", "'" + hash.get() + "' (expected: 64 hex digits, as printed by "
                        + "hedgerow hash-key)");
            }
        }
        boolean allow = bool(node.get("allow-unauthenticated"), "server.allow-unauthenticated").orElse(false);
        ClientAccess access = new ClientAccess(keys, allow);
        access.refusal(host).ifPresent(why -> problems.error("server.host", why));
        return access;
    }

    private ServerLimits serverLimits(Config node) {
        ServerLimits d = ServerLimits.DEFAULTS;
        return build("server", () -> new ServerLimits(
                integer(node.get("max-concurrent-requests"), "server.max-concurrent-requests", 1, 100_000)
                        .orElse(d.maxConcurrentRequests()),
                integer(node.get("max-connections"), "server.max-connections", 1, 1_000_000)
                        .orElse(d.maxConnections()),
                Math.toIntExact(size(node.get("max-header-size"), "server.max-header-size")
                        .filter(n -> n >= 1024 && n <= 1024 * 1024 || invalid("server.max-header-size", n,
                                                                              "1KiB to 1MiB"))
                        .orElse((long) d.maxHeaderBytes())),
                positive(node.get("read-timeout"), "server.read-timeout").orElse(d.readTimeout()),
                positive(node.get("write-timeout"), "server.write-timeout").orElse(d.writeTimeout()),
                positive(node.get("idle-timeout"), "server.idle-timeout").orElse(d.idleTimeout()),
                duration(node.get("drain-timeout"), "server.drain-timeout").orElse(d.drainTimeout())), d);
    }

    private ProviderLimits providerLimits(Config node, String key) {
        ProviderLimits d = ProviderLimits.DEFAULTS;
        return build(key, () -> new ProviderLimits(
                integer(node.get("max-concurrent"), key + ".max-concurrent", 1, 100_000).orElse(d.maxConcurrent()),
                size(node.get("max-response-size"), key + ".max-response-size")
                        .filter(n -> n >= 1024 && n <= 1024L * 1024 * 1024 || invalid(key + ".max-response-size", n,
                                                                                      "1KiB to 1GiB"))
                        .orElse(d.maxResponseBytes())), d);
    }

    /** Reports a value out of its range; false, for use in a filter. */
    private boolean invalid(String key, long value, String expected) {
        problems.error(key, "'" + value + "' (expected: " + expected + ")");
        return false;
    }

    private Optional<ProviderConfig> provider(Config node, Timeouts defaults) {
        String name = node.name();
        String key = "providers." + name;
        unknownKeys(node, key, PROVIDER);
        if (name.contains("/")) {
            problems.error(key, "a provider name cannot contain '/' (chains write provider/model)");
        }
        Optional<String> typeName = text(node.get("type"), key + ".type");
        if (typeName.isEmpty()) {
            problems.error(key + ".type", "missing (expected: openai, anthropic, ollama or sim)");
            return Optional.empty();
        }
        Optional<ProviderType> type = ProviderType.fromConfig(typeName.get());
        if (type.isEmpty()) {
            problems.error(key + ".type", "'" + typeName.get() + "' (expected: openai, anthropic, ollama or sim)");
            return Optional.empty();
        }
        Optional<URI> baseUrl = text(node.get("base-url"), key + ".base-url").flatMap(u -> url(u, key + ".base-url"));
        if (type.get().needsBaseUrl() && baseUrl.isEmpty() && !node.get("base-url").exists()) {
            problems.error(key + ".base-url", "missing (a " + type.get().configName() + " provider needs one)");
        }
        List<ApiKey> keys = keys(node.get("keys"), key + ".keys");
        if (type.get().needsKey() && keys.isEmpty() && !node.get("keys").exists()) {
            problems.error(key + ".keys", "none configured (a " + type.get().configName()
                    + " provider needs at least one key, e.g. keys: [\"${ENV_VAR}\"])");
        }
        Map<String, String> headers = stringMap(node.get("headers"), key + ".headers");
        Map<Role, Role> roleMap = roleMap(node.get("role-map"), key + ".role-map");
        Timeouts timeouts = timeouts(node.get("timeouts"), key + ".timeouts", defaults);
        SimSettings sim = type.get() == ProviderType.SIM ? sim(node.get("sim"), key + ".sim") : SimSettings.DEFAULTS;
        KeyRotation rotation = KeyRotation.ORDERED;
        Optional<String> rotationName = text(node.get("key-rotation"), key + ".key-rotation");
        if (rotationName.isPresent()) {
            switch (rotationName.get()) {
            case "ordered" -> rotation = KeyRotation.ORDERED;
            case "round-robin" -> rotation = KeyRotation.ROUND_ROBIN;
            default -> problems.error(key + ".key-rotation", "'" + rotationName.get()
                    + "' (expected: ordered or round-robin)");
            }
        }
        Map<String, ModelSettings> models = models(node.get("models"), key + ".models");
        boolean prefill = bool(node.get("prefill"), key + ".prefill").orElse(type.get() == ProviderType.ANTHROPIC);
        return Optional.of(new ProviderConfig(name, type.get(), baseUrl, keys, headers, roleMap, timeouts, sim,
                                              rotation, models, prefill, providerLimits(node, key)));
    }

    private Optional<RouteConfig> route(Config node, Map<String, ProviderConfig> providers, Config providersNode,
                                        FailoverSettings failover, HedgingSettings hedging) {
        String alias = node.name();
        String key = "routes." + alias;
        unknownKeys(node, key, ROUTE);
        Config chainNode = node.get("chain");
        if (!chainNode.exists() || chainNode.type() != Config.Type.LIST || children(chainNode).isEmpty()) {
            problems.error(key + ".chain", "missing or empty (expected: a list of provider/model)");
            return Optional.empty();
        }
        List<CandidateRef> chain = new ArrayList<>();
        Set<String> seen = new LinkedHashSet<>();
        List<Config> entries = children(chainNode);
        for (int i = 0; i < entries.size(); i++) {
            String entryKey = key + ".chain[" + i + "]";
            Optional<String> entry = text(entries.get(i), entryKey);
            if (entry.isEmpty()) {
                continue;
            }
            int slash = entry.get().indexOf('/');
            if (slash <= 0 || slash == entry.get().length() - 1) {
                problems.error(entryKey, "'" + entry.get() + "' (expected: provider/model)");
                continue;
            }
            String provider = entry.get().substring(0, slash);
            if (!providersNode.get(provider).exists()) {
                problems.error(entryKey, "'" + entry.get() + "' names provider '" + provider
                        + "', which is not configured (known: " + String.join(", ", providerNames(providersNode))
                        + ")");
                continue;
            }
            if (!providers.containsKey(provider)) {
                problems.error(entryKey, "'" + entry.get() + "' uses provider '" + provider
                        + "', which has errors of its own (see above)");
                continue;
            }
            if (!seen.add(entry.get())) {
                problems.warn(entryKey, "'" + entry.get() + "' appears twice in the chain");
            }
            chain.add(new CandidateRef(provider, entry.get().substring(slash + 1)));
        }
        Optional<RetrySettings> retry = node.get("retry").exists()
                ? Optional.of(retry(node.get("retry"), key + ".retry", failover.retry())) : Optional.empty();
        Optional<HedgeSettings> hedge = Optional.empty();
        Config hedgeNode = node.get("hedge");
        if (hedgeNode.exists() && hedgeNode.isLeaf()) {
            String v = hedgeNode.asString().orElse("");
            if (v.equals("off") || v.equals("false")) {
                hedge = Optional.of(HedgeSettings.OFF);
            } else if (!v.equals("on") && !v.equals("true")) {
                problems.error(key + ".hedge", "'" + v + "' (expected: off, on, or a map of hedge settings)");
            }
        } else if (hedgeNode.exists()) {
            hedge = Optional.of(hedge(hedgeNode, key + ".hedge", hedging.defaults()));
        }
        boolean routeAround = false;
        Optional<String> onFilter = text(node.get("on-content-filter"), key + ".on-content-filter");
        if (onFilter.isPresent()) {
            switch (onFilter.get()) {
            case "fail" -> routeAround = false;
            case "next-candidate" -> routeAround = true;
            default -> problems.error(key + ".on-content-filter", "'" + onFilter.get()
                    + "' (expected: fail or next-candidate)");
            }
        }
        Optional<Duration> timeout = positive(node.get("timeout"), key + ".timeout");
        Optional<RecoverySettings> recovery = node.get("recovery").exists()
                ? Optional.of(recovery(node.get("recovery"), key + ".recovery", failover.recovery()))
                : Optional.empty();
        return chain.isEmpty() ? Optional.empty()
                : Optional.of(new RouteConfig(alias, chain, retry, hedge, routeAround, timeout, recovery));
    }

    /**
     * Warns when no fallback of a route can help when its primary is rate limited: every other candidate is on the
     * primary's provider or uses one of its keys (one rate-limit domain).
     */
    private void notAFallback(RouteConfig route, Map<String, ProviderConfig> providers) {
        if (route.chain().size() < 2) {
            return;
        }
        ProviderConfig primary = providers.get(route.chain().getFirst().provider());
        Set<String> primaryKeys = new java.util.HashSet<>();
        primary.keys().forEach(k -> primaryKeys.add(k.value()));
        for (CandidateRef ref : route.chain().subList(1, route.chain().size())) {
            ProviderConfig other = providers.get(ref.provider());
            boolean sameProvider = other.name().equals(primary.name());
            boolean sharedKey = other.keys().stream().anyMatch(k -> primaryKeys.contains(k.value()));
            if (!sameProvider && !sharedKey) {
                return;
            }
        }
        problems.warn("routes." + route.alias() + ".chain", "every fallback shares the primary's provider or key, "
                + "so a rate limit or outage of " + primary.name() + " hits them all: this fallback is not a fallback");
    }

    private List<ApiKey> keys(Config node, String key) {
        List<ApiKey> keys = new ArrayList<>();
        if (!node.exists()) {
            return keys;
        }
        if (node.type() != Config.Type.LIST) {
            problems.error(key, "must be a list (e.g. keys: [\"${OPENAI_API_KEY}\"])");
            return keys;
        }
        List<Config> entries = children(node);
        for (int i = 0; i < entries.size(); i++) {
            key(entries.get(i), key + "[" + i + "]", null).ifPresent(keys::add);
        }
        Set<String> labels = new LinkedHashSet<>();
        for (ApiKey k : keys) {
            if (!labels.add(k.label())) {
                problems.error(key, "two keys share the label '" + k.label() + "' (labels name keys in metrics)");
            }
        }
        return keys;
    }


    /**
     * One credential: {@code "${ENV_VAR}"}, {@code {label, env}}, {@code {label, file}} or a literal (warned about).
     * {@code defaultLabel} names an unlabelled key; null: {@code key-} + 8 hex digits of its SHA-256.
     */
    private Optional<ApiKey> key(Config entry, String entryKey, String defaultLabel) {
        if (entry.isLeaf()) {
            String raw = entry.asString().orElse("");
            Matcher m = ENV_REF.matcher(raw.trim());
            if (m.matches()) {
                return envKey(m.group(1), Optional.ofNullable(defaultLabel), entryKey);
            } else if (raw.contains("${")) {
                problems.error(entryKey, "malformed reference (expected: ${ENV_VAR_NAME})");
            } else if (!raw.isBlank()) {
                problems.warn(entryKey, "a literal key in the config file (prefer \"${ENV_VAR}\" or file:)");
                return Optional.of(defaultLabel == null ? ApiKey.unlabelled(raw.trim())
                                           : ApiKey.of(defaultLabel, raw.trim()));
            } else {
                problems.error(entryKey, "empty key");
            }
            return Optional.empty();
        }
        unknownKeys(entry, entryKey, KEY);
        Optional<String> label = text(entry.get("label"), entryKey + ".label").or(() -> Optional.ofNullable(defaultLabel));
        Optional<String> envName = text(entry.get("env"), entryKey + ".env");
        Optional<String> file = text(entry.get("file"), entryKey + ".file");
        Optional<String> value = text(entry.get("value"), entryKey + ".value");
        int sources = (envName.isPresent() ? 1 : 0) + (file.isPresent() ? 1 : 0) + (value.isPresent() ? 1 : 0);
        if (sources != 1) {
            problems.error(entryKey, "needs exactly one of env, file or value");
            return Optional.empty();
        }
        if (envName.isPresent()) {
            return envKey(envName.get(), label, entryKey);
        } else if (file.isPresent()) {
            return fileKey(Path.of(file.get()), label, entryKey);
        }
        problems.warn(entryKey + ".value", "a literal key in the config file (prefer env: or file:)");
        return Optional.of(label.map(l -> ApiKey.of(l, value.get())).orElseGet(() -> ApiKey.unlabelled(value.get())));
    }

    private Optional<ApiKey> envKey(String name, Optional<String> label, String key) {
        Optional<String> value = env.apply(name).map(String::trim).filter(v -> !v.isEmpty());
        if (value.isEmpty()) {
            problems.error(key, "environment variable " + name + " is not set");
            return Optional.empty();
        }
        return Optional.of(label.map(l -> ApiKey.of(l, value.get())).orElseGet(() -> ApiKey.unlabelled(value.get())));
    }

    private Optional<ApiKey> fileKey(Path file, Optional<String> label, String key) {
        try {
            String value = Files.readString(file, StandardCharsets.UTF_8).trim();
            if (value.isEmpty()) {
                problems.error(key, "key file '" + file + "' is empty");
                return Optional.empty();
            }
            return Optional.of(label.map(l -> ApiKey.of(l, value)).orElseGet(() -> ApiKey.unlabelled(value)));
        } catch (IOException e) {
            problems.error(key, "cannot read key file '" + file + "' (" + e.getClass().getSimpleName() + ")");
            return Optional.empty();
        }
    }

    private Map<Role, Role> roleMap(Config node, String key) {
        Map<Role, Role> map = new LinkedHashMap<>();
        stringMap(node, key).forEach((from, to) -> {
            Optional<Role> fromRole = Role.fromWire(from).filter(ProviderConfig.MAPPABLE_ROLES::contains);
            Optional<Role> toRole = Role.fromWire(to).filter(ProviderConfig.MAPPABLE_ROLES::contains);
            if (fromRole.isEmpty() || toRole.isEmpty()) {
                problems.error(key + "." + from, "'" + from + " -> " + to + "' (expected: roles among system, "
                        + "developer, user; assistant and tool messages are never rewritten)");
            } else {
                map.put(fromRole.get(), toRole.get());
            }
        });
        return map;
    }

    private Timeouts timeouts(Config node, String key, Timeouts defaults) {
        unknownKeys(node, key, TIMEOUTS);
        return new Timeouts(
                positive(node.get("connect"), key + ".connect").orElse(defaults.connect()),
                positive(node.get("first-token"), key + ".first-token").orElse(defaults.firstToken()),
                positive(node.get("idle"), key + ".idle").orElse(defaults.idle()),
                positive(node.get("total"), key + ".total").orElse(defaults.total()));
    }

    private SimSettings sim(Config node, String key) {
        unknownKeys(node, key, SIM);
        SimSettings d = SimSettings.DEFAULTS;
        Config latency = node.get("first-token");
        SimSettings.LatencyModel firstToken = d.firstToken();
        if (latency.exists() && latency.isLeaf()) {
            // A plain duration is a fixed delay.
            firstToken = new SimSettings.LatencyModel(
                    duration(latency, key + ".first-token").orElse(d.firstToken().median()), 0, 0, 1);
        } else if (latency.exists()) {
            unknownKeys(latency, key + ".first-token", LATENCY);
            firstToken = new SimSettings.LatencyModel(
                    duration(latency.get("median"), key + ".first-token.median").orElse(d.firstToken().median()),
                    number(latency.get("sigma"), key + ".first-token.sigma", 0, 5).orElse(d.firstToken().sigma()),
                    number(latency.get("slow-fraction"), key + ".first-token.slow-fraction", 0, 1).orElse(0.0),
                    number(latency.get("slow-factor"), key + ".first-token.slow-factor", 1, 1000).orElse(1.0));
        }
        Config faultsNode = node.get("faults");
        unknownKeys(faultsNode, key + ".faults", FAULTS);
        SimSettings.Faults faults = new SimSettings.Faults(
                number(faultsNode.get("rate-limited"), key + ".faults.rate-limited", 0, 1).orElse(0.0),
                number(faultsNode.get("server-error"), key + ".faults.server-error", 0, 1).orElse(0.0),
                number(faultsNode.get("cut-stream"), key + ".faults.cut-stream", 0, 1).orElse(0.0));
        if (faults.rateLimited() + faults.serverError() > 1) {
            problems.error(key + ".faults", "rate-limited + server-error exceed 1");
        }
        return new SimSettings(firstToken,
                               number(node.get("tokens-per-second"), key + ".tokens-per-second", 0, 1e6)
                                       .orElse(d.tokensPerSecond()),
                               integer(node.get("answer-tokens"), key + ".answer-tokens", 1, 100_000)
                                       .orElse(d.answerTokens()),
                               faults);
    }

    private FailoverSettings failover(Config node) {
        unknownKeys(node, "failover", FAILOVER);
        FailoverSettings d = FailoverSettings.DEFAULTS;
        RetrySettings retry = retry(node.get("retry"), "failover.retry", d.retry());
        Config c = node.get("cooldowns");
        unknownKeys(c, "failover.cooldowns", COOLDOWNS);
        CooldownSettings cooldowns = build("failover.cooldowns", () -> new CooldownSettings(
                ladder(c.get("rate-limited"), "failover.cooldowns.rate-limited").orElse(d.cooldowns().rateLimited()),
                ladder(c.get("auth"), "failover.cooldowns.auth").orElse(d.cooldowns().auth()),
                positive(c.get("max-retry-after"), "failover.cooldowns.max-retry-after")
                        .orElse(d.cooldowns().maxRetryAfter())), d.cooldowns());
        Config b = node.get("breaker");
        unknownKeys(b, "failover.breaker", BREAKER);
        BreakerSettings breaker = build("failover.breaker", () -> new BreakerSettings(
                positive(b.get("window"), "failover.breaker.window").orElse(d.breaker().window()),
                integer(b.get("minimum-calls"), "failover.breaker.minimum-calls", 1, 1_000_000)
                        .orElse(d.breaker().minimumCalls()),
                number(b.get("failure-ratio"), "failover.breaker.failure-ratio", 0.01, 1)
                        .orElse(d.breaker().failureRatio()),
                positive(b.get("open-for"), "failover.breaker.open-for").orElse(d.breaker().openFor()),
                integer(b.get("half-open-probes"), "failover.breaker.half-open-probes", 1, 1000)
                        .orElse(d.breaker().halfOpenProbes()),
                integer(b.get("successes-to-close"), "failover.breaker.successes-to-close", 1, 1000)
                        .orElse(d.breaker().successesToClose())), d.breaker());
        RecoverySettings recovery = recovery(node.get("recovery"), "failover.recovery", d.recovery());
        return new FailoverSettings(retry, cooldowns, breaker, recovery);
    }

    private RecoverySettings recovery(Config node, String key, RecoverySettings d) {
        if (node.exists() && node.isLeaf()) {
            String v = node.asString().orElse("");
            if (v.equals("off") || v.equals("false")) {
                return RecoverySettings.OFF;
            }
            problems.error(key, "'" + v + "' (expected: off, or {mode, max-resumptions})");
            return d;
        }
        unknownKeys(node, key, RECOVERY);
        RecoverySettings.Mode mode = d.mode();
        Optional<String> modeName = text(node.get("mode"), key + ".mode");
        if (modeName.isPresent()) {
            Optional<RecoverySettings.Mode> parsed = RecoverySettings.Mode.fromConfig(modeName.get());
            if (parsed.isEmpty()) {
                problems.error(key + ".mode", "'" + modeName.get() + "' (expected: off, prefill-only or prefill-or-splice)");
            }
            mode = parsed.orElse(mode);
        }
        return new RecoverySettings(mode, integer(node.get("max-resumptions"), key + ".max-resumptions", 0, 10)
                .orElse(d.maxResumptions()));
    }

    private RetrySettings retry(Config node, String key, RetrySettings d) {
        unknownKeys(node, key, RETRY);
        return build(key, () -> new RetrySettings(
                integer(node.get("max-attempts"), key + ".max-attempts", 1, 10).orElse(d.maxAttempts()),
                positive(node.get("base-delay"), key + ".base-delay").orElse(d.baseDelay()),
                positive(node.get("max-delay"), key + ".max-delay").orElse(d.maxDelay()),
                duration(node.get("max-retry-after"), key + ".max-retry-after").orElse(d.maxRetryAfter())), d);
    }

    private HedgingSettings hedging(Config node) {
        unknownKeys(node, "hedging", HEDGING);
        HedgingSettings d = HedgingSettings.DEFAULTS;
        Config b = node.get("budget");
        unknownKeys(b, "hedging.budget", BUDGET);
        BudgetSettings budget = build("hedging.budget", () -> new BudgetSettings(
                number(b.get("ratio"), "hedging.budget.ratio", 0, 1).orElse(d.budget().ratio()),
                integer(b.get("min-per-second"), "hedging.budget.min-per-second", 0, 100_000)
                        .orElse(d.budget().minPerSecond()),
                positive(b.get("ttl"), "hedging.budget.ttl").orElse(d.budget().ttl())), d.budget());
        Config l = node.get("baseline");
        unknownKeys(l, "hedging.baseline", BASELINE);
        BaselineSettings baseline = build("hedging.baseline", () -> new BaselineSettings(
                positive(l.get("window"), "hedging.baseline.window").orElse(d.baseline().window()),
                integer(l.get("min-samples"), "hedging.baseline.min-samples", 1, 1_000_000)
                        .orElse(d.baseline().minSamples()),
                positive(l.get("half-life"), "hedging.baseline.half-life").orElse(d.baseline().halfLife())),
                                           d.baseline());
        Config m = node.get("demotion");
        unknownKeys(m, "hedging.demotion", DEMOTION);
        DemotionSettings demotion = new DemotionSettings(
                number(m.get("factor"), "hedging.demotion.factor", 1, 100).orElse(d.demotion().factor()),
                number(m.get("slow-share"), "hedging.demotion.slow-share", 0, 1).orElse(d.demotion().slowShare()),
                number(m.get("recover-factor"), "hedging.demotion.recover-factor", 1, 100)
                        .orElse(d.demotion().recoverFactor()),
                number(m.get("probe-share"), "hedging.demotion.probe-share", 0, 1).orElse(d.demotion().probeShare()));
        if (demotion.recoverFactor() > demotion.factor()) {
            problems.error("hedging.demotion.recover-factor", "'" + demotion.recoverFactor()
                    + "' (expected: at most factor, " + demotion.factor() + ")");
        }
        HedgeSettings defaults = hedge(node.get("defaults"), "hedging.defaults", d.defaults());
        return new HedgingSettings(budget, baseline, demotion, defaults);
    }

    private HedgeSettings hedge(Config node, String key, HedgeSettings d) {
        unknownKeys(node, key, HEDGE);
        HedgeSettings.Delay delay = d.delay();
        Optional<String> delayText = text(node.get("delay"), key + ".delay");
        if (delayText.isPresent()) {
            String v = delayText.get().trim();
            if (v.equals("auto")) {
                delay = new HedgeSettings.Delay.Auto();
            } else if (v.matches("p\\d+(\\.\\d+)?")) {
                double p = Double.parseDouble(v.substring(1));
                if (p < 1 || p > 99.99) {
                    problems.error(key + ".delay", "'" + v + "' (expected: a percentile between p1 and p99.99)");
                } else {
                    delay = new HedgeSettings.Delay.Percentile(p);
                }
            } else {
                Optional<Duration> fixed = Units.duration(v);
                if (fixed.isPresent()) {
                    delay = new HedgeSettings.Delay.Fixed(fixed.get());
                } else {
                    problems.error(key + ".delay", "'" + v + "' (expected: auto, a percentile such as p95, "
                            + "or a duration such as 800ms)");
                }
            }
        }
        Duration min = positive(node.get("min-delay"), key + ".min-delay").orElse(d.minDelay());
        Duration max = positive(node.get("max-delay"), key + ".max-delay").orElse(d.maxDelay());
        if (min.compareTo(max) > 0) {
            problems.error(key + ".min-delay", "'" + Checks.human(min) + "' (expected: at most max-delay, "
                    + Checks.human(max) + ")");
        }
        Optional<Duration> warmup = d.warmupDelay();
        Optional<String> warmupText = text(node.get("warmup-delay"), key + ".warmup-delay");
        if (warmupText.isPresent()) {
            if (warmupText.get().trim().equals("none")) {
                warmup = Optional.empty();
            } else {
                Optional<Duration> fixed = Units.duration(warmupText.get());
                if (fixed.isEmpty()) {
                    problems.error(key + ".warmup-delay", "'" + warmupText.get()
                            + "' (expected: none, or a duration such as 1s)");
                }
                warmup = fixed.or(() -> d.warmupDelay());
            }
        }
        return new HedgeSettings(bool(node.get("enabled"), key + ".enabled").orElse(d.enabled()), delay, min, max,
                                 warmup,
                                 integer(node.get("max-in-flight"), key + ".max-in-flight", 1, 8).orElse(d.maxInFlight()),
                                 bool(node.get("same-provider"), key + ".same-provider").orElse(d.sameProvider()));
    }

    private Map<String, ModelSettings> models(Config node, String key) {
        Map<String, ModelSettings> models = new LinkedHashMap<>();
        if (!node.exists()) {
            return models;
        }
        if (node.type() != Config.Type.LIST) {
            problems.error(key, "must be a list of {name, context-window}");
            return models;
        }
        List<Config> entries = children(node);
        for (int i = 0; i < entries.size(); i++) {
            String entryKey = key + "[" + i + "]";
            unknownKeys(entries.get(i), entryKey, MODEL);
            Optional<String> name = text(entries.get(i).get("name"), entryKey + ".name");
            if (name.isEmpty()) {
                problems.error(entryKey + ".name", "missing");
                continue;
            }
            Optional<Integer> window = integer(entries.get(i).get("context-window"), entryKey + ".context-window",
                                               1, Integer.MAX_VALUE);
            models.put(name.get(), new ModelSettings(name.get(), window, price(entries.get(i).get("price"),
                                                                              entryKey + ".price")));
        }
        return models;
    }

    /**
     * {@code price: {input: 2.5, cached-input: 1.25, output: 10}}: US dollars per million tokens; input and output
     * required, cached-input (prompt tokens read from the provider's cache) optional, at most input, default input.
     */
    private Optional<Price> price(Config node, String key) {
        if (!node.exists()) {
            return Optional.empty();
        }
        if (node.type() != Config.Type.OBJECT) {
            problems.error(key, "must be a map {input: DOLLARS, output: DOLLARS} (per million tokens; optionally "
                    + "cached-input: DOLLARS)");
            return Optional.empty();
        }
        unknownKeys(node, key, PRICE);
        Optional<Double> input = number(node.get("input"), key + ".input", 0, 1_000_000);
        Optional<Double> cached = number(node.get("cached-input"), key + ".cached-input", 0, 1_000_000);
        Optional<Double> output = number(node.get("output"), key + ".output", 0, 1_000_000);
        for (String part : List.of("input", "output")) {
            if (!node.get(part).exists()) {
                problems.error(key + "." + part, "missing (expected: US dollars per million tokens, e.g. 2.5)");
            }
        }
        if (input.isEmpty() || output.isEmpty() || node.get("cached-input").exists() && cached.isEmpty()) {
            return Optional.empty();
        }
        if (cached.isPresent() && cached.get() > input.get()) {
            // Providers bill cache reads at a discount; a higher figure is most likely a cache-write price or a typo.
            problems.error(key + ".cached-input", "'" + trim(cached.get()) + "' (expected: at most the input price, "
                    + trim(input.get()) + ": prompt tokens read from the cache cost less, never more)");
            return Optional.empty();
        }
        return Optional.of(new Price(input.get(), cached.orElse(input.get()), output.get()));
    }

    private Optional<List<Duration>> ladder(Config node, String key) {
        if (!node.exists()) {
            return Optional.empty();
        }
        if (node.type() != Config.Type.LIST || children(node).isEmpty()) {
            problems.error(key, "must be a non-empty list of durations, e.g. [30s, 1m, 5m]");
            return Optional.empty();
        }
        List<Duration> steps = new ArrayList<>();
        List<Config> entries = children(node);
        for (int i = 0; i < entries.size(); i++) {
            positive(entries.get(i), key + "[" + i + "]").ifPresent(steps::add);
        }
        return steps.size() == entries.size() ? Optional.of(steps) : Optional.empty();
    }

    /** Builds a settings record whose own checks may still refuse the combination; reports that as a problem. */
    private <T> T build(String key, java.util.function.Supplier<T> builder, T fallback) {
        try {
            return builder.get();
        } catch (IllegalArgumentException e) {
            problems.error(key, e.getMessage());
            return fallback;
        }
    }

    // ---- typed readers: each reports a problem in the one shape and returns empty ----

    private Optional<Boolean> bool(Config node, String key) {
        return text(node, key).flatMap(v -> switch (v.trim()) {
            case "true", "on", "yes" -> Optional.of(true);
            case "false", "off", "no" -> Optional.of(false);
            default -> {
                problems.error(key, "'" + v + "' (expected: true or false)");
                yield Optional.empty();
            }
        });
    }


    private Optional<String> text(Config node, String key) {
        if (!node.exists()) {
            return Optional.empty();
        }
        if (!node.isLeaf()) {
            problems.error(key, "must be a single value");
            return Optional.empty();
        }
        return node.asString().asOptional();
    }

    private Optional<Integer> integer(Config node, String key, int min, int max) {
        return text(node, key).flatMap(v -> {
            try {
                int n = Integer.parseInt(v.trim());
                if (n >= min && n <= max) {
                    return Optional.of(n);
                }
            } catch (NumberFormatException ignored) {
                // reported below
            }
            problems.error(key, "'" + v + "' (expected: an integer in " + min + ".." + max + ")");
            return Optional.empty();
        });
    }

    private Optional<Double> number(Config node, String key, double min, double max) {
        return text(node, key).flatMap(v -> {
            try {
                double n = Double.parseDouble(v.trim());
                if (n >= min && n <= max) {
                    return Optional.of(n);
                }
            } catch (NumberFormatException ignored) {
                // reported below
            }
            problems.error(key, "'" + v + "' (expected: a number in " + trim(min) + ".." + trim(max) + ")");
            return Optional.empty();
        });
    }

    private Optional<Duration> duration(Config node, String key) {
        return text(node, key).flatMap(v -> {
            Optional<Duration> d = Units.duration(v);
            if (d.isEmpty()) {
                problems.error(key, "'" + v + "' (expected: a duration such as 30s, 500ms or 2m)");
            }
            return d;
        });
    }

    private Optional<Duration> positive(Config node, String key) {
        return duration(node, key).filter(d -> {
            if (d.isZero() || d.isNegative()) {
                problems.error(key, "'" + d + "' (expected: more than zero)");
                return false;
            }
            return true;
        });
    }

    private Optional<Long> size(Config node, String key) {
        return text(node, key).flatMap(v -> {
            Optional<Long> s = Units.size(v).filter(n -> n > 0);
            if (s.isEmpty()) {
                problems.error(key, "'" + v + "' (expected: a size such as 8MiB, 512KiB or 1048576)");
            }
            return s;
        });
    }

    private Optional<URI> url(String value, String key) {
        try {
            URI uri = new URI(value.trim());
            String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
            if ((scheme.equals("http") || scheme.equals("https")) && uri.getHost() != null) {
                return Optional.of(uri);
            }
        } catch (URISyntaxException ignored) {
            // reported below
        }
        problems.error(key, "'" + value + "' (expected: an absolute http:// or https:// URL)");
        return Optional.empty();
    }

    private Map<String, String> stringMap(Config node, String key) {
        Map<String, String> map = new LinkedHashMap<>();
        if (!node.exists()) {
            return map;
        }
        if (node.type() != Config.Type.OBJECT) {
            problems.error(key, "must be a map of name: value");
            return map;
        }
        for (Config child : children(node)) {
            text(child, key + "." + child.name()).ifPresent(v -> map.put(child.name(), v));
        }
        return map;
    }

    private void unknownKeys(Config node, String key, Set<String> known) {
        if (!node.exists() || node.type() != Config.Type.OBJECT) {
            return;
        }
        for (Config child : children(node)) {
            if (!known.contains(child.name())) {
                problems.warn(key.isEmpty() ? child.name() : key + "." + child.name(),
                              "unknown key, ignored (known: " + String.join(", ", known.stream().sorted().toList())
                                      + ")");
            }
        }
    }

    private static List<Config> children(Config node) {
        return node.asNodeList().orElse(List.of());
    }

    private static List<String> providerNames(Config providersNode) {
        return children(providersNode).stream().map(Config::name).toList();
    }

    private static String trim(double d) {
        return d == Math.rint(d) ? String.valueOf((long) d) : String.valueOf(d);
    }

    private static String rootCause(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage().replace('\n', ' ');
    }
}
