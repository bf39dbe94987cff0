package io.hedgerow.api;

import io.hedgerow.HedgerowServer;
import io.hedgerow.config.ClientAccess;
import io.hedgerow.config.ClientKey;
import io.hedgerow.config.EndpointAccess;
import io.hedgerow.config.EndpointAccess.Mode;
import io.hedgerow.config.HedgerowConfig;
import io.hedgerow.fakes.FakeOpenAi;
import io.hedgerow.testing.RawClient;
import io.hedgerow.testing.TestConfig;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.not;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@code /status} (JSON and page) and {@code /observe/metrics} as {@code server.status-access} and
 * {@code server.metrics-access} say: behind the admin key or a client key when keys are configured (Bearer, or Basic
 * with the key as password for a browser), open to loopback clients when asked, or open.
 */
class EndpointAccessEndToEndTest {
    private static final String CLIENT_KEY = "hr-status-client-0123456789";
    private static final String ADMIN_KEY = "hr-status-admin-0123456789";
    private static final String STATUS_SECRET = "sk-test-up-0123456789";

    private static FakeOpenAi upstream;
    private HedgerowServer router;

    @BeforeAll
    static void startUpstream() {
        upstream = FakeOpenAi.start();
    }

    @AfterAll
    static void stopUpstream() {
        upstream.close();
    }

    @AfterEach
    void stop() {
        if (router != null) {
            router.close();
        }
    }

    private void start(EndpointAccess endpoints, boolean keys, String host) {
        TestConfig.Builder builder = TestConfig.builder().openAi("up", upstream.baseUrl()).route("chat", "up/m1");
        if (keys) {
            builder.access(new ClientAccess(List.of(new ClientKey("laptop", ClientKeys.hash(CLIENT_KEY),
                                                                  Optional.empty())), false))
                    .adminKey(ADMIN_KEY);
        }
        HedgerowConfig config = builder.build();
        config = config.withServer(config.server().withEndpoints(endpoints).withAddress(host, 0));
        router = HedgerowServer.start(config);
    }

    private HttpResponse<String> get(String host, String path, Map<String, String> headers) {
        try (RawClient raw = new RawClient(router.port())) {
            if (host.equals("127.0.0.1")) {
                return raw.get(path, headers);
            }
        }
        try (HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build()) {
            HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://" + host + ":" + router.port()
                                                                                    + path))
                    .timeout(Duration.ofSeconds(10));
            headers.forEach(request::header);
            return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    private HttpResponse<String> get(String path, Map<String, String> headers) {
        return get("127.0.0.1", path, headers);
    }

    private static Map<String, String> bearer(String key) {
        return Map.of("Authorization", "Bearer " + key);
    }

    private static Map<String, String> basic(String key) {
        return Map.of("Authorization", "Basic " + Base64.getEncoder()
                .encodeToString(("anyone:" + key).getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void withKeysTheStatusJsonAndPageNeedOne() {
        start(EndpointAccess.DEFAULTS, true, "127.0.0.1");

        for (Map<String, String> none : List.of(Map.<String, String>of(), Map.of("Accept", "text/html"),
                                                bearer("not-a-key"), basic("not-a-key"),
                                                Map.of("Authorization", "Bearer"))) {
            HttpResponse<String> refused = get("/status", none);
            assertThat(none.toString(), refused.statusCode(), is(401));
            assertThat(refused.body(), not(containsString("routes")));
            assertThat(refused.body(), not(containsString(STATUS_SECRET)));
            assertThat(RawClient.json(refused).at("/error/code").asText(), is("unauthorized"));
            assertThat(refused.headers().firstValue("WWW-Authenticate").orElse(""), containsString("Basic"));
        }
        assertThat(get("/status?format=html", Map.of()).statusCode(), is(401));

        assertThat(get("/status", bearer(CLIENT_KEY)).body(), containsString("\"routes\""));
        assertThat(get("/status", bearer(ADMIN_KEY)).statusCode(), is(200));
        assertThat(get("/status", basic(CLIENT_KEY)).statusCode(), is(200));
        HttpResponse<String> page = get("/status", combine(basic(ADMIN_KEY), Map.of("Accept", "text/html")));
        assertThat(page.statusCode(), is(200));
        assertThat(page.headers().firstValue("Content-Type").orElse(""), containsString("text/html"));
        // Metrics stay open unless the config asks.
        assertThat(get("/observe/metrics", Map.of()).statusCode(), is(200));
    }

    @Test
    void metricsBehindTheKeysWhenTheConfigAsks() {
        start(new EndpointAccess(Mode.KEYS, Mode.KEYS), true, "127.0.0.1");

        assertThat(get("/observe/metrics", Map.of()).statusCode(), is(401));
        assertThat(get("/observe/metrics", bearer(CLIENT_KEY)).statusCode(), is(200));
        assertThat(get("/observe/metrics", bearer(ADMIN_KEY)).body(), containsString("# TYPE"));
        // Health stays open: orchestrators probe it without keys.
        assertThat(get("/observe/health", Map.of()).statusCode(), is(200));
    }

    @Test
    void openIsOpen() {
        start(new EndpointAccess(Mode.OPEN, Mode.OPEN), true, "127.0.0.1");

        assertThat(get("/status", Map.of()).statusCode(), is(200));
        assertThat(get("/observe/metrics", Map.of()).statusCode(), is(200));
    }

    @Test
    void aRouterWithoutKeysHasNothingToAskFor() {
        start(EndpointAccess.DEFAULTS, false, "127.0.0.1");

        assertThat(get("/status", Map.of()).statusCode(), is(200));
    }

    @Test
    void loopbackDashboardsMayReadWithoutAKeyOthersMayNot() throws Exception {
        Optional<String> outside = nonLoopbackAddress();
        start(new EndpointAccess(Mode.LOOPBACK, Mode.LOOPBACK), true, "0.0.0.0");

        assertThat(get("/status", Map.of()).statusCode(), is(200));
        assertThat(get("/observe/metrics", Map.of()).statusCode(), is(200));

        assumeTrue(outside.isPresent(), "this machine has no non-loopback address to call from");
        assertThat(get(outside.get(), "/status", Map.of()).statusCode(), is(401));
        assertThat(get(outside.get(), "/status", bearer(CLIENT_KEY)).statusCode(), is(200));
        assertThat(get(outside.get(), "/observe/metrics", Map.of()).statusCode(), is(401));
    }

    private static Map<String, String> combine(Map<String, String> a, Map<String, String> b) {
        java.util.Map<String, String> all = new java.util.HashMap<>(a);
        all.putAll(b);
        return all;
    }

    /** An IPv4 address of this machine that is not loopback: a request to it does not come from loopback. */
    private static Optional<String> nonLoopbackAddress() throws SocketException {
        for (NetworkInterface nic : Collections.list(NetworkInterface.getNetworkInterfaces())) {
            if (!nic.isUp() || nic.isLoopback()) {
                continue;
            }
            for (InetAddress address : Collections.list(nic.getInetAddresses())) {
                if (address instanceof Inet4Address && !address.isLoopbackAddress()) {
                    return Optional.of(address.getHostAddress());
                }
            }
        }
        return Optional.empty();
    }
}
