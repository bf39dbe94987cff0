package io.hedgerow.config;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Binds what a {@code type: bedrock} provider adds to the common keys: {@code region} (required), {@code auth}
 * ({@code api-key} or {@code sigv4}; by default {@code api-key} when the provider has keys, else {@code sigv4}),
 * {@code aws-profile} (SigV4 only: a named profile of the AWS config files) and {@code control-url} (where live checks
 * list models; by default the region's control plane, or {@code base-url} when that is set). The same keys on another
 * type are an error, so a misplaced one is not silently ignored.
 */
final class BedrockBinder {
    static final List<String> KEYS = List.of("region", "auth", "aws-profile", "control-url");

    private BedrockBinder() {
    }

    static Optional<BedrockSettings> bind(ConfigNode node, ProviderType type, boolean hasKeys) {
        if (type != ProviderType.BEDROCK) {
            for (String key : KEYS) {
                if (node.get(key).exists()) {
                    node.get(key).error("only for type: bedrock");
                }
            }
            return Optional.empty();
        }
        ConfigNode regionNode = node.get("region");
        Optional<String> region = regionNode.text();
        if (region.isEmpty()) {
            regionNode.error("missing (a bedrock provider needs its AWS region, e.g. us-east-1)");
        } else if (!BedrockSettings.REGION.matcher(region.get()).matches()) {
            regionNode.error("'" + region.get() + "' (expected: an AWS region such as us-east-1)");
        }
        BedrockSettings.Auth auth = node.get("auth").choice(
                Map.of("api-key", BedrockSettings.Auth.API_KEY, "sigv4", BedrockSettings.Auth.SIGV4),
                "api-key or sigv4").orElse(hasKeys ? BedrockSettings.Auth.API_KEY : BedrockSettings.Auth.SIGV4);
        if (auth == BedrockSettings.Auth.API_KEY && !hasKeys) {
            node.get("keys").error("none configured (auth: api-key needs a Bedrock API key, e.g. "
                    + "keys: [\"${AWS_BEARER_TOKEN_BEDROCK}\"])");
        }
        if (auth == BedrockSettings.Auth.SIGV4 && hasKeys) {
            node.get("keys").error("not used with auth: sigv4 (credentials come from the AWS credential chain)");
        }
        Optional<String> profile = node.get("aws-profile").text();
        if (profile.isPresent() && auth != BedrockSettings.Auth.SIGV4) {
            node.get("aws-profile").error("only with auth: sigv4");
        }
        return Optional.of(new BedrockSettings(region.orElse("us-east-1"), auth, profile,
                                               node.get("control-url").url()));
    }
}
