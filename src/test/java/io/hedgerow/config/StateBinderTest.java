package io.hedgerow.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.is;

/** {@code state:} as the loader reads it: defaults, the file beside the config or where the environment says, Redis. */
class StateBinderTest {
    @TempDir
    Path dir;

    private ConfigLoader.Result load(String state, Map<String, String> env) throws Exception {
        Path file = dir.resolve("router.yaml");
        Files.writeString(file, """
                providers: {sim: {type: sim}}
                routes: {chat: {chain: [sim/s1]}}
                """ + state);
        return ConfigLoader.load(file, name -> Optional.ofNullable(env.get(name)));
    }

    @Test
    void byDefaultStateIsLocalAndSavedBesideTheConfig() throws Exception {
        StateSettings s = load("", Map.of()).config().orElseThrow().state();
        assertThat(s.store(), is(StateSettings.Store.LOCAL));
        assertThat(s.file().orElseThrow(), is(dir.resolve("router.state.json")));
        assertThat(s.timeout(), is(Duration.ofMillis(50)));
        StateSettings moved = load("", Map.of("HEDGEROW_STATE_FILE", "/var/lib/x.json")).config().orElseThrow().state();
        assertThat(moved.file().orElseThrow(), is(Path.of("/var/lib/x.json")));
        assertThat(load("state: {file: off}", Map.of()).config().orElseThrow().state().file().isEmpty(), is(true));
    }

    @Test
    void redisNeedsAUrlAndAShortTimeout() throws Exception {
        StateSettings s = load("state: {store: redis, url: \"redis://cache:6379/2\", replicas: 3, "
                                       + "rate-limits-when-down: refuse, key-prefix: \"a:\"}", Map.of())
                .config().orElseThrow().state();
        assertThat(s.store(), is(StateSettings.Store.REDIS));
        assertThat(s.url().orElseThrow().getHost(), is("cache"));
        assertThat(s.replicas(), is(3));
        assertThat(s.whenDown(), is(StateSettings.WhenDown.REFUSE));
        assertThat(s.keyPrefix(), is("a:"));

        ConfigLoader.Result bad = load("state: {store: redis, url: \"http://user:hunter2@cache\", timeout: 5s, "
                                               + "rate-limits-when-down: maybe}", Map.of());
        assertThat(bad.config().isPresent(), is(false));
        String errors = String.join("\n", bad.errors());
        assertThat(errors, containsString("state.url: 'http://***@cache' (expected: redis://host:port"));
        assertThat("the password is not repeated", errors.contains("hunter2"), is(false));
        assertThat(errors, containsString("state.timeout: '5s' (expected: at most 1s"));
        assertThat(errors, containsString("state.rate-limits-when-down: 'maybe' (expected: per-replica or refuse)"));
        assertThat(load("state: {store: redis}", Map.of()).errors(),
                   hasItem(containsString("state.url: missing")));
    }
}
