package io.hedgerow.observe;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hedgerow.json.Json;
import io.hedgerow.tune.Replay;
import io.hedgerow.tune.RouteInfo;
import io.hedgerow.tune.SampleCodec;
import io.hedgerow.tune.TuneCommand;
import io.hedgerow.tune.TuneTable;

import io.helidon.common.media.type.MediaType;
import io.helidon.common.media.type.MediaTypes;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * {@code GET /status}: the router's state ({@link StatusReport}) as JSON, or, for a browser (an {@code Accept}
 * header that prefers {@code text/html}), the same rendered as a page on the server ({@link StatusPage}), which
 * reads without scripts and refreshes itself every two seconds ({@code ?part=body}: the page's body alone).
 * {@code ?format=json} or {@code ?format=html} override the negotiation. {@code GET /status/samples} exports the
 * recorded requests for {@code hedgerow tune}; {@code GET /status/tune} shows its table for them.
 */
public final class StatusService implements HttpService {
    private final Supplier<Generation> current;
    private final EventLog events;
    private final LatencyTrail trail;
    private final Telemetry telemetry;
    private final Clock clock;
    private final Instant startedAt;
    private final String configFile;

    StatusService(Supplier<Generation> current, Telemetry telemetry, Clock clock, Optional<String> configFile) {
        this.current = current;
        this.events = telemetry.events();
        this.trail = telemetry.trail();
        this.telemetry = telemetry;
        this.clock = clock;
        this.startedAt = clock.instant();
        this.configFile = configFile.orElse("");
    }

    /** The status service for a router observed by {@code telemetry}. */
    public static StatusService create(Supplier<Generation> current, Telemetry telemetry, Clock clock,
                                       Optional<String> configFile) {
        return new StatusService(current, telemetry, clock, configFile);
    }

    @Override
    public void routing(HttpRules rules) {
        rules.get("/", this::status)
                .get("/samples", this::samples)
                .get("/tune", this::tune);
    }

    /** {@code GET /status/samples}: the recorded requests as a sample file (JSON lines), for {@code hedgerow tune}. */
    private void samples(ServerRequest req, ServerResponse res) {
        Generation g = current.get();
        res.header(HeaderNames.CACHE_CONTROL, "no-store");
        res.header(HeaderNames.CONTENT_TYPE, "application/x-ndjson");
        res.send(SampleCodec.toText(g.health().hedging().budget().ratio(), routes(g), telemetry.samples().all())
                         .getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    /**
     * {@code GET /status/tune}: {@code hedgerow tune}'s table for the recorded requests, as text ({@code ?format=json}
     * for JSON); {@code ?max-load=5%} chooses the trade-off (default: the hedge budget's ratio).
     */
    private void tune(ServerRequest req, ServerResponse res) {
        Generation g = current.get();
        double budget = g.health().hedging().budget().ratio();
        double maxLoad;
        try {
            maxLoad = req.query().first("max-load").asOptional().map(TuneCommand::share).orElse(budget);
        } catch (IllegalArgumentException e) {
            res.status(io.helidon.http.Status.BAD_REQUEST_400).header(HeaderNames.CONTENT_TYPE, "text/plain")
                    .send(e.getMessage() + "\n");
            return;
        }
        List<io.hedgerow.tune.RequestSample> recorded = telemetry.samples().all();
        List<TuneTable> tables = new Replay(new SampleCodec.Samples(budget, byName(routes(g)), recorded)).tables();
        res.header(HeaderNames.CACHE_CONTROL, "no-store");
        if (req.query().first("format").asOptional().filter("json"::equals).isPresent()) {
            res.header(HeaderNames.CONTENT_TYPE, "application/json").send(TuneCommand.render(tables, maxLoad));
        } else {
            res.header(HeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8")
                    .send(tables.isEmpty() ? "No requests recorded yet: the table fills as requests are served.\n"
                                  : TuneCommand.text(tables, maxLoad, recorded.size()));
        }
    }

    /** Each route's chain and hedge policy, as the replay needs them. */
    static List<RouteInfo> routes(Generation g) {
        return g.engine().router().routes().values().stream()
                .map(plan -> new RouteInfo(plan.alias(), plan.candidates().stream()
                        .map(io.hedgerow.route.Candidate::label).toList(), plan.policy().hedge()))
                .toList();
    }

    private static java.util.Map<String, RouteInfo> byName(List<RouteInfo> routes) {
        java.util.Map<String, RouteInfo> map = new java.util.LinkedHashMap<>();
        routes.forEach(r -> map.put(r.name(), r));
        return map;
    }

    private void status(ServerRequest req, ServerResponse res) {
        Optional<String> format = req.query().first("format").asOptional();
        boolean html = format.map(f -> f.equals("html")).orElseGet(() -> req.headers()
                .bestAccepted(MediaTypes.APPLICATION_JSON, MediaTypes.TEXT_HTML)
                .map(MediaType::text).filter("text/html"::equals).isPresent());
        res.header(HeaderNames.CACHE_CONTROL, "no-store");
        ObjectNode report = StatusReport.build(current.get(), events, trail, clock, startedAt, configFile,
                                               telemetry.lastPreflight());
        report.put("config_hash", telemetry.configHash());
        report.put("tune", "/status/tune");
        telemetry.state().ifPresent(state -> report.set("state", stateView(state)));
        if (html) {
            String page = req.query().first("part").asOptional().filter("body"::equals).isPresent()
                    ? StatusPage.body(report) : StatusPage.page(report);
            res.header(HeaderNames.CONTENT_TYPE, "text/html; charset=utf-8").send(page.getBytes(StandardCharsets.UTF_8));
            return;
        }
        try {
            res.header(HeaderNames.CONTENT_TYPE, "application/json").send(Json.MAPPER.writeValueAsBytes(report));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The state store: where state lives, whether it works, how rate limits are enforced, the fleet's replicas. */
    static ObjectNode stateView(io.hedgerow.state.StoreStatus state) {
        ObjectNode node = Json.object().put("store", state.store()).put("up", state.up())
                .put("detail", state.detail()).put("rate_limits", state.rateLimits())
                .put("since", state.since().toString()).put("replica", state.replica());
        var list = node.putArray("replicas");
        for (var r : state.replicas()) {
            list.addObject().put("id", r.id()).put("config_hash", r.configHash()).put("seen", r.seen().toString());
        }
        node.put("config_hashes", state.replicas().stream().map(r -> r.configHash()).distinct().count());
        return node;
    }
}
