package io.hedgerow.observe;

import io.hedgerow.config.ConfigLoader;
import io.hedgerow.config.HedgerowConfig;
import io.hedgerow.config.ProviderConfig;
import io.hedgerow.config.ServerSettings;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BiFunction;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Reloads the config file: reads and validates it, and only when it is valid builds the next {@link Generation}
 * and swaps it in atomically. Requests already running keep the generation they started with; new ones get the new
 * one. An invalid file changes nothing: its problems are logged and reported, and the old config stays.
 *
 * <p>The listening address cannot change while running: the new config keeps the running host and port (a change
 * in the file is reported as needing a restart), and so does {@code observe.events}.
 *
 * <p>Thread-safe: reloads are serialized; readers see one generation or the next, never a mix.
 */
public final class ConfigReloader {
    private static final System.Logger LOG = System.getLogger(ConfigReloader.class.getName());

    /**
     * What a reload did.
     *
     * @param result     {@code applied}, {@code unchanged} (the file loads to the config in use) or {@code rejected}
     * @param generation the generation in use afterwards
     * @param errors     why the file was rejected
     * @param warnings   the file's warnings (unknown keys...) and settings that need a restart
     * @param changes    what changed, e.g. {@code routes.chat changed}
     */
    public record Outcome(String result, int generation, List<String> errors, List<String> warnings,
                          List<String> changes) {
        public Outcome {
            errors = List.copyOf(errors);
            warnings = List.copyOf(warnings);
            changes = List.copyOf(changes);
        }

        public boolean applied() {
            return result.equals("applied");
        }
    }

    private final AtomicReference<Generation> current;
    private final Path file;
    private final Function<Path, ConfigLoader.Result> loader;
    private final BiFunction<Generation, HedgerowConfig, Generation> builder;
    private final Consumer<Generation> onSwap;
    private final EventLog events;
    private final HedgerowMetrics metrics;
    private ServerSettings lastFileServer;
    /** The body limit at start: Helidon refuses bodies over it whatever a reload says (it holds chunks whole). */
    private final long startMaxBodyBytes;

    /**
     * @param current the generation in use, swapped by reloads
     * @param file    the config file
     * @param loader  reads and validates a file ({@link ConfigLoader#load(Path)})
     * @param builder builds the next generation from the current one and a new config
     * @param onSwap  told about each new generation after the swap (gauges, tag limits)
     */
    public ConfigReloader(AtomicReference<Generation> current, Path file, Function<Path, ConfigLoader.Result> loader,
                          BiFunction<Generation, HedgerowConfig, Generation> builder, Consumer<Generation> onSwap,
                          EventLog events, HedgerowMetrics metrics) {
        this.current = Objects.requireNonNull(current, "current");
        this.startMaxBodyBytes = current.get().config().server().maxBodyBytes();
        this.file = Objects.requireNonNull(file, "file");
        this.loader = Objects.requireNonNull(loader, "loader");
        this.builder = Objects.requireNonNull(builder, "builder");
        this.onSwap = Objects.requireNonNull(onSwap, "onSwap");
        this.events = Objects.requireNonNull(events, "events");
        this.metrics = Objects.requireNonNull(metrics, "metrics");
    }

    public Path file() {
        return file;
    }

