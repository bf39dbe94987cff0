package io.hedgerow.config;

import java.util.Locale;
import java.util.Optional;

/** The wire formats Hedgerow speaks to upstreams. */
public enum ProviderType {
    /** Any OpenAI-compatible chat completions API (OpenAI, DeepSeek, OpenRouter, Kimi, Groq, vLLM...). */
    OPENAI(true, true),
    /** Anthropic's Messages API. */
    ANTHROPIC(true, true),
    /** Ollama's {@code /api/chat}. */
    OLLAMA(false, true),
    /** AWS Bedrock's Converse API: a Bedrock API key (bearer) or SigV4 from the standard AWS credentials. */
    BEDROCK(false, false),
    /** The in-process simulator. */
    SIM(false, false);

    private final boolean needsKey;
    private final boolean needsBaseUrl;

    ProviderType(boolean needsKey, boolean needsBaseUrl) {
        this.needsKey = needsKey;
        this.needsBaseUrl = needsBaseUrl;
    }

    /** Whether a provider of this type is unusable without at least one key. */
    public boolean needsKey() {
        return needsKey;
    }

    public boolean needsBaseUrl() {
        return needsBaseUrl;
    }

    /** Whether it serves embeddings (OpenAI's {@code /embeddings}, Ollama's {@code /api/embed}, the simulator). */
    public boolean servesEmbeddings() {
        return this == OPENAI || this == OLLAMA || this == SIM;
    }

    public String configName() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Optional<ProviderType> fromConfig(String name) {
        for (ProviderType type : values()) {
            if (type.configName().equals(name)) {
                return Optional.of(type);
            }
        }
        return Optional.empty();
    }
}
