package io.hedgerow.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.is;

/** {@code server.status-access} and {@code server.metrics-access}: read, defaulted, and a wrong value named. */
class EndpointAccessConfigTest {
    private static final String PROVIDERS = """
            providers:
              sim: {type: sim}
            routes:
              quick: {chain: [sim/tiny]}
            """;

    @TempDir
    Path dir;

    private ConfigLoader.Result load(String server) throws IOException {
        Path file = dir.resolve("hedgerow.yaml");
        Files.writeString(file, server + PROVIDERS);
        return ConfigLoader.load(file, name -> Optional.empty());
    }

    @Test
    void defaultsGuardTheStatusAndLeaveMetricsOpen() throws IOException {
        EndpointAccess access = load("").config().orElseThrow().server().endpoints();

        assertThat(access, is(new EndpointAccess(EndpointAccess.Mode.KEYS, EndpointAccess.Mode.OPEN)));
    }

    @Test
    void bothAreRead() throws IOException {
        EndpointAccess access = load("server: {status-access: loopback, metrics-access: KEYS}\n")
                .config().orElseThrow().server().endpoints();

        assertThat(access, is(new EndpointAccess(EndpointAccess.Mode.LOOPBACK, EndpointAccess.Mode.KEYS)));
    }

    @Test
    void aWrongValueIsAnError() throws IOException {
        ConfigLoader.Result result = load("server: {status-access: public}\n");

        assertThat(result.config().isPresent(), is(false));
        assertThat(result.errors(), hasItem("server.status-access: 'public' (expected: keys, loopback or open)"));
    }
}
