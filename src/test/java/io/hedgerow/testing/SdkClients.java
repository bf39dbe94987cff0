package io.hedgerow.testing;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;

import java.time.Duration;

/** The official SDKs as test clients of a router on a port: no retries of their own, so each call is one request. */
public final class SdkClients {
    private SdkClients() {
    }

    /** The OpenAI Java SDK pointed at {@code http://127.0.0.1:port/v1}. */
    public static OpenAIClient openAi(int port) {
        return OpenAIOkHttpClient.builder()
                .baseUrl("http://127.0.0.1:" + port + "/v1")
                .apiKey("test")
                .maxRetries(0)
                .timeout(Duration.ofSeconds(15))
                .build();
    }
}
