package io.hedgerow;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.hedgerow.config.ConfigLoader;
import io.hedgerow.config.StateSettings;
import io.hedgerow.testing.ExternalTool;

import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.hasKey;
import static org.hamcrest.Matchers.is;

/**
 * What can be checked of {@code docker/} without a Docker engine: the compose file and Grafana provisioning parse
 * and point at files that exist; {@code promtool check config} accepts the Prometheus config; the dashboard is JSON
 * whose every query names a metric docs/operating.md documents (so dashboard, docs and router agree); the Dockerfile
 * builds the fat jar and runs it on all interfaces. The same of {@code compose-fleet.yaml}: two replicas on Valkey
 * behind a balancer, a valid fleet config, both replicas scraped, a fleet dashboard of documented metrics.
 */
class DockerFilesTest {
    private static final Path DOCKER = Path.of("docker");
    private static final Pattern METRIC = Pattern.compile("\\b((?:hedgerow|jvm|process|system)_[a-z0-9_]+)");

    @Test
    @SuppressWarnings("unchecked")
    void composeStartsHedgerowPrometheusGrafanaAndJaegerFromFilesThatExist() throws IOException {
        Map<String, Object> compose = new Yaml().load(Files.readString(DOCKER.resolve("compose.yaml")));
        Map<String, Object> services = (Map<String, Object>) compose.get("services");
        assertThat(services, hasKey("hedgerow"));
        assertThat(services, hasKey("prometheus"));
        assertThat(services, hasKey("grafana"));
        assertThat(services, hasKey("jaeger"));
        // The router exports its traces to Jaeger's OTLP/HTTP port, on the compose network.
        assertThat(((Map<String, Object>) services.get("hedgerow")).get("environment").toString(),
                   containsString("OTEL_EXPORTER_OTLP_ENDPOINT=http://jaeger:4318"));
        assertThat(((Map<String, Object>) services.get("jaeger")).get("environment").toString(),
                   containsString("COLLECTOR_OTLP_ENABLED=true"));
        Map<String, Object> build = (Map<String, Object>) ((Map<String, Object>) services.get("hedgerow")).get("build");
        Path context = DOCKER.resolve((String) build.get("context")).normalize();
        assertThat(Files.isRegularFile(context.resolve((String) build.get("dockerfile"))), is(true));
        for (Object service : services.values()) {
            Map<String, Object> s = (Map<String, Object>) service;
            for (Object volume : (List<Object>) s.getOrDefault("volumes", List.of())) {
                String source = volume.toString().split(":")[0];
                if (source.startsWith(".")) {
                    assertThat(volume + " exists", Files.exists(DOCKER.resolve(source)), is(true));
                }
            }
            for (Object port : (List<Object>) s.getOrDefault("ports", List.of())) {
                assertThat("published on loopback only: " + port, port.toString().startsWith("127.0.0.1:"), is(true));
            }
        }
        for (String file : List.of("grafana/provisioning/datasources/prometheus.yaml",
                                   "grafana/provisioning/dashboards/hedgerow.yaml")) {
            Map<String, Object> yaml = new Yaml().load(Files.readString(DOCKER.resolve(file)));
            assertThat(file, yaml.get("apiVersion"), is(1));
        }
        Map<String, Object> prometheus = new Yaml().load(Files.readString(DOCKER.resolve("prometheus.yml")));
        assertThat(prometheus.toString(), containsString("metrics_path=/observe/metrics"));
        assertThat(prometheus.toString(), containsString("hedgerow:8080"));
    }

