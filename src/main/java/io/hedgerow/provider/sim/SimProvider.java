package io.hedgerow.provider.sim;

import io.hedgerow.config.ApiKey;
import io.hedgerow.config.ProviderConfig;
import io.hedgerow.config.SimSettings;
import io.hedgerow.model.ChatRequest;
import io.hedgerow.model.ChatResponse;
import io.hedgerow.dialect.DialectException;
import io.hedgerow.dialect.ResponseFormats;
import io.hedgerow.model.ContentPart;
import io.hedgerow.model.EmbeddingInput;
import io.hedgerow.model.EmbeddingRequest;
import io.hedgerow.model.EmbeddingResponse;
import io.hedgerow.model.Failure;
import io.hedgerow.model.FailureKind;
import io.hedgerow.model.FinishReason;
import io.hedgerow.model.Message;
import io.hedgerow.model.ResponseFormat;
import io.hedgerow.model.Role;
import io.hedgerow.model.StreamEvent;
import io.hedgerow.model.ToolCall;
import io.hedgerow.model.ToolChoice;
import io.hedgerow.model.ToolDefinition;
import io.hedgerow.model.Usage;
import io.hedgerow.provider.ChatStream;
import io.hedgerow.provider.EmbeddingCall;
import io.hedgerow.provider.ModelListing;
import io.hedgerow.provider.ProviderCall;
import io.hedgerow.provider.ProviderClient;
import io.hedgerow.provider.ProviderException;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.random.RandomGenerator;

/**
 * An in-process provider that answers with made-up text after a simulated delay: the default config's
 * upstream (so a first run works with no keys), and a demo of hedging and failover. It sleeps on the calling
 * virtual thread, so cancellation by interrupt behaves as with a real upstream.
 *
 * <p>Time to first token is drawn from a lognormal distribution: {@code median * exp(sigma * z)} with z
 * standard normal, multiplied by {@code slow-factor} for a {@code slow-fraction} of requests. Tokens then
 * follow at {@code tokens-per-second}. Tools are called when {@code tool_choice} is {@code required} or names a
 * function; arguments are filled from the schema (strings "sim", numbers 1, booleans true).
 */
public final class SimProvider implements ProviderClient {
    static final int SIM_DIMENSIONS = 32;
    private static final String[] WORDS = ("Hedgerow routes this answer from a simulated provider so you can see "
            + "streaming hedging and fallback at work without any API keys configured yet").split(" ");

    private final ProviderConfig config;
    private final SimSettings settings;
    private final RandomGenerator random;

    public SimProvider(ProviderConfig config, RandomGenerator random) {
        this.config = config;
        this.settings = config.sim();
        this.random = random;
    }

    @Override
    public String name() {
        return config.name();
    }

    @Override
    public ChatResponse complete(ProviderCall call) throws ProviderException {
        Plan plan = plan(call);
        sleep(plan.firstToken.plus(perToken().multipliedBy(plan.tokens.size())));
        if (plan.cut) {
            throw ProviderException.of(FailureKind.BAD_RESPONSE, "simulated broken answer");
        }
        Message message = plan.toolCall.map(c -> new Message(Role.ASSISTANT, List.of(), List.of(c),
                                                             Optional.empty(), Optional.empty()))
                .orElseGet(() -> Message.text(Role.ASSISTANT, String.join("", plan.tokens)));
        return new ChatResponse(call.model(), message, plan.finishReason(), Optional.of(plan.usage()));
    }

    @Override
    public ChatStream stream(ProviderCall call) throws ProviderException {
        Plan plan = plan(call);
        return new SimStream(plan);
    }

    @Override
    public Optional<String> cannotEmbed(EmbeddingRequest request) {
        return Optional.empty();
    }

