package io.hedgerow.provider.bedrock;

import software.amazon.awssdk.http.ContentStreamProvider;
import software.amazon.awssdk.http.SdkHttpMethod;
import software.amazon.awssdk.http.SdkHttpRequest;
import software.amazon.awssdk.http.auth.aws.signer.AwsV4HttpSigner;
import software.amazon.awssdk.http.auth.spi.signer.HttpSigner;
import software.amazon.awssdk.http.auth.spi.signer.SignedRequest;
import software.amazon.awssdk.identity.spi.AwsCredentialsIdentity;

import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Signs one request with AWS Signature Version 4, using the AWS SDK's {@link AwsV4HttpSigner} (never a signer of our
 * own): the signer computes the canonical request, the string to sign and the signature, and returns the headers to
 * send ({@code Authorization}, {@code X-Amz-Date}, {@code x-amz-content-sha256} (the SDK always signs the body's hash),
 * {@code X-Amz-Security-Token} for temporary credentials, and the {@code Host} it signed). The request is sent by Hedgerow's own HTTP client, so the {@code Host} signed is the one
 * sent: {@code host}, or {@code host:port} when the port is not the scheme's default.
 *
 * <p>Thread-safe: the SDK's signer is stateless; the clock is injected so tests can sign at a fixed instant.
 */
final class SigV4 {
    /** Bedrock's signing name, for the runtime and the control plane alike. */
    static final String SERVICE = "bedrock";

    private final AwsV4HttpSigner signer = AwsV4HttpSigner.create();
    private final String service;
    private final String region;
    private final Clock clock;

    SigV4(String service, String region, Clock clock) {
        this.service = Objects.requireNonNull(service, "service");
        this.region = Objects.requireNonNull(region, "region");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /**
     * The headers that authenticate {@code method uri} with {@code body}: send all of them, unchanged.
     *
     * @param uri     the request's URI as sent: its raw (percent-encoded) path and query
     * @param headers further headers to sign (their names and values must be sent as given)
     */
    Map<String, String> sign(String method, URI uri, Map<String, String> headers, byte[] body,
                             AwsCredentialsIdentity credentials) {
        SdkHttpRequest.Builder request = SdkHttpRequest.builder()
                .method(SdkHttpMethod.fromValue(method))
                .protocol(uri.getScheme())
                .host(uri.getHost())
                .port(uri.getPort())
                .encodedPath(uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath())
                .putHeader("Host", hostHeader(uri));
        headers.forEach(request::putHeader);
        if (uri.getRawQuery() != null) {
            for (String pair : uri.getRawQuery().split("&")) {
                int eq = pair.indexOf('=');
                String name = eq < 0 ? pair : pair.substring(0, eq);
                String value = eq < 0 ? "" : pair.substring(eq + 1);
                request.appendRawQueryParameter(URLDecoder.decode(name, StandardCharsets.UTF_8),
                                                URLDecoder.decode(value, StandardCharsets.UTF_8));
            }
        }
        SignedRequest signed = signer.sign(r -> r
                .identity(credentials)
                .request(request.build())
                .payload(ContentStreamProvider.fromByteArrayUnsafe(body))
                .putProperty(AwsV4HttpSigner.SERVICE_SIGNING_NAME, service)
                .putProperty(AwsV4HttpSigner.REGION_NAME, region)
                .putProperty(HttpSigner.SIGNING_CLOCK, clock));
        Map<String, String> out = new LinkedHashMap<>();
        for (Map.Entry<String, List<String>> header : signed.request().headers().entrySet()) {
            out.put(header.getKey(), String.join(",", header.getValue()));
        }
        return out;
    }

    /** The {@code Host} header for a URI, as SigV4 signs it: no port when it is the scheme's default. */
    static String hostHeader(URI uri) {
        int port = uri.getPort();
        boolean standard = port < 0 || port == 443 && "https".equalsIgnoreCase(uri.getScheme())
                || port == 80 && "http".equalsIgnoreCase(uri.getScheme());
        return standard ? uri.getHost() : uri.getHost() + ":" + port;
    }
}
