package io.hedgerow.observe;

import com.fasterxml.jackson.databind.JsonNode;
import io.hedgerow.HedgerowServer;
import io.hedgerow.config.HedgerowConfig;
import io.hedgerow.testing.RawClient;
import io.hedgerow.testing.Scrape;
import io.hedgerow.time.Ticker;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * A router started for one test, with its event lines captured, and what tests read from it: metrics, status,
 * events.
 */
final class ObservedRouter implements AutoCloseable {
    final HedgerowServer server;
    final RawClient raw;
    final List<String> eventLines = new CopyOnWriteArrayList<>();

    private ObservedRouter(HedgerowConfig config, Ticker ticker, Path file, Consumer<HedgerowServer.Builder> setup) {
        HedgerowServer.Builder builder = HedgerowServer.builder(config).ticker(ticker).eventSink(eventLines::add);
        if (file != null) {
            builder.configFile(file);
        }
        setup.accept(builder);
        this.server = builder.start();
        this.raw = new RawClient(server.port());
    }

    static ObservedRouter start(HedgerowConfig config) {
        return new ObservedRouter(config, Ticker.system(), null, b -> { });
    }

    static ObservedRouter start(HedgerowConfig config, Ticker ticker) {
        return new ObservedRouter(config, ticker, null, b -> { });
    }

    static ObservedRouter start(HedgerowConfig config, Path file, Consumer<HedgerowServer.Builder> setup) {
        return new ObservedRouter(config, Ticker.system(), file, setup);
    }

    Scrape metrics() {
        HttpResponse<String> response = raw.get("/observe/metrics");
        if (response.statusCode() != 200) {
            throw new AssertionError("metrics: " + response.statusCode());
        }
        return new Scrape(response.body());
    }

    /** The status JSON, read as an operator does: with the admin key when the config in use has one. */
    JsonNode status() {
        HttpResponse<String> response = raw.get("/status?format=json", server.generation().config().server()
                .adminKey().map(key -> java.util.Map.of("Authorization", "Bearer " + key.value()))
                .orElse(java.util.Map.of()));
        if (response.statusCode() != 200) {
            throw new AssertionError("status: " + response.statusCode() + " " + response.body());
        }
        return RawClient.json(response);
    }

    /** The events of one type, as JSON. */
    List<JsonNode> events(String type) {
        return eventLines.stream().map(RawClient::json).filter(e -> e.path("event").asText().equals(type)).toList();
    }

    int port() {
        return server.port();
    }

    @Override
    public void close() {
        raw.close();
        server.close();
    }
}