    /**
     * Vectors after a simulated delay (the first-token latency, with the same faults as chat): each a unit vector
     * drawn from a generator seeded by the model and the input, so the same input always gets the same vector, of
     * {@code dimensions} values (default {@value #SIM_DIMENSIONS}).
     */
    @Override
    public EmbeddingResponse embed(EmbeddingCall call) throws ProviderException {
        faults();
        sleep(firstTokenDelay());
        int dimensions = call.request().dimensions().orElse(SIM_DIMENSIONS);
        List<float[]> vectors = new ArrayList<>(call.request().inputs().size());
        for (EmbeddingInput input : call.request().inputs()) {
            long seed = call.model().hashCode() * 31L + switch (input) {
                case EmbeddingInput.Text text -> text.text().hashCode();
                case EmbeddingInput.Tokens tokens -> java.util.Arrays.hashCode(tokens.tokens());
            };
            java.util.SplittableRandom values = new java.util.SplittableRandom(seed);
            float[] vector = new float[dimensions];
            double norm = 0;
            for (int i = 0; i < dimensions; i++) {
                vector[i] = (float) (values.nextDouble() * 2 - 1);
                norm += vector[i] * vector[i];
            }
            for (int i = 0; i < dimensions; i++) {
                vector[i] = (float) (vector[i] / Math.sqrt(norm));
            }
            vectors.add(vector);
        }
        return new EmbeddingResponse(call.model(), vectors,
                                     Optional.of(new Usage((int) call.request().estimatedTokens(), 0)));
    }

    /**
     * Answers from its config, at once and without faults: the models declared under {@code models}, or no list
     * when none are (the simulator serves any model name).
     */
    @Override
    public ModelListing listModels(Optional<ApiKey> key, Duration timeout) {
        return config.models().isEmpty() ? ModelListing.unlisted()
                : ModelListing.of(config.models().keySet().stream().sorted().toList());
    }

    private Plan plan(ProviderCall call) throws ProviderException {
        faults();
        boolean cut = random.nextDouble() < settings.faults().cutStream();
        return planOf(call, cut);
    }

    /** The configured faults: a simulated 429 or 500, by their probabilities. */
    private void faults() throws ProviderException {
        SimSettings.Faults faults = settings.faults();
        double roll = random.nextDouble();
        if (roll < faults.rateLimited()) {
            throw new ProviderException(new Failure(FailureKind.RATE_LIMITED, 429, "simulated rate limit",
                                                    Optional.of(Duration.ofSeconds(1))));
        }
        if (roll < faults.rateLimited() + faults.serverError()) {
            throw new ProviderException(new Failure(FailureKind.SERVER_ERROR, 500, "simulated server error",
                                                    Optional.empty()));
        }
    }

    private Plan planOf(ProviderCall call, boolean cut) {
        Optional<ToolCall> toolCall = toolCall(call.request());
        List<String> tokens = new ArrayList<>();
        Optional<String> structured = toolCall.isPresent() ? Optional.empty() : structured(call.request());
        if (structured.isPresent()) {
            // A structured answer, in pieces of a few characters as a model streams one.
            String json = structured.get();
            for (int i = 0; i < json.length(); i += 8) {
                tokens.add(json.substring(i, Math.min(json.length(), i + 8)));
            }
        } else if (toolCall.isEmpty()) {
            int n = Math.max(1, settings.answerTokens());
            for (int i = 0; i < n; i++) {
                tokens.add((i == 0 ? "" : " ") + WORDS[i % WORDS.length]);
            }
        } else {
            tokens.add(toolCall.get().arguments());
        }
        int prompt = 0;
        for (Message m : call.request().messages()) {
            prompt += 4 + m.text().length() / 4;
        }
        return new Plan(firstTokenDelay(), tokens, toolCall, cut, prompt);
    }

    private Duration firstTokenDelay() {
        SimSettings.LatencyModel model = settings.firstToken();
        double millis = model.median().toNanos() / 1e6 * Math.exp(model.sigma() * random.nextGaussian());
        if (model.slowFraction() > 0 && random.nextDouble() < model.slowFraction()) {
            millis *= model.slowFactor();
        }
        return Duration.ofNanos((long) (millis * 1e6));
    }

