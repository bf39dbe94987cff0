package io.hedgerow.dialect.anthropic;

import io.hedgerow.dialect.InvalidRequestException;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The request headers of Anthropic's dialect a client may have sent for its provider: {@code anthropic-version}
 * (checked, then forwarded) and {@code anthropic-beta}, whose features are forwarded only when on the allow-list.
 *
 * <p>The allow-list names feature families (the part before the date, e.g. {@code interleaved-thinking} for
 * {@code interleaved-thinking-2025-05-14}): features that change what a request may contain or how an answer is
 * streamed. Left out on purpose: {@code oauth} (it concerns the credential, which is the router's, not the client's)
 * and anything unknown, which is dropped and reported in {@code x-hedgerow-dropped-betas} rather than sent blind.
 */
public final class AnthropicHeaders {
    public static final String VERSION = "anthropic-version";
    public static final String BETA = "anthropic-beta";
    private static final Pattern VERSION_VALUE = Pattern.compile("\\d{4}-\\d{2}-\\d{2}");
    private static final Pattern BETA_VALUE = Pattern.compile("([a-z0-9]+(?:-[a-z0-9]+)*?)-(\\d{4}-?\\d{2}-?\\d{2})");
    private static final Set<String> ALLOWED_BETAS = Set.of(
            "interleaved-thinking", "fine-grained-tool-streaming", "token-efficient-tools", "prompt-caching",
            "extended-cache-ttl", "context-1m", "context-management", "output-128k", "pdfs", "computer-use",
            "code-execution", "web-fetch", "web-search", "files-api", "mcp-client", "search-results",
            "model-context-window-exceeded", "structured-outputs", "effort", "advanced-tool-use", "skills",
            "claude-code", "dev-full-thinking", "token-counting", "message-batches", "tool-examples");
    private static final int MAX_BETAS = 32;

    private AnthropicHeaders() {
    }

    /** The beta families forwarded (docs/anthropic.md lists them; a test keeps the two the same). */
    static Set<String> allowedBetaFamilies() {
        return ALLOWED_BETAS;
    }

    /**
     * What is kept of the client's Anthropic headers.
     *
     * @param forwarded lower-case header name to value, for a provider speaking Anthropic
     * @param dropped   beta features not forwarded
     */
    public record Kept(Map<String, String> forwarded, List<String> dropped) {
    }

    /**
     * Checks and filters the client's headers.
     *
     * @param version the {@code anthropic-version} value, if sent
     * @param betas   every {@code anthropic-beta} value sent (each may list several, comma-separated)
     */
    public static Kept read(Optional<String> version, List<String> betas) throws InvalidRequestException {
        Map<String, String> forwarded = new LinkedHashMap<>();
        if (version.isPresent()) {
            String value = version.get().trim();
            if (!VERSION_VALUE.matcher(value).matches()) {
                throw new InvalidRequestException(VERSION + ": '" + shown(value) + "' (expected: a date such as "
                                                          + "2023-06-01)", VERSION);
            }
            forwarded.put(VERSION, value);
        }
        List<String> kept = new ArrayList<>();
        List<String> dropped = new ArrayList<>();
        for (String header : betas) {
            for (String item : header.split(",")) {
                String beta = item.trim().toLowerCase(Locale.ROOT);
                if (beta.isEmpty()) {
                    continue;
                }
                var match = BETA_VALUE.matcher(beta);
                if (beta.length() > 64 || !match.matches()) {
                    throw new InvalidRequestException(BETA + ": '" + shown(beta) + "' (expected: feature names such "
                                                              + "as interleaved-thinking-2025-05-14)", BETA);
                }
                (ALLOWED_BETAS.contains(match.group(1)) ? kept : dropped).add(beta);
                if (kept.size() + dropped.size() > MAX_BETAS) {
                    throw new InvalidRequestException(BETA + ": more than " + MAX_BETAS + " features", BETA);
                }
            }
        }
        if (!kept.isEmpty()) {
            forwarded.put(BETA, String.join(",", kept));
        }
        return new Kept(forwarded, dropped);
    }

    private static String shown(String value) {
        return value.length() <= 40 ? value : value.substring(0, 40) + "...";
    }
}
