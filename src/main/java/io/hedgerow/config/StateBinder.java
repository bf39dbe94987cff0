package io.hedgerow.config;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Binds {@code state}: where health state lives. The snapshot file defaults to {@code $HEDGEROW_STATE_FILE} when that
 * is set (a container whose config directory is read-only points it at a volume), else to {@code NAME.state.json}
 * beside the config file; a relative {@code file} is relative to the config file's directory.
 */
final class StateBinder {
    static final Keys STATE = Keys.of("state", "store", "file", "save-every", "url", "key-prefix", "timeout",
                                      "replicas", "rate-limits-when-down");

    /** The environment variable that moves the default snapshot file. */
    static final String FILE_VARIABLE = "HEDGEROW_STATE_FILE";

    private final Path configFile;
    private final java.util.function.Function<String, Optional<String>> env;

    StateBinder(Path configFile, java.util.function.Function<String, Optional<String>> env) {
        this.configFile = configFile;
        this.env = env;
    }

    static List<Keys> keys() {
        return List.of(STATE);
    }

    StateSettings bind(ConfigNode node) {
        node.check(STATE);
        StateSettings d = StateSettings.DEFAULTS;
        StateSettings.Store store = node.get("store").choice(Map.of("local", StateSettings.Store.LOCAL,
                                                                     "redis", StateSettings.Store.REDIS),
                                                              "local or redis").orElse(d.store());
        Optional<Path> file = file(node.get("file"));
        ConfigNode urlNode = node.get("url");
        Optional<URI> url = urlNode.text().map(String::trim).flatMap(v -> redisUrl(v, urlNode));
        if (store == StateSettings.Store.REDIS && url.isEmpty()) {
            if (!urlNode.exists()) {
                urlNode.error("missing (expected: redis://host:port when state.store is redis)");
            }
            store = StateSettings.Store.LOCAL;
        }
        String prefix = node.get("key-prefix").text().orElse(d.keyPrefix());
        ConfigNode timeoutNode = node.get("timeout");
        Duration timeout = timeoutNode.positive().filter(t -> {
            if (t.compareTo(StateSettings.MAX_TIMEOUT) > 0) {
                timeoutNode.error("'" + Checks.human(t) + "' (expected: at most " + Checks.human(StateSettings.MAX_TIMEOUT)
                                          + ": requests must not wait long on shared state)");
                return false;
            }
            return true;
        }).orElse(d.timeout());
        int replicas = node.get("replicas").integer(1, 10_000).orElse(d.replicas());
        StateSettings.WhenDown whenDown = node.get("rate-limits-when-down")
                .choice(Map.of("per-replica", StateSettings.WhenDown.PER_REPLICA,
                               "refuse", StateSettings.WhenDown.REFUSE), "per-replica or refuse")
                .orElse(d.whenDown());
        Duration saveEvery = node.get("save-every").positive().orElse(d.saveEvery());
        StateSettings.Store chosen = store;
        return node.build(() -> new StateSettings(chosen, file, saveEvery, url, prefix, timeout, replicas, whenDown),
                          d.withFile(file));
    }

    /** {@code off}, or a path (relative to the config file's directory) in an existing directory. */
    private Optional<Path> file(ConfigNode node) {
        Optional<Path> beside = Optional.of(env.apply(FILE_VARIABLE).filter(v -> !v.isBlank()).map(Path::of)
                                                    .orElseGet(() -> StateSettings.fileBeside(configFile)));
        if (!node.exists()) {
            return beside;
        }
        if (node.yamlBoolean().filter(on -> !on).isPresent()) {
            return Optional.empty();
        }
        Optional<String> text = node.text().map(String::trim);
        if (text.isEmpty()) {
            return beside;
        }
        if (text.get().equals("off")) {
            return Optional.empty();
        }
        Path path = configFile.toAbsolutePath().resolveSibling(text.get());
        if (!Files.isDirectory(path.getParent())) {
            node.error("'" + text.get() + "' (expected: off, or a file in an existing directory)");
            return beside;
        }
        return Optional.of(path);
    }

    private static Optional<URI> redisUrl(String value, ConfigNode node) {
        try {
            URI uri = new URI(value);
            String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
            if ((scheme.equals("redis") || scheme.equals("rediss")) && uri.getHost() != null) {
                return Optional.of(uri);
            }
        } catch (URISyntaxException ignored) {
            // reported below
        }
        // A password in the URL is not repeated in the message.
        node.error("'" + value.replaceAll("//[^@/]*@", "//***@") + "' (expected: redis://host:port or rediss://host:port)");
        return Optional.empty();
    }
}
