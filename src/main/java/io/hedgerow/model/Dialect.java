package io.hedgerow.model;

/**
 * A wire dialect: how requests, answers and streams are written on one side of the router. A client speaks one
 * (the inbound API it called), a provider another; when they are the same, what the client wrote can go upstream as
 * written and what the upstream produced can come back as produced.
 */
public enum Dialect {
    /** OpenAI Chat Completions ({@code /v1/chat/completions}), spoken by every OpenAI-compatible provider. */
    OPENAI,
    /** Anthropic Messages ({@code /v1/messages}). */
    ANTHROPIC,
    /** Ollama's native chat API ({@code /api/chat}); no client speaks it to Hedgerow. */
    OLLAMA,
    /**
     * OpenAI's Responses API ({@code /v1/responses}), spoken by OpenAI and by OpenAI-compatible providers configured
     * with {@code responses: true}; the others get such a request translated to their own dialect.
     */
    OPENAI_RESPONSES
}
