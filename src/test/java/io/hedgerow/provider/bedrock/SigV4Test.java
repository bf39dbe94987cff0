package io.hedgerow.provider.bedrock;

import io.hedgerow.fakes.SigV4Verifier;

import org.junit.jupiter.api.Test;

import software.amazon.awssdk.identity.spi.AwsCredentialsIdentity;
import software.amazon.awssdk.identity.spi.AwsSessionCredentialsIdentity;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.not;

/**
 * Signing against AWS's published Signature Version 4 test suite ({@code aws-sig-v4-test-suite}: credentials
 * {@code AKIDEXAMPLE}, region {@code us-east-1}, service {@code service}, signed at 2015-08-30T12:36:00Z).
 *
 * <p>The AWS SDK's signer always signs the body's hash ({@code x-amz-content-sha256}), as the suite's
 * {@code post-x-www-form-urlencoded} cases do: for those our {@code Authorization} must equal the suite's exactly. The
 * suite's other cases sign without that header; for them the fakes' independent verifier must accept the suite's own
 * signed requests (and refuse them tampered with), and must accept what we sign for the same requests, so our
 * signatures are checked by an implementation proven on the published data.
 */
class SigV4Test {
    private static final Instant SIGNED_AT = Instant.parse("2015-08-30T12:36:00Z");
    private static final String SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
    private static final String TOKEN = "6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267";
    private static final AwsCredentialsIdentity CREDENTIALS = AwsCredentialsIdentity.create("AKIDEXAMPLE", SECRET);
    private static final String SCOPE = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request";
    private final SigV4 signer = new SigV4("service", "us-east-1", Clock.fixed(SIGNED_AT, ZoneOffset.UTC));

    @Test
    void postFormUrlEncodedMatchesTheSuite() {
        Map<String, String> headers = signForm("application/x-www-form-urlencoded");
        assertThat(headers.get("Authorization"), is(SCOPE
                + ", SignedHeaders=content-length;content-type;host;x-amz-content-sha256;x-amz-date, "
                + "Signature=d3875051da38690788ef43de4db0d8f280229d82040bfac253562e56c3f20e0b"));
        assertThat(headers.get("X-Amz-Date"), is("20150830T123600Z"));
        assertThat(verify("POST", "/", "", headers, "Param1=value1", Optional.empty()), is(Optional.empty()));
    }

    @Test
    void postFormUrlEncodedParametersMatchesTheSuite() {
        Map<String, String> headers = signForm("application/x-www-form-urlencoded; charset=utf-8");
        assertThat(headers.get("Authorization"), is(SCOPE
                + ", SignedHeaders=content-length;content-type;host;x-amz-content-sha256;x-amz-date, "
                + "Signature=328d1b9eaadca9f5818ef05e8392801e091653bafec24fcab71e7344e7f51422"));
    }

    @Test
    void theVerifierAcceptsTheSuitesSignedRequests() {
        assertThat(verify("GET", "/", "", suite("host;x-amz-date",
                "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"), "", Optional.empty()),
                   is(Optional.empty()));
        assertThat(verify("GET", "/", "Param2=value2&Param1=value1", suite("host;x-amz-date",
                "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"), "", Optional.empty()),
                   is(Optional.empty()));
        assertThat(verify("POST", "/", "", suite("host;x-amz-date",
                "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"), "", Optional.empty()),
                   is(Optional.empty()));
        Map<String, String> withToken = suite("host;x-amz-date;x-amz-security-token",
                                              "07ec1639c89043aa0e3e2de82b96708f198cceab042d4a97044c66dd9f74e7f8");
        withToken.put("X-Amz-Security-Token", TOKEN);
        assertThat(verify("GET", "/", "", withToken, "", Optional.of(TOKEN)), is(Optional.empty()));
    }