    private Duration perToken() {
        return settings.tokensPerSecond() <= 0 ? Duration.ZERO
                : Duration.ofNanos((long) (1e9 / settings.tokensPerSecond()));
    }

    private static Optional<ToolCall> toolCall(ChatRequest request) {
        if (request.tools().isEmpty() || request.toolChoice().isEmpty()) {
            return Optional.empty();
        }
        ToolDefinition tool;
        switch (request.toolChoice().get()) {
        case ToolChoice.Required r -> tool = request.tools().getFirst();
        case ToolChoice.Function f -> tool = request.tools().stream().filter(t -> t.name().equals(f.name()))
                .findFirst().orElse(request.tools().getFirst());
        default -> {
            return Optional.empty();
        }
        }
        return Optional.of(new ToolCall("call_sim_" + Integer.toHexString(tool.name().hashCode()), tool.name(),
                                        sampleArguments(tool.parameters())));
    }

    /**
     * The answer for a request that asks for a format ({@code response_format} or {@code text.format}): a sample of
     * its schema, or {@code {"answer": "..."}} for any JSON object. Malformed formats are not the simulator's to judge.
     */
    private static Optional<String> structured(ChatRequest request) {
        try {
            return ResponseFormats.of(request).map(format -> switch (format) {
                case ResponseFormat.JsonObject o -> "{\"answer\":\"" + String.join(" ", WORDS).substring(0, 40)
                        + "\"}";
                case ResponseFormat.JsonSchema schema -> SchemaSample.json(schema.schema());
            });
        } catch (DialectException e) {
            return Optional.empty();
        }
    }

    private static String sampleArguments(Map<String, Object> schema) {
        return SchemaSample.json(schema);
    }

    private static void sleep(Duration duration) throws ProviderException {
        if (duration.isZero() || duration.isNegative()) {
            return;
        }
        try {
            Thread.sleep(duration);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw ProviderException.of(FailureKind.CANCELLED, "attempt cancelled");
        }
    }

    private record Plan(Duration firstToken, List<String> tokens, Optional<ToolCall> toolCall, boolean cut,
                        int promptTokens) {
        FinishReason finishReason() {
            return toolCall.isPresent() ? FinishReason.TOOL_CALLS : FinishReason.STOP;
        }

        Usage usage() {
            return new Usage(promptTokens, tokens.size());
        }
    }

    private final class SimStream implements ChatStream {
        private final Plan plan;
        private int position = -1;
        private volatile boolean closed;

        SimStream(Plan plan) {
            this.plan = plan;
        }

        @Override
        public Optional<StreamEvent> next() throws ProviderException {
            if (closed) {
                throw ProviderException.of(FailureKind.CANCELLED, "stream closed");
            }
            position++;
            int n = plan.tokens.size();
            if (position < n) {
                sleep(position == 0 ? plan.firstToken : perToken());
                if (closed) {
                    throw ProviderException.of(FailureKind.CANCELLED, "stream closed");
                }
                if (plan.cut && position == n / 2 && position > 0) {
                    throw ProviderException.of(FailureKind.BAD_RESPONSE, "simulated cut stream");
                }
                String token = plan.tokens.get(position);
                return Optional.of(plan.toolCall
                        .<StreamEvent>map(c -> new StreamEvent.ToolCallDelta(0, Optional.of(c.id()),
                                                                             Optional.of(c.name()), token))
                        .orElseGet(() -> new StreamEvent.TextDelta(token)));
            }
            if (position == n) {
                return Optional.of(new StreamEvent.Finished(plan.finishReason()));
            }
            if (position == n + 1) {
                return Optional.of(new StreamEvent.UsageReported(plan.usage()));
            }
            return Optional.empty();
        }

        @Override
        public void close() {
            closed = true;
        }
    }
}
