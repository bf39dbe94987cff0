package io.hedgerow.state;

import io.hedgerow.HedgerowServer;
import io.hedgerow.config.ConfigLoader;
import io.hedgerow.config.HedgerowConfig;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Routers in this JVM sharing one Redis, each started from its own copy of one config file (as replicas are), with
 * events captured per router. The config's {@code state:} section names the Redis and a key prefix of its own, so
 * tests never see each other's state.
 */
final class Fleet implements AutoCloseable {
    static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    /** The client key {@code agents} (rate-limited in some configs); its SHA-256 is in {@link #AGENTS_SHA}. */
    static final String AGENTS_KEY = "secret1";
    static final String AGENTS_SHA = "5b11618c2e44027877d0cd0921ed166b9f176f50587fc91e7534dd2946db77d6";

    final List<HedgerowServer> routers = new ArrayList<>();
    final List<List<String>> events = new ArrayList<>();
    final String prefix = "t-" + UUID.randomUUID().toString().substring(0, 8) + ":";

    /** Starts {@code n} routers on {@code yaml}, in which {@code PREFIX} is replaced by this fleet's key prefix. */
    static Fleet start(Path dir, int n, String yaml) throws Exception {
        Fleet fleet = new Fleet();
        try {
            for (int i = 0; i < n; i++) {
                Path file = dir.resolve("replica-" + i + ".yaml");
                Files.writeString(file, yaml.replace("PREFIX", fleet.prefix));
                ConfigLoader.Result result = ConfigLoader.load(file, name -> Optional.empty());
                HedgerowConfig config = result.config().orElseThrow(() -> new AssertionError(result.errors()));
                List<String> lines = new CopyOnWriteArrayList<>();
                fleet.events.add(lines);
                fleet.routers.add(HedgerowServer.builder(config).configFile(file).eventSink(lines::add).start());
            }
        } catch (Exception | AssertionError e) {
            fleet.close();
            throw e;
        }
        return fleet;
    }

    HedgerowServer get(int i) {
        return routers.get(i);
    }

    boolean allUp() {
        return routers.stream().allMatch(r -> r.state().status().up());
    }

    static HttpResponse<String> chat(HedgerowServer router, Optional<String> clientKey) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + router.port()
                                                                                + "/v1/chat/completions"))
                .header("Content-Type", "application/json")
                .timeout(Duration.ofSeconds(20))
                .POST(HttpRequest.BodyPublishers.ofString(
                        "{\"model\":\"chat\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"));
        clientKey.ifPresent(k -> request.header("Authorization", "Bearer " + k));
        try {
            return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
        } catch (Exception e) {
            throw new AssertionError("request to router on port " + router.port() + " failed", e);
        }
    }

    static HttpResponse<String> chat(HedgerowServer router) {
        return chat(router, Optional.empty());
    }

    @Override
    public void close() {
        for (HedgerowServer r : routers) {
            r.drain(Duration.ofSeconds(2));
        }
    }
}
