package io.hedgerow.provider;

import io.hedgerow.config.ApiKey;
import io.hedgerow.config.KeyRotation;
import io.hedgerow.config.ModelSettings;
import io.hedgerow.config.ProviderConfig;
import io.hedgerow.config.ProviderLimits;
import io.hedgerow.config.ProviderType;
import io.hedgerow.config.SimSettings;
import io.hedgerow.fakes.FakeModelList;
import io.hedgerow.fakes.FakeModelList.Answer;
import io.hedgerow.model.FailureKind;
import io.hedgerow.provider.anthropic.AnthropicProvider;
import io.hedgerow.provider.ollama.OllamaProvider;
import io.hedgerow.provider.openai.OpenAiProvider;
import io.hedgerow.provider.sim.SimProvider;
import io.hedgerow.testing.TestConfig;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.random.RandomGenerator;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.lessThan;
import static org.hamcrest.Matchers.not;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * {@link ProviderClient#listModels}: each adapter asks its provider's list of models with the key as a chat call
 * sends it, over real HTTP, and classifies the answer: a list, a refused key, garbage, silence, a closed port.
 */
class ListModelsTest {
    private static final String KEY = "sk-test-listing-0123456789abcdef";
    /**
     * For answers the fake gives at once: a bound on liveness only (the first WebClient call of a JVM on a loaded
     * machine can take seconds), never reached when things work.
     */
    private static final Duration TIMEOUT = Duration.ofSeconds(20);
    /** For the fake that never answers: the timeout under test. */
    private static final Duration SHORT = Duration.ofMillis(500);

    private FakeModelList fake;

    @BeforeEach
    void start() {
        fake = FakeModelList.start();
    }

    @AfterEach
    void stop() {
        fake.close();
    }

    @Test
    void openAiListsItsModelsWithTheBearerKey() throws ProviderException {
        fake.answer(r -> Answer.openAi("gpt-4.1", "gpt-4.1-mini"));

        ModelListing listing = openAi(fake.baseUrl() + "/v1").listModels(Optional.of(key()), TIMEOUT);

        assertThat(listing.ids(), is(Optional.of(List.of("gpt-4.1", "gpt-4.1-mini"))));
        FakeModelList.Request request = fake.requests().getFirst();
        assertThat(request.path(), is("/v1/models"));
        assertThat(request.header("authorization"), is(Optional.of("Bearer " + KEY)));
        assertThat(request.header("x-extra"), is(Optional.of("yes")));
    }

    @Test
    void aRefusedKeyIsAnAuthFailureWhoseMessageNeverEchoesTheKey() {
        fake.answer(r -> Answer.status(401, "{\"error\":{\"message\":\"Incorrect API key provided: " + r.key()
                + "\",\"type\":\"invalid_request_error\",\"code\":\"invalid_api_key\"}}"));

        ProviderException e = assertThrows(ProviderException.class,
                                           () -> openAi(fake.baseUrl() + "/v1").listModels(Optional.of(key()), TIMEOUT));

        assertThat(e.failure().kind(), is(FailureKind.AUTH));
        assertThat(e.failure().status(), is(401));
        assertThat(e.failure().message(), containsString("Incorrect API key provided"));
        assertThat(e.failure().message(), not(containsString(KEY)));
        assertThat(e.getMessage(), not(containsString(KEY)));
    }

    @Test
    void aForbiddenKeyIsAnAuthFailureToo() {
        fake.answer(r -> Answer.status(403, "{\"error\":{\"message\":\"forbidden\"}}"));

        ProviderException e = assertThrows(ProviderException.class,
                                           () -> openAi(fake.baseUrl() + "/v1").listModels(Optional.of(key()), TIMEOUT));

        assertThat(e.failure().kind(), is(FailureKind.AUTH));
    }

    @Test
    void garbageIsABadResponse() {
        fake.answer(r -> Answer.raw(200, "text/html", "<html><body>Welcome to nginx!</body></html>"));

        ProviderException e = assertThrows(ProviderException.class,
                                           () -> openAi(fake.baseUrl() + "/v1").listModels(Optional.of(key()), TIMEOUT));

        assertThat(e.failure().kind(), is(FailureKind.BAD_RESPONSE));
        assertThat(e.failure().message(), is("answer is not JSON"));
    }

    @Test
    void jsonThatIsNotAListIsABadResponse() {
        fake.answer(r -> Answer.json(200, "{\"hello\":\"world\"}"));

        ProviderException e = assertThrows(ProviderException.class,
                                           () -> openAi(fake.baseUrl() + "/v1").listModels(Optional.of(key()), TIMEOUT));

        assertThat(e.failure().kind(), is(FailureKind.BAD_RESPONSE));
        assertThat(e.failure().message(), containsString("not a list of models"));
    }

    @Test
    void anErrorObjectInA200IsClassifiedByItsCode() {
        fake.answer(r -> Answer.json(200, "{\"error\":{\"code\":401,\"message\":\"No auth credentials found\"}}"));

        ProviderException e = assertThrows(ProviderException.class,
                                           () -> openAi(fake.baseUrl() + "/v1").listModels(Optional.of(key()), TIMEOUT));

        assertThat(e.failure().kind(), is(FailureKind.AUTH));
    }

    @Test
    void aProviderThatDoesNotAnswerTimesOutWithinTheTimeout() {
        fake.answer(r -> Answer.hang());
        long started = System.nanoTime();

        ProviderException e = assertThrows(ProviderException.class,
                                           () -> openAi(fake.baseUrl() + "/v1").listModels(Optional.of(key()), SHORT));

        assertThat(e.failure().kind(), is(FailureKind.TIMEOUT));
        // The fake hangs until it is closed: any end well before that is the timeout's (loose: a loaded machine).
        assertThat(Duration.ofNanos(System.nanoTime() - started), lessThan(Duration.ofSeconds(15)));
    }

    @Test
    void aClosedPortIsAConnectionFailure() {
        ProviderException e = assertThrows(ProviderException.class, () -> openAi(
                "http://127.0.0.1:" + TestConfig.closedPort() + "/v1").listModels(Optional.of(key()), TIMEOUT));

        assertThat(e.failure().kind(), is(FailureKind.CONNECTION));
    }

    @Test
    void aListLargerThanTheCapStillProvesTheKeyButListsNothing() throws ProviderException {
        String[] ids = new String[200];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = "model-with-a-rather-long-name-" + i;
        }
        fake.answer(r -> Answer.openAi(ids));
        ProviderConfig small = config(ProviderType.OPENAI, fake.baseUrl() + "/v1")
                .withLimits(new ProviderLimits(8, 2048));

        ModelListing listing = new OpenAiProvider(small, Clock.systemUTC()).listModels(Optional.of(key()), TIMEOUT);

        assertThat(listing.ids(), is(Optional.empty()));
    }

    @Test
    void anthropicSendsTheHeadersOfAChatCallAndAsksForOneLargePage() throws ProviderException {
        fake.answer(r -> Answer.anthropic(false, "claude-sonnet-4-5-20250929", "claude-opus-4-1-20250805"));

        ModelListing listing = new AnthropicProvider(config(ProviderType.ANTHROPIC, fake.baseUrl().toString()),
                                                     Clock.systemUTC()).listModels(Optional.of(key()), TIMEOUT);

        assertThat(listing.ids(), is(Optional.of(List.of("claude-sonnet-4-5-20250929", "claude-opus-4-1-20250805"))));
        // An alias is listed through its dated snapshot.
        assertThat(listing.lists("claude-sonnet-4-5"), is(Optional.of(true)));
        assertThat(listing.lists("claude-haiku-4-5"), is(Optional.of(false)));
        FakeModelList.Request request = fake.requests().getFirst();
        assertThat(request.path(), is("/v1/models"));
        assertThat(request.query(), is("limit=1000"));
        assertThat(request.header("x-api-key"), is(Optional.of(KEY)));
        assertThat(request.header("anthropic-version"), is(Optional.of("2023-06-01")));
        assertThat(request.header("authorization"), is(Optional.empty()));
    }

    @Test
    void anthropicWithABaseUrlEndingInV1() throws ProviderException {
        fake.answer(r -> Answer.anthropic(false, "claude-sonnet-4-5-20250929"));

        new AnthropicProvider(config(ProviderType.ANTHROPIC, fake.baseUrl() + "/v1"), Clock.systemUTC())
                .listModels(Optional.of(key()), TIMEOUT);

        assertThat(fake.requests().getFirst().path(), is("/v1/models"));
    }

    @Test
    void anIncompleteAnthropicListIsNotJudged() throws ProviderException {
        fake.answer(r -> Answer.anthropic(true, "claude-sonnet-4-5-20250929"));

        ModelListing listing = new AnthropicProvider(config(ProviderType.ANTHROPIC, fake.baseUrl().toString()),
                                                     Clock.systemUTC()).listModels(Optional.of(key()), TIMEOUT);

        assertThat(listing.lists("anything"), is(Optional.empty()));
    }

    @Test
    void anthropicRefusalIsAnAuthFailure() {
        fake.answer(r -> Answer.status(401, "{\"type\":\"error\",\"error\":{\"type\":\"authentication_error\","
                + "\"message\":\"invalid x-api-key\"}}"));

        ProviderException e = assertThrows(ProviderException.class, () -> new AnthropicProvider(
                config(ProviderType.ANTHROPIC, fake.baseUrl().toString()), Clock.systemUTC())
                .listModels(Optional.of(key()), TIMEOUT));

        assertThat(e.failure().kind(), is(FailureKind.AUTH));
        assertThat(e.failure().message(), is("invalid x-api-key"));
    }

    @Test
    void ollamaListsItsTagsWithoutAKey() throws ProviderException {
        fake.answer(r -> Answer.ollama("llama3:latest", "qwen2.5:7b"));
        ProviderConfig ollama = new ProviderConfig("local", ProviderType.OLLAMA, Optional.of(fake.baseUrl()),
                                                   List.of(), Map.of(), Map.of(), TestConfig.TIMEOUTS,
                                                   SimSettings.DEFAULTS);

        ModelListing listing = new OllamaProvider(ollama, Clock.systemUTC()).listModels(Optional.empty(), TIMEOUT);

        assertThat(listing.lists("llama3"), is(Optional.of(true)));
        assertThat(listing.lists("qwen2.5:7b"), is(Optional.of(true)));
        assertThat(listing.lists("qwen2.5"), is(Optional.of(false)));
        assertThat(fake.requests().getFirst().path(), is("/api/tags"));
        assertThat(fake.requests().getFirst().header("authorization"), is(Optional.empty()));
    }

    @Test
    void theSimulatorAnswersFromItsConfig() throws ProviderException {
        ProviderConfig declared = new ProviderConfig("sim", ProviderType.SIM, Optional.empty(), List.of(), Map.of(),
                                                     Map.of(), TestConfig.TIMEOUTS, TestConfig.FAST_SIM,
                                                     KeyRotation.ORDERED,
                                                     Map.of("s2", new ModelSettings("s2", Optional.empty()),
                                                            "s1", new ModelSettings("s1", Optional.empty())));
        ProviderConfig plain = new ProviderConfig("sim", ProviderType.SIM, Optional.empty(), List.of(), Map.of(),
                                                  Map.of(), TestConfig.TIMEOUTS, TestConfig.FAST_SIM);

        assertThat(new SimProvider(declared, RandomGenerator.getDefault()).listModels(Optional.empty(), TIMEOUT).ids(),
                   is(Optional.of(List.of("s1", "s2"))));
        assertThat(new SimProvider(plain, RandomGenerator.getDefault()).listModels(Optional.empty(), TIMEOUT).ids(),
                   is(Optional.empty()));
    }

    private ProviderConfig config(ProviderType type, String baseUrl) {
        return new ProviderConfig("p", type, Optional.of(URI.create(baseUrl)), List.of(key()), Map.of("X-Extra", "yes"),
                                  Map.of(), TestConfig.TIMEOUTS, SimSettings.DEFAULTS);
    }

    private OpenAiProvider openAi(String baseUrl) {
        return new OpenAiProvider(config(ProviderType.OPENAI, baseUrl), Clock.systemUTC());
    }

    private static ApiKey key() {
        return ApiKey.of("main", KEY);
    }
}
