package io.hedgerow;

import io.hedgerow.api.ClientKeys;
import io.hedgerow.config.ClientAccess;
import io.hedgerow.config.ConfigLoader;
import io.hedgerow.config.HedgerowConfig;
import io.hedgerow.config.ServerSettings;
import io.hedgerow.tune.TuneCommand;

import io.helidon.logging.common.LogConfig;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The command line: {@code hedgerow [run] [--config FILE] [--port N] [--host ADDR]} starts the router;
 * {@code hedgerow check [--live] [--format text|json] [--config FILE]} validates a config, prints every problem and
 * exits 1 if there is one (with {@code --live}, also checks every provider+key a route uses against the provider
 * itself, in the same run, see {@link CheckCommand}, and exits 1 when a rung cannot serve);
 * {@code hedgerow tune} replays hedging policies on a router's recorded requests ({@link TuneCommand});
 * {@code hedgerow hash-key [--new]} prints the SHA-256 of a client key read from standard input (or of a new random
 * key, printed once), for {@code server.client-keys}.
 */
public final class Main {
    static final String DEFAULT_CONFIG = "config/hedgerow.yaml";
    private static final String USAGE = """
            usage: hedgerow [run] [--config FILE] [--port N] [--host ADDR] [--allow-unauthenticated]
                   hedgerow check [--live] [--format text|json] [--config FILE]
                       (every problem of the file; --live: then ask each provider+key, no tokens spent)
                   hedgerow hash-key [--new]   (the key on standard input; --new makes one)
                   hedgerow tune --url http://HOST:PORT | --samples FILE [--route NAME] [--max-load 5%] [--json]
                         (hedging policies replayed on recorded requests; see docs/hedging.md)
            The config defaults to $HEDGEROW_CONFIG, else config/hedgerow.yaml.""";

    private Main() {
    }

    public static void main(String[] args) {
        if (System.getProperty("java.util.logging.manager") == null) {
            // Before anything logs: keep logging alive through the drain on shutdown.
            System.setProperty("java.util.logging.manager", DrainLogManager.class.getName());
        }
        // Applies logging.properties from the jar (one line per record, with the time; Helidon's chatter at
        // WARNING) before the first record: the JDK itself reads only its own file.
        LogConfig.configureRuntime();
        int code = run(args, System.out, System.err);
        if (code != 0 || args.length > 0 && List.of("check", "help", "hash-key", "tune").contains(args[0])) {
            // A one-shot command is done: upstream connections kept alive by a live check must not hold the JVM.
            System.exit(code);
        }
    }

    /** Runs a command; returns the exit code (0 with the server left running for {@code run}). */
    static int run(String[] args, PrintStream out, PrintStream err) {
        return run(args, System.in, out, err);
    }

    /** Runs a command with this standard input (for {@code hash-key}). */
    static int run(String[] args, InputStream in, PrintStream out, PrintStream err) {
        return run(args, in, out, err, name -> Optional.ofNullable(System.getenv(name)));
    }

    /** Runs a command with this environment for the config's variables (tests pass a map). */
    static int run(String[] args, InputStream in, PrintStream out, PrintStream err,
                   java.util.function.Function<String, Optional<String>> env) {
        if (args.length > 0 && args[0].equals("tune")) {
            return TuneCommand.run(List.of(args).subList(1, args.length), out, err);
        }
        Options options;
        try {
            options = Options.parse(args);
        } catch (IllegalArgumentException e) {
            err.println("hedgerow: " + e.getMessage());
            err.println(USAGE);
            return 2;
        }
        if (options.command.equals("help")) {
            out.println(USAGE);
            return 0;
        }
        if (options.command.equals("hash-key")) {
            return hashKey(options.newKey, in, out, err);
        }
        ConfigLoader.Result result = ConfigLoader.load(options.config, env);
        if (options.command.equals("check")) {
            return CheckCommand.run(options.config, result, options.live, options.json, out, err,
                                    java.time.Clock.systemUTC());
        }
        result.warnings().forEach(w -> err.println("warning: " + w));
        if (!result.errors().isEmpty()) {
            err.println("hedgerow: " + options.config + " has " + result.errors().size() + " problem"
                                + (result.errors().size() == 1 ? "" : "s") + ":");
            result.errors().forEach(e -> err.println("  error: " + e));
            return 1;
        }
        HedgerowConfig config = result.config().orElseThrow();
        ServerSettings s = config.server();
        config = config.withServer(s.withAddress(options.host.orElse(s.host()), options.port.orElse(s.port())));
        if (options.allowUnauthenticated) {
            // The command line's say-so, for a container whose port is published on loopback only.
            config = config.withServer(config.server().withAccess(
                    new ClientAccess(config.server().access().keys(), true)));
        }
        Optional<String> refusal = config.server().access().refusal(config.server().host());
        if (refusal.isPresent()) {
            err.println("hedgerow: --host " + refusal.get());
            return 1;
        }
        HedgerowServer server = HedgerowServer.start(config, options.config);
        // SIGTERM drains: requests in flight get up to server.drain-timeout to finish.
        Runtime.getRuntime().addShutdownHook(new Thread(server::close, "hedgerow-shutdown"));
        out.println("Hedgerow listening on http://" + config.server().host() + ":" + server.port()
                            + "/v1 (routes: " + String.join(", ", config.routes().keySet()) + ")");
        if (config.server().access().required()) {
            out.println("Client keys required: " + config.server().access().keys().size() + " client"
                                + (config.server().access().keys().size() == 1 ? "" : "s"));
        } else if (config.server().access().allowUnauthenticated()
                && !io.hedgerow.config.ClientAccess.isLoopback(config.server().host())) {
            out.println("WARNING: no client keys and allow-unauthenticated: true: anyone who can reach "
                                + config.server().host() + " can use your providers");
        } else {
            out.println("No client keys configured: serving unauthenticated, on a loopback address only");
        }
        return 0;
    }

