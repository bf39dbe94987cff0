package io.hedgerow;

import io.hedgerow.api.ClientKeys;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.is;

/** The command line's own checks: {@code hash-key}, and an open router refused on a public address. */
class MainTest {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

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
}
