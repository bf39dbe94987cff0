package io.hedgerow.api;

import io.hedgerow.config.ClientKey;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Optional;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.is;
import static org.junit.jupiter.api.Assertions.assertThrows;

class ClientKeysTest {
    @Test
    void hashIsSha256InLowerCaseHex() {
        // sha256("secret1"), as `printf %s secret1 | sha256sum` prints it.
        assertThat(ClientKeys.hash("secret1"), is("5b11618c2e44027877d0cd0921ed166b9f176f50587fc91e7534dd2946db77d6"));
    }

    @Test
    void identifiesTheClientWhoseHashMatches() {
        ClientKeys keys = new ClientKeys(List.of(
                new ClientKey("laptop", ClientKeys.hash("key-a"), Optional.empty()),
                new ClientKey("agents", ClientKeys.hash("key-b").toUpperCase(), Optional.empty())));

        assertThat(keys.required(), is(true));
        assertThat(keys.identify("key-a").map(ClientKey::name), is(Optional.of("laptop")));
        assertThat(keys.identify("key-b").map(ClientKey::name), is(Optional.of("agents")));
        assertThat(keys.identify("key-c"), is(Optional.empty()));
        assertThat(keys.identify(""), is(Optional.empty()));
        assertThat(keys.identify("key-a "), is(Optional.empty()));
    }

    @Test
    void noKeysIdentifyNobody() {
        ClientKeys keys = new ClientKeys(List.of());
        assertThat(keys.required(), is(false));
        assertThat(keys.identify("anything"), is(Optional.empty()));
    }

    @Test
    void aHashMustBe64HexDigits() {
        assertThrows(IllegalArgumentException.class, () -> new ClientKey("x", "abc", Optional.empty()));
        assertThrows(IllegalArgumentException.class, () -> new ClientKey("x", "z".repeat(64), Optional.empty()));
    }
}
