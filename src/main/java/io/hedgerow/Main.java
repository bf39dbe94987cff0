package io.hedgerow;

import io.hedgerow.config.ConfigLoader;
import io.hedgerow.config.HedgerowConfig;
import io.hedgerow.config.ServerSettings;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The command line: {@code hedgerow [run] [--config FILE] [--port N] [--host ADDR]} starts the router;
 * {@code hedgerow check [--config FILE]} validates a config, prints every problem and exits 1 if there is one.
 */
public final class Main {
    static final String DEFAULT_CONFIG = "config/hedgerow.yaml";
    private static final String USAGE = """
            usage: hedgerow [run] [--config FILE] [--port N] [--host ADDR]
                   hedgerow check [--config FILE]
            The config defaults to $HEDGEROW_CONFIG, else config/hedgerow.yaml.""";

    private Main() {
    }

    public static void main(String[] args) {
        int code = run(args, System.out, System.err);
        if (code != 0) {
            System.exit(code);
        }
    }

    /** Runs a command; returns the exit code (0 with the server left running for {@code run}). */
    static int run(String[] args, PrintStream out, PrintStream err) {
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
        ConfigLoader.Result result = ConfigLoader.load(options.config);
        result.warnings().forEach(w -> err.println("warning: " + w));
        if (!result.errors().isEmpty()) {
            err.println("hedgerow: " + options.config + " has " + result.errors().size() + " problem"
                                + (result.errors().size() == 1 ? "" : "s") + ":");
            result.errors().forEach(e -> err.println("  error: " + e));
            return 1;
        }
        HedgerowConfig config = result.config().orElseThrow();
        if (options.command.equals("check")) {
            out.println(options.config + ": OK (" + config.providers().size() + " providers, "
                                + config.routes().size() + " routes)");
            config.routes().values().forEach(route -> out.println("  " + route.alias() + ": "
                    + String.join(" -> ", route.chain().stream().map(Object::toString).toList())));
            return 0;
        }
        ServerSettings s = config.server();
        config = config.withServer(s.withAddress(options.host.orElse(s.host()), options.port.orElse(s.port())));
        HedgerowServer server = HedgerowServer.start(config, options.config);
        Runtime.getRuntime().addShutdownHook(new Thread(server::close, "hedgerow-shutdown"));
        out.println("Hedgerow listening on http://" + config.server().host() + ":" + server.port()
                            + "/v1 (routes: " + String.join(", ", config.routes().keySet()) + ")");
        return 0;
    }

    private record Options(String command, Path config, Optional<Integer> port, Optional<String> host) {
        static Options parse(String[] args) {
            String command = "run";
            String env = System.getenv("HEDGEROW_CONFIG");
            Path config = Path.of(env == null || env.isBlank() ? DEFAULT_CONFIG : env);
            Optional<Integer> port = Optional.empty();
            Optional<String> host = Optional.empty();
            List<String> rest = new ArrayList<>(List.of(args));
            if (!rest.isEmpty() && !rest.getFirst().startsWith("-")) {
                command = rest.removeFirst();
                if (!List.of("run", "check", "help").contains(command)) {
                    throw new IllegalArgumentException("unknown command '" + command + "'");
                }
            }
            for (int i = 0; i < rest.size(); i++) {
                String arg = rest.get(i);
                switch (arg) {
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
                default -> throw new IllegalArgumentException("unknown argument '" + arg + "'");
                }
            }
            return new Options(command, config, port, host);
        }
    }
}
