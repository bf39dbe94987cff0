package io.hedgerow.provider.openai;

import io.hedgerow.config.ApiKey;
import io.hedgerow.config.ProviderConfig;
import io.hedgerow.config.ProviderType;
import io.hedgerow.config.SimSettings;
import io.hedgerow.fakes.FakeModelList;
import io.hedgerow.fakes.FakeModelList.Answer;
import io.hedgerow.model.FailureKind;
import io.hedgerow.provider.ProviderException;
import io.hedgerow.testing.TestConfig;

import org.junit.jupiter.api.Test;

import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.is;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * OpenRouter lists its models to anyone, so a list proves nothing about a key: its own {@code GET /key} is asked
 * first, and a 401 there is an auth failure even though the list would have come back.
 */
class OpenRouterKeyCheckTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(2);

    @Test
    void aKeyOpenRouterRefusesFailsThoughItsModelListIsPublic() {
        try (FakeModelList fake = FakeModelList.start()) {
            fake.answer(r -> r.path().equals("/api/v1/key")
                    ? Answer.status(401, "{\"error\":{\"message\":\"User not found.\",\"code\":401}}")
                    : Answer.openAi("anthropic/claude-sonnet-4.5"));

            ProviderException e = assertThrows(ProviderException.class,
                                               () -> provider(fake).listModels(Optional.of(key()), TIMEOUT));

            assertThat(e.failure().kind(), is(FailureKind.AUTH));
            assertThat(fake.requests().size(), is(1));
        }
    }

    @Test
    void anAcceptedKeyThenGetsTheList() throws ProviderException {
        try (FakeModelList fake = FakeModelList.start()) {
            fake.answer(r -> r.path().equals("/api/v1/key")
                    ? Answer.json(200, "{\"data\":{\"label\":\"sk-or-v1-abc...def\",\"limit\":null}}")
                    : Answer.openAi("anthropic/claude-sonnet-4.5"));

            assertThat(provider(fake).listModels(Optional.of(key()), TIMEOUT).lists("anthropic/claude-sonnet-4.5"),
                       is(Optional.of(true)));
            assertThat(fake.requests().stream().map(FakeModelList.Request::path).toList(),
                       is(List.of("/api/v1/key", "/api/v1/models")));
        }
    }

    private static OpenAiProvider provider(FakeModelList fake) {
        ProviderConfig config = new ProviderConfig("openrouter", ProviderType.OPENAI,
                                                   Optional.of(URI.create(fake.baseUrl() + "/api/v1")),
                                                   List.of(key()), Map.of(), Map.of(), TestConfig.TIMEOUTS,
                                                   SimSettings.DEFAULTS);
        return new OpenAiProvider(config, Clock.systemUTC(), true);
    }

    private static ApiKey key() {
        return ApiKey.of("or", "sk-or-v1-test-0123456789");
    }
}
