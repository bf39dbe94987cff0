package io.hedgerow.config;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Optional;

/**
 * A short hash that tells configs apart, shown per replica on {@code /status} and as a metric so that a half-rolled
 * change is visible: the first 12 hex digits of the SHA-256 of the config file's bytes (what {@code sha256sum} prints),
 * so replicas started with {@code --port} or different environments but one file agree. A config built in code has no
 * file: its hash is that of its description, in which keys appear by label only.
 */
public final class ConfigHash {
    private ConfigHash() {
    }

    public static String of(Optional<Path> file, HedgerowConfig config) {
        if (file.isPresent()) {
            try {
                return hash(Files.readAllBytes(file.get()));
            } catch (IOException e) {
                // unreadable now: fall back to the config as loaded
            }
        }
        return hash(config.toString().getBytes(StandardCharsets.UTF_8));
    }

    private static String hash(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes)).substring(0, 12);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required by every JDK", e);
        }
    }
}