    /**
     * Reloads now.
     *
     * @param trigger what asked, for the event: {@code file} (the watcher) or {@code admin} (the endpoint)
     */
    public synchronized Outcome reload(String trigger) {
        Generation old = current.get();
        ConfigLoader.Result result;
        try {
            result = loader.apply(file);
        } catch (RuntimeException e) {
            result = new ConfigLoader.Result(Optional.empty(), List.of("config: cannot load '" + file + "': "
                    + e.getClass().getSimpleName()), List.of());
        }
        if (result.config().isEmpty()) {
            List<String> errors = result.errors().isEmpty() ? List.of("config: not loaded") : result.errors();
            LOG.log(System.Logger.Level.WARNING, "config reload ({0}) rejected, the old config stays: {1} has {2} "
                    + "problem(s):\n  {3}", trigger, file, errors.size(), String.join("\n  ", errors));
            metrics.reload("rejected");
            events.emit("config_rejected", Optional.empty(), e -> {
                e.put("trigger", trigger).put("file", file.toString()).put("generation", old.number());
                errors.forEach(e.putArray("errors")::add);
            });
            return new Outcome("rejected", old.number(), errors, result.warnings(), List.of());
        }
        HedgerowConfig loaded = result.config().get();
        List<String> warnings = new ArrayList<>(result.warnings());
        ServerSettings running = old.config().server();
        ServerSettings fromFile = loaded.server();
        if ((!fromFile.host().equals(running.host()) || fromFile.port() != running.port())
                && (lastFileServer == null || !fromFile.host().equals(lastFileServer.host())
                || fromFile.port() != lastFileServer.port())) {
            warnings.add("server.host/server.port: " + fromFile.host() + ":" + fromFile.port() + " takes effect at "
                                 + "the next restart (listening on " + running.host() + ":" + running.port() + ")");
        }
        lastFileServer = fromFile;
        if (fromFile.maxBodyBytes() > startMaxBodyBytes) {
            warnings.add("server.max-body-size: " + fromFile.maxBodyBytes() + " bytes is above the "
                                 + startMaxBodyBytes + " the router started with: larger bodies are refused until "
                                 + "the next restart");
        }
        HedgerowConfig next = loaded.withServer(fromFile.withAddress(running.host(), running.port()));
        if (!next.observe().events().equals(old.config().observe().events())) {
            warnings.add("observe.events: '" + next.observe().events() + "' takes effect at the next restart");
            next = next.withObserve(new io.hedgerow.config.ObserveSettings(
                    old.config().observe().events(), next.observe().recentEvents(), next.observe().maxTags(),
                    next.observe().watchConfig(), next.observe().preflight()));
        }
        warnings.forEach(w -> LOG.log(System.Logger.Level.WARNING, "config reload: {0}", w));
        List<String> changes = changes(old.config(), next);
        if (changes.isEmpty()) {
            metrics.reload("unchanged");
            return new Outcome("unchanged", old.number(), List.of(), warnings, List.of());
        }
        Generation built = builder.apply(old, next);
        current.set(built);
        onSwap.accept(built);
        metrics.reload("applied");
        LOG.log(System.Logger.Level.INFO, "config reload ({0}): generation {1} in use: {2}", trigger, built.number(),
                String.join("; ", changes));
        events.emit("config_reloaded", Optional.empty(), e -> {
            e.put("trigger", trigger).put("file", file.toString()).put("generation", built.number());
            changes.forEach(e.putArray("changes")::add);
        });
        return new Outcome("applied", built.number(), List.of(), warnings, changes);
    }

    /** What differs between two configs, section by section, e.g. {@code providers.p2 added}. */
    static List<String> changes(HedgerowConfig before, HedgerowConfig after) {
        List<String> changes = new ArrayList<>();
        if (!before.server().equals(after.server())) {
            changes.add("server changed");
        }
        diff("providers", before.providers(), after.providers(), changes);
        diff("routes", before.routes(), after.routes(), changes);
        if (!before.failover().equals(after.failover())) {
            changes.add("failover changed");
        }
        if (!before.hedging().equals(after.hedging())) {
            changes.add("hedging changed");
        }
        if (!before.observe().equals(after.observe())) {
            changes.add("observe changed");
        }
        return changes;
    }

    private static <V> void diff(String section, Map<String, V> before, Map<String, V> after, List<String> changes) {
        for (Map.Entry<String, V> entry : after.entrySet()) {
            V old = before.get(entry.getKey());
            if (old == null) {
                changes.add(section + "." + entry.getKey() + " added");
            } else if (!old.equals(entry.getValue())) {
                changes.add(section + "." + entry.getKey() + " changed");
            }
        }
        for (String name : before.keySet()) {
            if (!after.containsKey(name)) {
                changes.add(section + "." + name + " removed");
            }
        }
    }

    /** Whether a provider's upstream settings are the same (declared models and prices aside). */
    public static boolean sameUpstream(ProviderConfig a, ProviderConfig b) {
        return a.type() == b.type() && a.baseUrl().equals(b.baseUrl()) && a.keys().equals(b.keys())
                && a.headers().equals(b.headers()) && a.roleMap().equals(b.roleMap())
                && a.timeouts().equals(b.timeouts()) && a.sim().equals(b.sim())
                && a.keyRotation().equals(b.keyRotation());
    }

}
