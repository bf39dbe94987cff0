package io.hedgerow.config;

import java.net.URI;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * What a {@code type: bedrock} provider needs beyond the common settings.
 *
 * @param region     the AWS region, e.g. {@code us-east-1}: it names the endpoints and is part of every signature
 * @param auth       {@code api-key} (a Bedrock API key as a bearer token, from the provider's {@code keys}) or
 *                   {@code sigv4} (AWS credentials from the standard sources, each request signed)
 * @param profile    the AWS profile to take credentials from ({@code sigv4}); empty for the default chain
 * @param controlUrl the control-plane endpoint (model lists, for live checks); empty for the region's own, or the
 *                   provider's {@code base-url} when one is configured (a VPC endpoint, a test fake)
 */
public record BedrockSettings(String region, Auth auth, Optional<String> profile, Optional<URI> controlUrl) {
    /** What AWS region names look like: {@code us-east-1}, {@code eu-central-2}, {@code us-gov-west-1}. */
    public static final Pattern REGION = Pattern.compile("[a-z]{2}(-[a-z]+)+-\\d");

    /** How requests prove who sends them. */
    public enum Auth {
        /** {@code Authorization: Bearer <Bedrock API key>}. */
        API_KEY,
        /** AWS Signature Version 4 with credentials from the standard AWS sources. */
        SIGV4;

        public String configName() {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
        }
    }

    public BedrockSettings {
        Objects.requireNonNull(region, "region");
        Objects.requireNonNull(auth, "auth");
        Objects.requireNonNull(profile, "profile");
        Objects.requireNonNull(controlUrl, "controlUrl");
    }

    /** The runtime endpoint (Converse, ConverseStream) of the region. */
    public URI runtimeUrl() {
        return URI.create("https://bedrock-runtime." + region + ".amazonaws.com");
    }

    /** The control-plane endpoint: the configured one, else {@code base-url} when given, else the region's. */
    public URI controlUrl(Optional<URI> baseUrl) {
        return controlUrl.or(() -> baseUrl).orElseGet(() -> URI.create("https://bedrock." + region + ".amazonaws.com"));
    }
}