    @Test
    @SuppressWarnings("unchecked")
    void composeFleetRunsTwoReplicasOnValkeyBehindABalancer() throws IOException {
        Map<String, Object> compose = new Yaml().load(Files.readString(DOCKER.resolve("compose-fleet.yaml")));
        Map<String, Object> services = (Map<String, Object>) compose.get("services");
        assertThat(new TreeSet<>(services.keySet()).toString(),
                   is("[balancer, grafana, hedgerow-1, hedgerow-2, prometheus, valkey]"));
        for (Map.Entry<String, Object> entry : services.entrySet()) {
            Map<String, Object> s = (Map<String, Object>) entry.getValue();
            for (Object volume : (List<Object>) s.getOrDefault("volumes", List.of())) {
                String source = volume.toString().split(":")[0];
                if (source.startsWith(".")) {
                    assertThat(volume + " exists", Files.exists(DOCKER.resolve(source)), is(true));
                }
            }
            List<Object> ports = (List<Object>) s.getOrDefault("ports", List.of());
            for (Object port : ports) {
                assertThat("published on loopback only: " + port, port.toString().startsWith("127.0.0.1:"), is(true));
            }
            if (entry.getKey().startsWith("hedgerow-")) {
                assertThat("replicas are reached through the balancer only", ports, is(empty()));
                Map<String, Object> build = (Map<String, Object>) s.get("build");
                Path context = DOCKER.resolve((String) build.get("context")).normalize();
                assertThat(Files.isRegularFile(context.resolve((String) build.get("dockerfile"))), is(true));
            }
        }
        // The replicas' config is valid and shares state through the compose file's Valkey.
        ConfigLoader.Result fleet = ConfigLoader.load(DOCKER.resolve("fleet/hedgerow.yaml"), name -> Optional.empty());
        assertThat(fleet.errors().toString(), fleet.config().isPresent(), is(true));
        StateSettings state = fleet.config().get().state();
        assertThat(state.store(), is(StateSettings.Store.REDIS));
        assertThat(state.url().orElseThrow().toString(), is("redis://valkey:6379"));
        assertThat(services, hasKey(state.url().get().getHost()));
        assertThat(state.replicas(), is(2));
        String nginx = Files.readString(DOCKER.resolve("fleet/nginx.conf"));
        assertThat(nginx, containsString("server hedgerow-1:8080"));
        assertThat(nginx, containsString("server hedgerow-2:8080"));
        Map<String, Object> prometheus = new Yaml().load(Files.readString(DOCKER.resolve("fleet/prometheus.yml")));
        assertThat(prometheus.toString(), containsString("metrics_path=/observe/metrics"));
        assertThat(prometheus.toString(), containsString("hedgerow-1:8080, hedgerow-2:8080"));
    }

    @Test
    void promtoolAcceptsThePrometheusConfigs() throws Exception {
        Path promtool = ExternalTool.require("promtool", "prometheus");
        for (Path config : List.of(DOCKER.resolve("prometheus.yml"), DOCKER.resolve("fleet/prometheus.yml"))) {
            Process process = new ProcessBuilder(promtool.toString(), "check", "config", config.toString())
                    .redirectErrorStream(true).start();
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(process.waitFor(60, TimeUnit.SECONDS), is(true));
            assertThat(output, process.exitValue(), is(0));
            assertThat(output, containsString("SUCCESS"));
        }
    }

    @Test
    void theFleetDashboardQueriesDocumentedMetrics() throws IOException {
        JsonNode dashboard = new ObjectMapper().readTree(DOCKER.resolve("grafana/dashboards/fleet.json").toFile());
        assertThat(dashboard.path("uid").asText(), is("hedgerow-fleet"));
        List<String> exprs = new ArrayList<>();
        dashboard.findValues("expr").forEach(e -> exprs.add(e.asText()));
        String docs = Files.readString(Path.of("docs/operating.md"));
        TreeSet<String> undocumented = new TreeSet<>();
        for (String expr : exprs) {
            Matcher m = METRIC.matcher(expr);
            while (m.find()) {
                if (!docs.contains("`" + m.group(1) + "`")) {
                    undocumented.add(m.group(1));
                }
            }
        }
        assertThat("metrics the fleet dashboard queries but docs/operating.md does not list", undocumented, is(empty()));
        assertThat(String.join("\n", exprs), containsString("hedgerow_state_store_up"));
        assertThat(String.join("\n", exprs), containsString("hedgerow_config_info"));
        assertThat(String.join("\n", exprs), containsString("by (instance"));
    }

    @Test
    void everyDashboardQueryNamesADocumentedMetric() throws IOException {
        JsonNode dashboard = new ObjectMapper().readTree(DOCKER.resolve("grafana/dashboards/hedgerow.json").toFile());
        assertThat(dashboard.path("uid").asText(), is("hedgerow"));
        List<String> exprs = new ArrayList<>();
        dashboard.findValues("expr").forEach(e -> exprs.add(e.asText()));
        assertThat(exprs.size(), greaterThan(20));
        String readme = Files.readString(Path.of("docs/operating.md"));
        TreeSet<String> undocumented = new TreeSet<>();
        TreeSet<String> used = new TreeSet<>();
        for (String expr : exprs) {
            Matcher m = METRIC.matcher(expr);
            while (m.find()) {
                String name = m.group(1);
                String base = name.replaceAll("_(bucket|sum|count)$", "");
                used.add(name);
                if (!readme.contains("`" + name + "`") && !readme.contains("`" + base + "`")) {
                    undocumented.add(name);
                }
            }
        }
        assertThat("metrics the dashboard queries but docs/operating.md does not list", undocumented, is(empty()));
        assertThat(used.size(), greaterThan(15));
    }

    @Test
    void theDockerfileBuildsTheFatJarAndListensOnAllInterfaces() throws IOException {
        String dockerfile = Files.readString(DOCKER.resolve("Dockerfile"));
        assertThat(dockerfile, containsString("mvn -B -q -DskipTests package"));
        assertThat(dockerfile, containsString("/app/hedgerow.jar"));
        assertThat(dockerfile, containsString("\"--host\", \"0.0.0.0\""));
        assertThat(dockerfile, containsString("EXPOSE 8080"));
    }
}
