package io.hedgerow;

import io.hedgerow.api.ClientKeys;
import io.hedgerow.fakes.FakeModelList;
import io.hedgerow.fakes.FakeModelList.Answer;
import io.hedgerow.testing.TestConfig;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.not;

/**
 * The command line's own checks: {@code hash-key}, an open router refused on a public address, and
 * {@code check --live} against fake providers (its table and exit codes).
 */
class MainTest {
    private static final String GOOD = "sk-test-main-good-0123456789";
    private static final String REVOKED = "sk-test-main-revoked-0123456789";

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    @TempDir
    Path dir;

    private int run(String stdin, String... args) {
        return Main.run(args, new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)),
                        new PrintStream(out, true, StandardCharsets.UTF_8),
                        new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    @Test
    void hashKeyReadsTheKeyFromStandardInput() {
        assertThat(run("secret1\n", "hash-key"), is(0));
        assertThat(out.toString(StandardCharsets.UTF_8),
                   containsString("sha256: 5b11618c2e44027877d0cd0921ed166b9f176f50587fc91e7534dd2946db77d6"));
        assertThat(out.toString(StandardCharsets.UTF_8), containsString("server.client-keys: [{name: CLIENT, sha256: "));
    }

    @Test
    void hashKeyNewMakesAKeyAndPrintsItsHash() {
        assertThat(run("", "hash-key", "--new"), is(0));
        String text = out.toString(StandardCharsets.UTF_8);
        Matcher key = Pattern.compile("key: +(hr-[0-9a-f]{48}) ").matcher(text);
        assertThat(text, key.find(), is(true));
        assertThat(text, containsString("sha256: " + ClientKeys.hash(key.group(1))));
    }

    @Test
    void hashKeyWithoutAKeyIsAUsageError() {
        assertThat(run("", "hash-key"), is(2));
        assertThat(err.toString(StandardCharsets.UTF_8), containsString("no key on standard input"));
        assertThat(run("", "check", "--new"), is(2));
    }

    @Test
    void anOpenRouterIsRefusedOnAPublicAddress() {
        assertThat(run("", "--config", "config/hedgerow.yaml", "--host", "0.0.0.0", "--port", "0"), is(1));
        assertThat(err.toString(StandardCharsets.UTF_8),
                   containsString("'0.0.0.0' is not a loopback address and no client keys are configured"));
    }

    @Test
    void checkLiveOnTheDefaultConfigAsksTheSimulatorsAndPasses() {
        assertThat(run("", "check", "--live", "--config", "config/hedgerow.yaml"), is(0));
        String text = out.toString(StandardCharsets.UTF_8);
        assertThat(text, containsString("config/hedgerow.yaml: OK"));
        assertThat(text, containsString("live check: 2 provider+key pairs used by the routes"));
        assertThat(text, containsString("route default:"));
        assertLine(text, "  1  sim-fast/sim-large +none +ok +accepted \\(no list of models\\).*");
        assertThat(text, containsString("live check OK"));
    }

    @Test
    void checkLiveExitsOneWhenARungCannotServeAndSaysWhy() throws IOException {
        try (FakeModelList fake = FakeModelList.start()) {
            fake.answer(r -> r.key().equals(GOOD) ? Answer.openAi("gpt-4.1")
                    : Answer.status(401, "{\"error\":{\"message\":\"Incorrect API key provided: " + r.key() + "\"}}"));
            Path config = liveConfig(fake, "[main/gpt-4.1, revoked/gpt-4.1, local/llama3]");

            assertThat(run("", "check", "--live", "--config", config.toString()), is(1));

            String text = out.toString(StandardCharsets.UTF_8);
            assertThat(text, containsString("route smart:"));
            assertLine(text, "  1  main/gpt-4.1 +good +ok +1 model listed.*");
            assertLine(text, "  2  revoked/gpt-4.1 +old +AUTH FAILED +401 auth failed: Incorrect "
                                                    + "API key provided: \\[redacted\\].*");
            assertLine(text, "  3  local/llama3 +none +UNREACHABLE +connection failed.*");
            assertThat(text, containsString("error: route smart, rung 2 (revoked/gpt-4.1): its key was refused"));
            assertThat(text, containsString("error: route smart, rung 3 (local/llama3): nothing answers at http://127.0.0.1:"));
            assertThat(text, containsString("live check FAILED: 2 rungs cannot serve"));
            assertThat(text + err.toString(StandardCharsets.UTF_8), not(containsString(GOOD)));
            assertThat(text + err.toString(StandardCharsets.UTF_8), not(containsString(REVOKED)));
        }
    }

    @Test
    void checkLivePassesWithWarningsWhenOnlyAModelIsNotListed() throws IOException {
        try (FakeModelList fake = FakeModelList.start()) {
            fake.answer(r -> Answer.openAi("gpt-4.1"));
            Path config = liveConfig(fake, "[main/gpt-4.1, main/gpt-5-typo]");

            assertThat(run("", "check", "--live", "--config", config.toString()), is(0));

            String text = out.toString(StandardCharsets.UTF_8);
            assertLine(text, "  2  main/gpt-5-typo +good +ok, model not listed by the provider .*");
            assertThat(text, containsString("warning: route smart, rung 2 (main/gpt-5-typo), key good: model 'gpt-5-typo'"
                                                    + " not listed by the provider"));
            assertThat(text, containsString("live check OK"));
            // The providers no route uses are not asked.
            assertThat(fake.requests().size(), is(1));
        }
    }

    @Test
    void checkLiveWarnsWhenEveryRungOfARouteFailsAtOnce() throws IOException {
        try (FakeModelList fake = FakeModelList.start()) {
            fake.answer(r -> Answer.status(401, "{}"));
            Path config = liveConfig(fake, "[main/gpt-4.1, revoked/gpt-4.1]");

            assertThat(run("", "check", "--live", "--config", config.toString()), is(1));

            assertThat(out.toString(StandardCharsets.UTF_8),
                       containsString("warning: route smart: every rung failed its check at once: every request to "
                                              + "smart will fail"));
        }
    }

    @Test
    void liveIsAnOptionOfCheckOnly() {
        assertThat(run("", "--live"), is(2));
        assertThat(err.toString(StandardCharsets.UTF_8), containsString("--live is for check"));
    }

    /** Some line of {@code text} starts with a match of {@code regex}. */
    private static void assertLine(String text, String regex) {
        assertThat(text, Pattern.compile("^" + regex, Pattern.MULTILINE).matcher(text).find(), is(true));
    }

    private Path liveConfig(FakeModelList fake, String chain) throws IOException {
        Path file = dir.resolve("live.yaml");
        Files.writeString(file, """
                providers:
                  main: {type: openai, base-url: "%s/v1", keys: [{label: good, value: %s}]}
                  revoked: {type: openai, base-url: "%s/v1", keys: [{label: old, value: %s}]}
                  local: {type: ollama, base-url: "http://127.0.0.1:%d"}
                  unused: {type: openai, base-url: "%s/unused", keys: [{label: u, value: sk-unused}]}
                routes:
                  smart: {chain: %s}
                observe: {preflight: {timeout: 2s}}
                """.formatted(fake.baseUrl(), GOOD, fake.baseUrl(), REVOKED, TestConfig.closedPort(), fake.baseUrl(),
                              chain));
        return file;
    }
}