    /** Prints the SHA-256 of a key from standard input, or of a new random key (printed once). */
    private static int hashKey(boolean newKey, InputStream in, PrintStream out, PrintStream err) {
        String key;
        if (newKey) {
            byte[] random = new byte[24];
            new SecureRandom().nextBytes(random);
            key = "hr-" + java.util.HexFormat.of().formatHex(random);
            out.println("key:    " + key + "   (give it to the client; it is not stored anywhere)");
        } else {
            try {
                String line = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8)).readLine();
                key = line == null ? "" : line.trim();
            } catch (IOException e) {
                err.println("hedgerow: cannot read the key from standard input: " + e.getMessage());
                return 1;
            }
            if (key.isEmpty()) {
                err.println("hedgerow: no key on standard input (e.g. printf %s \"$KEY\" | hedgerow hash-key),"
                                    + " or use --new");
                return 2;
            }
        }
        String hash = ClientKeys.hash(key);
        out.println("sha256: " + hash);
        out.println("config: server.client-keys: [{name: CLIENT, sha256: " + hash + "}]");
        return 0;
    }

    private record Options(String command, Path config, Optional<Integer> port, Optional<String> host,
                           boolean newKey, boolean allowUnauthenticated, boolean live, boolean json) {
        static Options parse(String[] args) {
            String command = "run";
            boolean newKey = false;
            boolean allowUnauthenticated = false;
            boolean live = false;
            boolean json = false;
            String env = System.getenv("HEDGEROW_CONFIG");
            Path config = Path.of(env == null || env.isBlank() ? DEFAULT_CONFIG : env);
            Optional<Integer> port = Optional.empty();
            Optional<String> host = Optional.empty();
            List<String> rest = new ArrayList<>(List.of(args));
            if (!rest.isEmpty() && !rest.getFirst().startsWith("-")) {
                command = rest.removeFirst();
                if (!List.of("run", "check", "help", "hash-key").contains(command)) {
                    throw new IllegalArgumentException("unknown command '" + command + "'");
                }
            }
            for (int i = 0; i < rest.size(); i++) {
                String arg = rest.get(i);
                switch (arg) {
                case "--format" -> {
                    if (!command.equals("check")) {
                        throw new IllegalArgumentException("--format is for check");
                    }
                    String value = i + 1 < rest.size() ? rest.get(++i) : "";
                    if (!value.equals("text") && !value.equals("json")) {
                        throw new IllegalArgumentException("--format: '" + value + "' (expected: text or json)");
                    }
                    json = value.equals("json");
                }
                case "--config", "--port", "--host" -> {
                    if (i + 1 >= rest.size()) {
                        throw new IllegalArgumentException(arg + " needs a value");
                    }
                    String value = rest.get(++i);
                    if (arg.equals("--config")) {
                        config = Path.of(value);
                    } else if (arg.equals("--host")) {
                        host = Optional.of(value);
                    } else {
                        try {
                            int p = Integer.parseInt(value);
                            if (p < 0 || p > 65535) {
                                throw new NumberFormatException();
                            }
                            port = Optional.of(p);
                        } catch (NumberFormatException e) {
                            throw new IllegalArgumentException("--port: '" + value + "' (expected: 0..65535)");
                        }
                    }
                }
                case "-h", "--help" -> command = "help";
                case "--allow-unauthenticated" -> allowUnauthenticated = true;
                case "--live" -> {
                    if (!command.equals("check")) {
                        throw new IllegalArgumentException("--live is for check");
                    }
                    live = true;
                }
                case "--new" -> {
                    if (!command.equals("hash-key")) {
                        throw new IllegalArgumentException("--new is for hash-key");
                    }
                    newKey = true;
                }
                default -> throw new IllegalArgumentException("unknown argument '" + arg + "'");
                }
            }
            return new Options(command, config, port, host, newKey, allowUnauthenticated, live, json);
        }
    }
}
