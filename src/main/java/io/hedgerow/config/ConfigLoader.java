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
    private static final Set<String> TOP = Set.of("server", "defaults", "providers", "routes");
    private static final Set<String> SERVER = Set.of("host", "port", "max-body-size", "request-timeout");
    private static final Set<String> PROVIDER = Set.of("type", "base-url", "keys", "headers", "role-map",
                                                       "timeouts", "sim");
    private static final Set<String> TIMEOUTS = Set.of("connect", "first-token", "idle", "total");
    private static final Set<String> SIM = Set.of("first-token", "tokens-per-second", "answer-tokens", "faults");
    private static final Set<String> LATENCY = Set.of("median", "sigma", "slow-fraction", "slow-factor");
    private static final Set<String> FAULTS = Set.of("rate-limited", "server-error", "cut-stream");
    private static final Set<String> ROUTE = Set.of("chain");
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
        return loader.result(loader.read(root));
    }

    private Result result(Optional<HedgerowConfig> config) {
        return new Result(problems.hasErrors() ? Optional.empty() : config, problems.errors(), problems.warnings());
    }

    private Optional<HedgerowConfig> read(Config root) {
        unknownKeys(root, "", TOP);
        ServerSettings server = server(root.get("server"));
        Timeouts defaults = timeouts(root.get("defaults").get("timeouts"), "defaults.timeouts", Timeouts.DEFAULTS);
        unknownKeys(root.get("defaults"), "defaults", Set.of("timeouts"));

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
                route(node, providers, providersNode).ifPresent(r -> routes.put(r.alias(), r));
            }
        }
        return Optional.of(new HedgerowConfig(server, providers, routes));
    }

    private ServerSettings server(Config node) {
        unknownKeys(node, "server", SERVER);
        String host = text(node.get("host"), "server.host").orElse("127.0.0.1");
        int port = integer(node.get("port"), "server.port", 0, 65535).orElse(8080);
        long maxBody = size(node.get("max-body-size"), "server.max-body-size").orElse(ServerSettings.DEFAULT_MAX_BODY);
        Duration requestTimeout = duration(node.get("request-timeout"), "server.request-timeout")
                .orElse(Duration.ofMinutes(5));
        return new ServerSettings(host, port, maxBody, requestTimeout);
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
        return Optional.of(new ProviderConfig(name, type.get(), baseUrl, keys, headers, roleMap, timeouts, sim));
    }

    private Optional<RouteConfig> route(Config node, Map<String, ProviderConfig> providers, Config providersNode) {
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
        return chain.isEmpty() ? Optional.empty() : Optional.of(new RouteConfig(alias, chain));
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
            String entryKey = key + "[" + i + "]";
            Config entry = entries.get(i);
            if (entry.isLeaf()) {
                String raw = entry.asString().orElse("");
                Matcher m = ENV_REF.matcher(raw.trim());
                if (m.matches()) {
                    envKey(m.group(1), Optional.empty(), entryKey).ifPresent(keys::add);
                } else if (raw.contains("${")) {
                    problems.error(entryKey, "malformed reference (expected: ${ENV_VAR_NAME})");
                } else if (!raw.isBlank()) {
                    problems.warn(entryKey, "a literal key in the config file (prefer \"${ENV_VAR}\" or file:)");
                    keys.add(ApiKey.unlabelled(raw.trim()));
                } else {
                    problems.error(entryKey, "empty key");
                }
                continue;
            }
            unknownKeys(entry, entryKey, KEY);
            Optional<String> label = text(entry.get("label"), entryKey + ".label");
            Optional<String> envName = text(entry.get("env"), entryKey + ".env");
            Optional<String> file = text(entry.get("file"), entryKey + ".file");
            Optional<String> value = text(entry.get("value"), entryKey + ".value");
            int sources = (envName.isPresent() ? 1 : 0) + (file.isPresent() ? 1 : 0) + (value.isPresent() ? 1 : 0);
            if (sources != 1) {
                problems.error(entryKey, "needs exactly one of env, file or value");
                continue;
            }
            if (envName.isPresent()) {
                envKey(envName.get(), label, entryKey).ifPresent(keys::add);
            } else if (file.isPresent()) {
                fileKey(Path.of(file.get()), label, entryKey).ifPresent(keys::add);
            } else {
                problems.warn(entryKey + ".value", "a literal key in the config file (prefer env: or file:)");
                keys.add(label.map(l -> ApiKey.of(l, value.get())).orElseGet(() -> ApiKey.unlabelled(value.get())));
            }
        }
        Set<String> labels = new LinkedHashSet<>();
        for (ApiKey k : keys) {
            if (!labels.add(k.label())) {
                problems.error(key, "two keys share the label '" + k.label() + "' (labels name keys in metrics)");
            }
        }
        return keys;
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

    // ---- typed readers: each reports a problem in the one shape and returns empty ----

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
