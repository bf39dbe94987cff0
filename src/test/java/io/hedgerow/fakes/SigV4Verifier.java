package io.hedgerow.fakes;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Checks an AWS Signature Version 4 the way AWS does, written here from the published algorithm (independently of
 * the AWS SDK that Hedgerow signs with): rebuild the canonical request from what arrived (method, the path encoded
 * once more as for every service but S3, the sorted query, the headers the signature names, the body's SHA-256), the
 * string to sign with the scope, the key derived from the secret, and compare signatures. Also checks the scope's
 * region and service, the access key, the session token when the credentials have one, and the clock skew.
 */
public final class SigV4Verifier {
    private static final Pattern AUTHORIZATION = Pattern.compile(
            "AWS4-HMAC-SHA256 Credential=([^/]+)/(\\d{8})/([^/]+)/([^/]+)/aws4_request, "
                    + "SignedHeaders=([^,]+), Signature=([0-9a-f]{64})");
    private static final DateTimeFormatter AMZ_DATE = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'")
            .withZone(ZoneOffset.UTC);

    private final String accessKey;
    private final String secretKey;
    private final Optional<String> sessionToken;
    private final String region;
    private final String service;

    public SigV4Verifier(String accessKey, String secretKey, Optional<String> sessionToken, String region,
                         String service) {
        this.accessKey = accessKey;
        this.secretKey = secretKey;
        this.sessionToken = sessionToken;
        this.region = region;
        this.service = service;
    }

    /**
     * Why a request's signature is not valid, or empty when it is.
     *
     * @param rawPath  the path as it arrived, percent-encoded
     * @param rawQuery the query as it arrived (without {@code ?}), or empty
     * @param header   header lookup by name (any case)
     * @param now      the server's clock, for the skew check (AWS allows 5 minutes)
     */
    public Optional<String> problem(String method, String rawPath, String rawQuery,
                                    Function<String, Optional<String>> header, byte[] body, Instant now) {
        Optional<String> authorization = header.apply("Authorization");
        if (authorization.isEmpty()) {
            return Optional.of("no Authorization header");
        }
        Matcher m = AUTHORIZATION.matcher(authorization.get());
        if (!m.matches()) {
            return Optional.of("Authorization is not a SigV4 header");
        }
        if (!m.group(1).equals(accessKey)) {
            return Optional.of("unknown access key " + m.group(1));
        }
        if (!m.group(3).equals(region) || !m.group(4).equals(service)) {
            return Optional.of("scope names " + m.group(3) + "/" + m.group(4) + ", expected " + region + "/" + service);
        }
        List<String> signed = List.of(m.group(5).split(";"));
        if (!signed.contains("host") || !signed.contains("x-amz-date")) {
            return Optional.of("host and x-amz-date must be signed: " + signed);
        }
        if (sessionToken.isPresent() && (!signed.contains("x-amz-security-token")
                || !header.apply("X-Amz-Security-Token").equals(sessionToken))) {
            return Optional.of("session token missing or not signed");
        }
        String amzDate = header.apply("X-Amz-Date").orElse("");
        Instant signedAt;
        try {
            signedAt = Instant.from(AMZ_DATE.parse(amzDate));
        } catch (RuntimeException e) {
            return Optional.of("bad X-Amz-Date " + amzDate);
        }
        if (!amzDate.startsWith(m.group(2))) {
            return Optional.of("scope date differs from X-Amz-Date");
        }
        if (Duration.between(signedAt, now).abs().compareTo(Duration.ofMinutes(5)) > 0) {
            return Optional.of("signed at " + amzDate + ", too far from now");
        }
        String bodyHash = hex(sha256(body));
        Optional<String> declared = header.apply("x-amz-content-sha256");
        if (declared.isPresent() && !declared.get().equals(bodyHash)) {
            return Optional.of("x-amz-content-sha256 does not match the body");
        }
        StringBuilder canonicalHeaders = new StringBuilder();
        for (String name : signed) {
            Optional<String> value = header.apply(name);
            if (value.isEmpty()) {
                return Optional.of("signed header " + name + " was not sent");
            }
            canonicalHeaders.append(name).append(':').append(value.get().trim().replaceAll(" +", " ")).append('\n');
        }
        String canonical = method + "\n" + encodePath(rawPath) + "\n" + canonicalQuery(rawQuery) + "\n"
                + canonicalHeaders + "\n" + m.group(5) + "\n" + bodyHash;
        String scope = m.group(2) + "/" + region + "/" + service + "/aws4_request";
        String toSign = "AWS4-HMAC-SHA256\n" + amzDate + "\n" + scope + "\n"
                + hex(sha256(canonical.getBytes(StandardCharsets.UTF_8)));
        byte[] key = hmac(("AWS4" + secretKey).getBytes(StandardCharsets.UTF_8), m.group(2));
        key = hmac(key, region);
        key = hmac(key, service);
        key = hmac(key, "aws4_request");
        String expected = hex(hmac(key, toSign));
        return expected.equals(m.group(6)) ? Optional.empty()
                : Optional.of("signature does not match; canonical request was:\n" + canonical);
    }

    /** Each segment of the received (encoded) path encoded once more, as SigV4 does for every service but S3. */
    private static String encodePath(String rawPath) {
        if (rawPath.isEmpty()) {
            return "/";
        }
        StringBuilder out = new StringBuilder();
        for (char c : rawPath.toCharArray()) {
            out.append(c == '/' ? "/" : encode(String.valueOf(c)));
        }
        return out.toString();
    }

    private static String canonicalQuery(String rawQuery) {
        if (rawQuery == null || rawQuery.isEmpty()) {
            return "";
        }
        TreeMap<String, List<String>> params = new TreeMap<>();
        for (String pair : rawQuery.split("&")) {
            int eq = pair.indexOf('=');
            String name = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
            String value = URLDecoder.decode(eq < 0 ? "" : pair.substring(eq + 1), StandardCharsets.UTF_8);
            params.computeIfAbsent(encode(name), k -> new ArrayList<>()).add(encode(value));
        }
        List<String> parts = new ArrayList<>();
        for (Map.Entry<String, List<String>> e : params.entrySet()) {
            e.getValue().stream().sorted().forEach(v -> parts.add(e.getKey() + "=" + v));
        }
        return String.join("&", parts);
    }

    /** RFC 3986 percent-encoding of everything but the unreserved characters. */
    private static String encode(String s) {
        StringBuilder out = new StringBuilder();
        for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
            char c = (char) (b & 0xff);
            if (Character.isLetterOrDigit(c) && c < 128 || "-_.~".indexOf(c) >= 0) {
                out.append(c);
            } else {
                out.append('%').append(String.format(Locale.ROOT, "%02X", b & 0xff));
            }
        }
        return out.toString();
    }

    private static byte[] sha256(byte[] data) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(data);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static byte[] hmac(byte[] key, String data) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return mac.doFinal(data.getBytes(StandardCharsets.UTF_8));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String hex(byte[] bytes) {
        return HexFormat.of().formatHex(bytes);
    }
}