    @Test
    void theVerifierRefusesTamperedRequests() {
        Map<String, String> vanilla = suite("host;x-amz-date",
                                            "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b");
        assertThat(verify("POST", "/", "", vanilla, "a body that was not signed", Optional.empty()),
                   is(not(Optional.empty())));
        assertThat(verify("POST", "/other", "", vanilla, "", Optional.empty()), is(not(Optional.empty())));
        assertThat(verify("GET", "/", "", vanilla, "", Optional.empty()), is(not(Optional.empty())));
    }

    @Test
    void whatWeSignForTheSuitesRequestsVerifies() {
        Map<String, String> get = sign("GET", "https://example.amazonaws.com/", Map.of(), "", CREDENTIALS);
        assertThat(get.get("Authorization").startsWith(SCOPE + ", SignedHeaders=host;x-amz-content-sha256;x-amz-date,"),
                   is(true));
        assertThat(get.get("Host"), is("example.amazonaws.com"));
        assertThat(verify("GET", "/", "", get, "", Optional.empty()), is(Optional.empty()));

        Map<String, String> query = sign("GET", "https://example.amazonaws.com/?Param2=value2&Param1=value1",
                                         Map.of(), "", CREDENTIALS);
        assertThat(verify("GET", "/", "Param2=value2&Param1=value1", query, "", Optional.empty()),
                   is(Optional.empty()));

        Map<String, String> post = sign("POST", "https://example.amazonaws.com/model/a%3Ab/converse", Map.of(),
                                        "{\"messages\":[]}", CREDENTIALS);
        assertThat(verify("POST", "/model/a%3Ab/converse", "", post, "{\"messages\":[]}", Optional.empty()),
                   is(Optional.empty()));

        Map<String, String> session = sign("GET", "https://example.amazonaws.com/", Map.of(), "",
                                           AwsSessionCredentialsIdentity.create("AKIDEXAMPLE", SECRET, TOKEN));
        assertThat(session.get("X-Amz-Security-Token"), is(TOKEN));
        assertThat(verify("GET", "/", "", session, "", Optional.of(TOKEN)), is(Optional.empty()));
    }

    @Test
    void aNonDefaultPortIsPartOfTheSignedHost() {
        assertThat(SigV4.hostHeader(URI.create("http://127.0.0.1:8123/x")), is("127.0.0.1:8123"));
        assertThat(SigV4.hostHeader(URI.create("https://bedrock.us-east-1.amazonaws.com:443/x")),
                   is("bedrock.us-east-1.amazonaws.com"));
    }

    private Map<String, String> signForm(String contentType) {
        Map<String, String> extra = new LinkedHashMap<>();
        extra.put("Content-Type", contentType);
        extra.put("Content-Length", "13");
        return sign("POST", "https://example.amazonaws.com/", extra, "Param1=value1", CREDENTIALS);
    }

    private Map<String, String> sign(String method, String uri, Map<String, String> extra, String body,
                                     AwsCredentialsIdentity credentials) {
        return signer.sign(method, URI.create(uri), extra, body.getBytes(StandardCharsets.UTF_8), credentials);
    }

    /** A request signed by the suite: its Host, X-Amz-Date and Authorization. */
    private static Map<String, String> suite(String signedHeaders, String signature) {
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("Host", "example.amazonaws.com");
        headers.put("X-Amz-Date", "20150830T123600Z");
        headers.put("Authorization", SCOPE + ", SignedHeaders=" + signedHeaders + ", Signature=" + signature);
        return headers;
    }

    private static Optional<String> verify(String method, String path, String query, Map<String, String> headers,
                                           String body, Optional<String> token) {
        Map<String, String> byName = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        byName.putAll(headers);
        SigV4Verifier verifier = new SigV4Verifier("AKIDEXAMPLE", SECRET, token, "us-east-1", "service");
        return verifier.problem(method, path, query, name -> Optional.ofNullable(byName.get(name)),
                                body.getBytes(StandardCharsets.UTF_8), SIGNED_AT);
    }
}
