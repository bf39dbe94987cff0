package io.hedgerow.dialect.anthropic;

import io.hedgerow.dialect.InvalidRequestException;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class AnthropicHeadersTest {

    @Test
    void allowListedBetasGoOnOthersAreDroppedAndTheVersionIsChecked() throws Exception {
        AnthropicHeaders.Kept kept = AnthropicHeaders.read(Optional.of("2023-06-01"), List.of(
                "interleaved-thinking-2025-05-14, oauth-2025-04-20", "context-1m-2025-08-07,brand-new-2030-01-01"));
        assertEquals(Map.of("anthropic-version", "2023-06-01",
                            "anthropic-beta", "interleaved-thinking-2025-05-14,context-1m-2025-08-07"),
                     kept.forwarded());
        assertEquals(List.of("oauth-2025-04-20", "brand-new-2030-01-01"), kept.dropped());
        assertEquals(Map.of(), AnthropicHeaders.read(Optional.empty(), List.of()).forwarded());
    }

    @Test
    void malformedValuesAreRefusedWithTheHeaderNamed() {
        assertEquals("anthropic-version: 'latest' (expected: a date such as 2023-06-01)", assertThrows(
                InvalidRequestException.class, () -> AnthropicHeaders.read(Optional.of("latest"), List.of()))
                .getMessage());
        assertThrows(InvalidRequestException.class,
                     () -> AnthropicHeaders.read(Optional.empty(), List.of("x\u0000y-2025-01-01")));
        assertThrows(InvalidRequestException.class,
                     () -> AnthropicHeaders.read(Optional.empty(), List.of("no-date-here")));
    }

    @Test
    void theDocsListTheAllowListAsItIs() throws Exception {
        String doc = java.nio.file.Files.readString(java.nio.file.Path.of("docs/anthropic.md"));
        int from = doc.indexOf("allow-list (");
        String list = doc.substring(from, doc.indexOf(')', from));
        java.util.Set<String> documented = new java.util.TreeSet<>();
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("`([a-z0-9-]+)`").matcher(list);
        while (m.find()) {
            documented.add(m.group(1));
        }
        assertEquals(new java.util.TreeSet<>(AnthropicHeaders.allowedBetaFamilies()), documented);
    }
}
