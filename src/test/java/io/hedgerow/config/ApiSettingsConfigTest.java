package io.hedgerow.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.is;

/**
 * The settings of the APIs beyond chat: embedding spaces (and the rule that a route fails over only within one),
 * embedding batch limits, {@code responses: true} and the conversation store.
 */
class ApiSettingsConfigTest {
    private static final String PROVIDERS = """
            providers:
              local:
                type: ollama
                base-url: http://127.0.0.1:11434
                models: [{name: nomic-embed-text, embedding-space: nomic-embed-text-v1.5}, {name: llama3}]
              agg:
                type: openai
                base-url: https://openrouter.ai/api/v1
                keys: [{label: main, env: AGG_KEY}]
                responses: true
                embedding-batch: {max-inputs: 96, max-tokens: 50000}
                models:
                  - {name: nomic-ai/nomic-embed-text-v1.5, embedding-space: nomic-embed-text-v1.5}
                  - {name: text-embedding-3-small, embedding-space: text-embedding-3-small}
            """;

    @TempDir
    Path dir;

    private ConfigLoader.Result load(String yaml) throws IOException {
        Path file = dir.resolve("hedgerow.yaml");
        Files.writeString(file, yaml);
        return ConfigLoader.load(file, name -> name.equals("AGG_KEY") ? Optional.of("sk-agg") : Optional.empty());
    }

    @Test
    void readsSpacesBatchesResponsesAndTheConversationStore() throws IOException {
        ConfigLoader.Result result = load(PROVIDERS + """
                routes:
                  embed: {chain: [local/nomic-embed-text, agg/nomic-ai/nomic-embed-text-v1.5]}
                  chat: {chain: [local/llama3]}
                conversations: {max-responses: 500, max-size: 4MiB, ttl: 2h}
                """);

        assertThat(result.errors(), is(empty()));
        HedgerowConfig config = result.config().orElseThrow();
        ProviderConfig agg = config.providers().get("agg");
        assertThat(agg.responses(), is(true));
        assertThat(agg.embeddingBatch(), is(new EmbeddingBatch(96, 50_000)));
        assertThat(agg.embeddingSpace("nomic-ai/nomic-embed-text-v1.5"), is(Optional.of("nomic-embed-text-v1.5")));
        ProviderConfig local = config.providers().get("local");
        assertThat(local.responses(), is(false));
        assertThat(local.embeddingBatch(), is(EmbeddingBatch.DEFAULTS));
        assertThat(local.embeddingSpace("llama3"), is(Optional.empty()));
        assertThat(config.conversations(), is(new ConversationSettings(500, 4L * 1024 * 1024, Duration.ofHours(2))));
    }

    @Test
    void aChainMixingSpacesOrLeavingOneUndeclaredIsRefused() throws IOException {
        ConfigLoader.Result result = load(PROVIDERS + """
                routes:
                  mixed: {chain: [local/nomic-embed-text, agg/text-embedding-3-small]}
                  half: {chain: [local/nomic-embed-text, local/llama3]}
                """);

        assertThat(result.errors(), hasSize(2));
        assertThat(result.errors(), hasItem("routes.mixed.chain: mixes embedding spaces: local/nomic-embed-text is "
                + "in 'nomic-embed-text-v1.5', agg/text-embedding-3-small is in 'text-embedding-3-small' (expected: "
                + "one space per route; vectors from different spaces are not comparable, so one is no fallback for "
                + "the other)"));
        assertThat(result.errors().get(1), containsString("routes.half.chain: local/llama3 declares no "
                + "embedding-space while local/nomic-embed-text is in 'nomic-embed-text-v1.5'"));
    }

    @Test
    void responsesAndEmbeddingSpacesOnlyWhereTheProviderTypeServesThem() throws IOException {
        ConfigLoader.Result result = load("""
                providers:
                  claude:
                    type: anthropic
                    base-url: https://api.anthropic.com
                    keys: [{label: main, env: AGG_KEY}]
                    responses: true
                    models: [{name: claude-x, embedding-space: nope}]
                    embedding-batch: {max-inputs: 0, max-tokens: lots}
                routes:
                  r: {chain: [claude/claude-x]}
                conversations: {max-responses: 0, ttl: forever}
                """);

        assertThat(result.errors(), hasItem(containsString("providers.claude.responses: a anthropic provider cannot "
                + "serve OpenAI's Responses API")));
        assertThat(result.errors(), hasItem(containsString("providers.claude.models[0].embedding-space: a anthropic "
                + "provider serves no embeddings")));
        assertThat(result.errors(), hasItem(containsString("providers.claude.embedding-batch.max-inputs")));
        assertThat(result.errors(), hasItem(containsString("providers.claude.embedding-batch.max-tokens")));
        assertThat(result.errors(), hasItem(containsString("conversations.max-responses")));
        assertThat(result.errors(), hasItem(containsString("conversations.ttl")));
    }
}
