package io.hedgerow.config;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;

/**
 * Reads a Hedgerow YAML file into a validated {@link HedgerowConfig}, or into the full list of what is wrong with
 * it. The file is parsed as written ({@link YamlFile}), each place in it read as a type ({@link ConfigNode}), each
 * section bound by its own binder, credentials resolved by {@link Secrets} (so a chain that names a provider whose key
 * is missing fails at start-up, not at 7 am), and then the sections are checked against each other
 * ({@link ChainWarnings}). Values are never printed for keys, only their source.
 *
 * <p>To add a setting: add its key to its binder's {@link Keys} and read it there. To add a section: write a binder
 * with its {@link Keys}, call it from {@link #bind} and list its keys in {@link #schema()}; document it in
 * docs/configuration.md, which a test holds to {@link #schema()}.
 */
public final class ConfigLoader {
    static final Keys TOP = Keys.of("", "server", "defaults", "providers", "routes", "failover", "hedging", "observe",
                                   "state", "conversations");

    private ConfigLoader() {
    }

    /**
     * What loading produced: the config when there were no errors, every error and warning, and the draft (what
     * the file says despite its errors) when the file could be parsed.
     */
    public record Result(Optional<HedgerowConfig> config, List<String> errors, List<String> warnings,
                         Optional<ConfigDraft> draft) {
        public Result {
            Objects.requireNonNull(config, "config");
            errors = List.copyOf(errors);
            warnings = List.copyOf(warnings);
            Objects.requireNonNull(draft, "draft");
        }

        /** A result without a draft. */
        public Result(Optional<HedgerowConfig> config, List<String> errors, List<String> warnings) {
            this(config, errors, warnings, Optional.empty());
        }
    }

    /** Every mapping of the file Hedgerow reads, and its keys: what the configuration reference must describe. */
    public static List<Keys> schema() {
        List<Keys> all = new ArrayList<>(List.of(TOP));
        all.addAll(ServerBinder.keys());
        all.addAll(ProviderBinder.keys());
        all.addAll(FailoverBinder.keys());
        all.addAll(HedgingBinder.keys());
        all.addAll(RouteBinder.keys());
        all.addAll(ObserveBinder.keys());
        all.addAll(StateBinder.keys());
        all.addAll(ConversationsBinder.keys());
        return all;
    }

    /** Loads a file, resolving {@code ${VAR}} from the process environment. */
    public static Result load(Path file) {
        return load(file, name -> Optional.ofNullable(System.getenv(name)));
    }

    /** Loads a file with the given environment (tests pass a map). */
    public static Result load(Path file, Function<String, Optional<String>> env) {
        ConfigProblems problems = new ConfigProblems();
        if (!Files.isRegularFile(file)) {
            problems.error("config", "file '" + file + "' does not exist or is not a file");
            return result(problems, Optional.empty());
        }
        ConfigNode root;
        try {
            root = ConfigNode.root(YamlFile.parse(file), problems);
        } catch (Exception e) { // SnakeYAML's syntax errors are runtime exceptions; reading the file may fail too
            problems.error("config", "cannot parse '" + file + "' as YAML: " + rootCause(e));
            return result(problems, Optional.empty());
        }
        if (root.exists() && !root.isMap()) {
            problems.error("config", "'" + file + "' is not a YAML mapping (expected: server:, providers:, routes: ...)");
            return result(problems, Optional.empty());
        }
        root.reportDuplicateKeys();
        return result(problems, Optional.of(bind(root, new Secrets(env), file, env)));
    }

    private static ConfigDraft bind(ConfigNode root, Secrets secrets, Path file,
                                    Function<String, Optional<String>> env) {
        root.check(TOP);
        ServerSettings server = new ServerBinder(secrets).bind(root.get("server"));
        ConfigNode defaultsNode = root.get("defaults").check(ProviderBinder.DEFAULTS);
        Timeouts defaults = ProviderBinder.timeouts(defaultsNode.get("timeouts"), Timeouts.DEFAULTS);
        FailoverSettings failover = new FailoverBinder().bind(root.get("failover"));
        HedgingSettings hedging = new HedgingBinder().bind(root.get("hedging"));

        Map<String, ProviderConfig> providers = new LinkedHashMap<>();
        ConfigNode providersNode = root.get("providers");
        if (providersNode.entries().isEmpty()) {
            providersNode.error("none configured (expected: at least one provider)");
        }
        ProviderBinder providerBinder = new ProviderBinder(secrets, defaults);
        for (ConfigNode node : providersNode.entries()) {
            providerBinder.bind(node).ifPresent(p -> providers.put(p.name(), p));
        }
        Map<String, RouteConfig> routes = new LinkedHashMap<>();
        ConfigNode routesNode = root.get("routes");
        if (routesNode.entries().isEmpty()) {
            routesNode.error("none configured (expected: at least one route with a chain)");
        }
        RouteBinder routeBinder = new RouteBinder(providersNode, providers, failover, hedging);
        for (ConfigNode node : routesNode.entries()) {
            routeBinder.bind(node).ifPresent(r -> routes.put(r.alias(), r));
        }
        ChainWarnings.check(routes, providers, routesNode);
        EmbeddingSpaces.check(routes, providers, routesNode);
        ObserveSettings observe = new ObserveBinder(secrets).bind(root.get("observe"));
        StateSettings state = new StateBinder(file, env).bind(root.get("state"));
        ConversationSettings conversations = new ConversationsBinder().bind(root.get("conversations"));
        return new ConfigDraft(new HedgerowConfig(server, providers, routes, failover, hedging, observe, state,
                                                  conversations),
                               providerBinder.missingKeys(), providerBinder.broken());
    }

    private static Result result(ConfigProblems problems, Optional<ConfigDraft> draft) {
        return new Result(problems.hasErrors() ? Optional.empty() : draft.map(ConfigDraft::config), problems.errors(),
                          problems.warnings(), draft);
    }

    private static String rootCause(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage().replace('\n', ' ');
    }
}
