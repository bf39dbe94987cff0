package io.hedgerow.tune;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hedgerow.json.Json;

import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.io.StringReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * {@code hedgerow tune}: replays hedging policies on a router's recorded requests and prints, per route, what each
 * would have given ({@link Replay}, {@link TuneTable}) and the config lines for the best one at a chosen extra load.
 * <pre>
 * hedgerow tune --url http://127.0.0.1:8080 [--key ADMIN_KEY] [--save samples.jsonl]
 * hedgerow tune --samples samples.jsonl
 *     [--route NAME] [--max-load 5%] [--json]
 * </pre>
 * From a running router it reads {@code GET /status/samples}; {@code --save} also keeps them in a file to replay
 * offline later, or elsewhere.
 */
public final class TuneCommand {
    static final String USAGE = """
            usage: hedgerow tune --url http://HOST:PORT [--key ADMIN_KEY] [--save FILE] [--route NAME] [--max-load 5%] [--json]
                   hedgerow tune --samples FILE [--route NAME] [--max-load 5%] [--json]""";

    private TuneCommand() {
    }

    /** Runs the command; returns the exit code. */
    public static int run(List<String> args, PrintStream out, PrintStream err) {
        Optional<String> url = Optional.empty();
        Optional<Path> file = Optional.empty();
        Optional<Path> save = Optional.empty();
        Optional<String> route = Optional.empty();
        Optional<String> key = Optional.empty();
        Optional<Double> maxLoad = Optional.empty();
        boolean json = false;
        try {
            for (int i = 0; i < args.size(); i++) {
                String a = args.get(i);
                switch (a) {
                case "--url" -> url = Optional.of(value(args, ++i, a));
                case "--samples" -> file = Optional.of(Path.of(value(args, ++i, a)));
                case "--save" -> save = Optional.of(Path.of(value(args, ++i, a)));
                case "--route" -> route = Optional.of(value(args, ++i, a));
                case "--key" -> key = Optional.of(value(args, ++i, a));
                case "--max-load" -> maxLoad = Optional.of(share(value(args, ++i, a)));
                case "--json" -> json = true;
                default -> throw new IllegalArgumentException("unknown option " + a);
                }
            }
            if (url.isPresent() == file.isPresent()) {
                throw new IllegalArgumentException("give --url or --samples (one of them)");
            }
            if (save.isPresent() && url.isEmpty()) {
                throw new IllegalArgumentException("--save goes with --url");
            }
        } catch (IllegalArgumentException e) {
            err.println("hedgerow tune: " + e.getMessage());
            err.println(USAGE);
            return 2;
        }
        SampleCodec.Samples samples;
        try {
            if (url.isPresent()) {
                String text = fetch(url.get(), key);
                if (save.isPresent()) {
                    Files.writeString(save.get(), text, StandardCharsets.UTF_8);
                }
                samples = SampleCodec.read(new StringReader(text));
            } else {
                try (InputStreamReader in = new InputStreamReader(Files.newInputStream(file.get()),
                                                                  StandardCharsets.UTF_8)) {
                    samples = SampleCodec.read(in);
                }
            }
        } catch (IOException e) {
            err.println("hedgerow tune: " + e.getMessage());
            return 1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 1;
        }
        double load = maxLoad.orElse(samples.budgetRatio());
        Optional<String> only = route;
        List<TuneTable> tables = new Replay(samples).tables().stream()
                .filter(t -> only.isEmpty() || t.route().equals(only.get())).toList();
        if (tables.isEmpty()) {
            err.println("hedgerow tune: no samples" + only.map(r -> " of route " + r).orElse("")
                                + " (requests are recorded as they are served)");
            return 1;
        }
        out.print(json ? render(tables, load) : text(tables, load, samples.requests().size()));
        return 0;
    }

    /** The tables as text, with how to read them. */
    public static String text(List<TuneTable> tables, double maxLoad, int samples) {
        StringBuilder out = new StringBuilder();
        out.append("Hedging replayed on ").append(samples).append(" recorded requests (see docs/hedging.md: "
                + "reading hedgerow tune). * marks the current policy; >= a tail that rests on a lower bound.\n");
        for (TuneTable t : tables) {
            out.append('\n').append(t.text(maxLoad));
        }
        return out.toString();
    }

    /** The tables as one JSON document. */
    public static String render(List<TuneTable> tables, double maxLoad) {
        ObjectNode root = Json.object().put("max_extra_load", maxLoad);
        ArrayNode list = root.putArray("tables");
        tables.forEach(t -> list.add(t.json(maxLoad)));
        try {
            return Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(root) + "\n";
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static String fetch(String base, Optional<String> key) throws IOException, InterruptedException {
        String url = base.replaceAll("/+$", "") + "/status/samples";
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(10)).build();
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(60)).GET();
        key.ifPresent(k -> request.header("Authorization", "Bearer " + k));
        HttpResponse<String> response = client.send(request.build(), HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200) {
            String body = response.body();
            throw new IOException("GET " + url + ": " + response.statusCode()
                                          + (body.isBlank() ? "" : " " + body.substring(0, Math.min(200, body.length()))));
        }
        return response.body();
    }

    private static String value(List<String> args, int i, String option) {
        if (i >= args.size()) {
            throw new IllegalArgumentException(option + " needs a value");
        }
        return args.get(i);
    }

    /** {@code 5%} or {@code 0.05}. */
    public static double share(String text) {
        String t = text.trim();
        try {
            double v = t.endsWith("%") ? Double.parseDouble(t.substring(0, t.length() - 1)) / 100 : Double.parseDouble(t);
            if (v < 0 || v > 1) {
                throw new IllegalArgumentException("--max-load: " + text + " (expected: 0%..100%)");
            }
            return v;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--max-load: " + text + " (expected: a share such as 5% or 0.05)");
        }
    }
}
