package io.hedgerow.tune;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hedgerow.config.HedgeSettings;
import io.hedgerow.json.Json;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * The sample file: JSON lines. The first line is a header describing the routes and the budget
 * ({@code {"format":"hedgerow-samples","version":1,"budget_ratio":0.1,"routes":[{"name":..,"chain":[..],"hedge":{..}}]}}),
 * then one line per request:
 * <pre>{"at":1765065600123,"route":"coding","stream":true,"prompt_tokens":12034,"estimated_tokens":11800,
 * "cached_tokens":8192,"attempts":[{"candidate":"a/m","role":"primary","start_ms":0.0,"ms":812.4,"outcome":"ok"},
 * {"candidate":"b/m","role":"hedge","start_ms":600.2,"ms":212.3,"outcome":"cancelled"}]}</pre>
 * {@code cached_tokens} is absent when the provider did not say; {@code ms} is null for an attempt whose end was not
 * seen. Unknown fields are ignored, so later versions can add some.
 */
public final class SampleCodec {
    static final String FORMAT = "hedgerow-samples";
    static final int VERSION = 1;

    private SampleCodec() {
    }

    /** What a sample file holds. */
    public record Samples(double budgetRatio, Map<String, RouteInfo> routes, List<RequestSample> requests) {
        public Samples {
            routes = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(routes));
            requests = List.copyOf(requests);
        }
    }

    /** Writes the header and every sample. */
    public static void write(Writer out, double budgetRatio, Iterable<RouteInfo> routes, List<RequestSample> samples)
            throws IOException {
        out.write(Json.MAPPER.writeValueAsString(header(budgetRatio, routes)));
        out.write('\n');
        for (RequestSample s : samples) {
            out.write(Json.MAPPER.writeValueAsString(sample(s)));
            out.write('\n');
        }
        out.flush();
    }

    /** Reads a sample file; a line that cannot be read is an error naming its number. */
    public static Samples read(Reader in) throws IOException {
        BufferedReader reader = new BufferedReader(in);
        String first = reader.readLine();
        if (first == null) {
            throw new IOException("empty sample file (expected: a " + FORMAT + " header line)");
        }
        JsonNode header = parse(first, 1);
        if (!FORMAT.equals(header.path("format").asText())) {
            throw new IOException("line 1: not a " + FORMAT + " header");
        }
        if (header.path("version").asInt() > VERSION) {
            throw new IOException("line 1: " + FORMAT + " version " + header.path("version").asInt()
                                          + " (expected: at most " + VERSION + ")");
        }
        Map<String, RouteInfo> routes = new LinkedHashMap<>();
        for (JsonNode r : header.path("routes")) {
            RouteInfo info = route(r);
            routes.put(info.name(), info);
        }
        List<RequestSample> samples = new ArrayList<>();
        String line;
        int number = 1;
        while ((line = reader.readLine()) != null) {
            number++;
            if (line.isBlank()) {
                continue;
            }
            try {
                samples.add(sample(parse(line, number)));
            } catch (RuntimeException e) {
                throw new IOException("line " + number + ": " + e.getMessage(), e);
            }
        }
        return new Samples(header.path("budget_ratio").asDouble(0.1), routes, samples);
    }

    private static JsonNode parse(String line, int number) throws IOException {
        try {
            return Json.MAPPER.readTree(line);
        } catch (IOException e) {
            throw new IOException("line " + number + ": not JSON (" + e.getMessage() + ")", e);
        }
    }

    static ObjectNode header(double budgetRatio, Iterable<RouteInfo> routes) {
        ObjectNode header = Json.object().put("format", FORMAT).put("version", VERSION).put("budget_ratio", budgetRatio);
        ArrayNode list = header.putArray("routes");
        for (RouteInfo r : routes) {
            ObjectNode route = list.addObject().put("name", r.name());
            ArrayNode chain = route.putArray("chain");
            r.chain().forEach(chain::add);
            route.set("hedge", hedge(r.hedge()));
        }
        return header;
    }

    static ObjectNode hedge(HedgeSettings h) {
        ObjectNode node = Json.object().put("enabled", h.enabled());
        switch (h.delay()) {
        case HedgeSettings.Delay.Fixed f -> node.putObject("delay").put("kind", "fixed").put("ms", millis(f.delay()));
        case HedgeSettings.Delay.Percentile p -> node.putObject("delay").put("kind", "percentile")
                .put("p", p.percentile());
        case HedgeSettings.Delay.Auto a -> node.putObject("delay").put("kind", "auto");
        }
        node.put("min_delay_ms", millis(h.minDelay())).put("max_delay_ms", millis(h.maxDelay()));
        h.warmupDelay().ifPresentOrElse(w -> node.put("warmup_delay_ms", millis(w)),
                                        () -> node.putNull("warmup_delay_ms"));
        node.put("max_in_flight", h.maxInFlight()).put("same_provider", h.sameProvider());
        return node;
    }

    private static RouteInfo route(JsonNode r) {
        List<String> chain = new ArrayList<>();
        r.path("chain").forEach(c -> chain.add(c.asText()));
        JsonNode h = r.path("hedge");
        JsonNode d = h.path("delay");
        HedgeSettings.Delay delay = switch (d.path("kind").asText("auto")) {
            case "fixed" -> new HedgeSettings.Delay.Fixed(duration(d.path("ms").asDouble()));
            case "percentile" -> new HedgeSettings.Delay.Percentile(d.path("p").asDouble(92));
            default -> new HedgeSettings.Delay.Auto();
        };
        HedgeSettings defaults = HedgeSettings.DEFAULTS;
        JsonNode warmup = h.path("warmup_delay_ms");
        HedgeSettings hedge = new HedgeSettings(
                h.path("enabled").asBoolean(true), delay,
                h.has("min_delay_ms") ? duration(h.path("min_delay_ms").asDouble()) : defaults.minDelay(),
                h.has("max_delay_ms") ? duration(h.path("max_delay_ms").asDouble()) : defaults.maxDelay(),
                warmup.isNumber() ? Optional.of(duration(warmup.asDouble())) : Optional.empty(),
                h.path("max_in_flight").asInt(defaults.maxInFlight()),
                h.path("same_provider").asBoolean(defaults.sameProvider()));
        return new RouteInfo(r.path("name").asText(), chain, hedge);
    }

    static ObjectNode sample(RequestSample s) {
        ObjectNode node = Json.object().put("at", s.atMillis()).put("route", s.route()).put("stream", s.stream())
                .put("prompt_tokens", s.promptTokens()).put("estimated_tokens", s.estimatedTokens());
        s.cachedTokens().ifPresent(c -> node.put("cached_tokens", c));
        ArrayNode attempts = node.putArray("attempts");
        for (RequestSample.Attempt a : s.attempts()) {
            ObjectNode attempt = attempts.addObject().put("candidate", a.candidate()).put("role", a.role())
                    .put("start_ms", round(a.startMillis()));
            if (a.ended()) {
                attempt.put("ms", round(a.millis()));
            } else {
                attempt.putNull("ms");
            }
            attempt.put("outcome", a.outcome().wireName());
        }
        return node;
    }

    static RequestSample sample(JsonNode n) {
        if (!n.path("route").isTextual() || !n.path("attempts").isArray()) {
            throw new IllegalArgumentException("a sample needs 'route' and 'attempts'");
        }
        List<RequestSample.Attempt> attempts = new ArrayList<>();
        for (JsonNode a : n.path("attempts")) {
            JsonNode ms = a.path("ms");
            attempts.add(new RequestSample.Attempt(
                    a.path("candidate").asText(), a.path("role").asText("primary"), a.path("start_ms").asDouble(0),
                    ms.isNumber() ? ms.asDouble() : Double.NaN, outcome(a.path("outcome").asText("failed"))));
        }
        JsonNode cached = n.path("cached_tokens");
        return new RequestSample(n.path("at").asLong(0), n.path("route").asText(), n.path("stream").asBoolean(false),
                                 n.path("prompt_tokens").asLong(0), n.path("estimated_tokens").asLong(0),
                                 cached.isNumber() ? OptionalInt.of(cached.asInt()) : OptionalInt.empty(), attempts);
    }

    private static RequestSample.Outcome outcome(String text) {
        for (RequestSample.Outcome o : RequestSample.Outcome.values()) {
            if (o.wireName().equals(text)) {
                return o;
            }
        }
        return RequestSample.Outcome.FAILED;
    }

    private static double millis(Duration d) {
        return d.toNanos() / 1e6;
    }

    private static Duration duration(double millis) {
        return Duration.ofNanos(Math.round(millis * 1e6));
    }

    private static double round(double ms) {
        return Math.round(ms * 10) / 10.0;
    }

    /** For callers that cannot throw: {@link #write} into a string. */
    public static String toText(double budgetRatio, Iterable<RouteInfo> routes, List<RequestSample> samples) {
        java.io.StringWriter w = new java.io.StringWriter();
        try {
            write(w, budgetRatio, routes, samples);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return w.toString();
    }
}
