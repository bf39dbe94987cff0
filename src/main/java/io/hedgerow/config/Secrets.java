package io.hedgerow.config;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Resolves credentials written in the config file: {@code "${ENV_VAR}"}, {@code {label, env: VAR}},
 * {@code {label, file: /run/secrets/x}}, or a literal ({@code {value: ...}} or a bare string), which works but is
 * warned about. Problems name the variable or file, never a value. The environment is injected (tests pass a map).
 */
final class Secrets {
    static final Keys KEY = Keys.of("providers.NAME.keys[i]", "label", "env", "file", "value");
    private static final Pattern ENV_REF = Pattern.compile("\\$\\{([A-Za-z_][A-Za-z0-9_]*)}");

    private final Function<String, Optional<String>> env;

    /** An environment variable, for the few settings OpenTelemetry's conventions let the environment give. */
    Optional<String> env(String name) {
        return env.apply(name).map(String::trim).filter(v -> !v.isEmpty());
    }

    Secrets(Function<String, Optional<String>> env) {
        this.env = Objects.requireNonNull(env, "env");
    }

    /** A resolved credential and where it came from ({@code env:VAR}, {@code file:PATH} or {@code literal}). */
    record Resolved(ApiKey key, String source) {
    }

    /**
     * One credential. {@code defaultLabel} names an unlabelled key; empty: {@code key-} + 8 hex digits of its
     * SHA-256.
     */
    Optional<Resolved> resolve(ConfigNode entry, Optional<String> defaultLabel) {
        if (!entry.exists()) {
            return Optional.empty();
        }
        if (entry.isScalar()) {
            String raw = entry.text().orElse("");
            Matcher m = ENV_REF.matcher(raw.trim());
            if (m.matches()) {
                return fromEnv(m.group(1), defaultLabel, entry);
            } else if (raw.contains("${")) {
                entry.error("malformed reference (expected: ${ENV_VAR_NAME})");
            } else if (!raw.isBlank()) {
                entry.warn("a literal key in the config file (prefer \"${ENV_VAR}\" or file:)");
                return Optional.of(new Resolved(key(defaultLabel, raw.trim()), "literal"));
            } else {
                entry.error("empty key");
            }
            return Optional.empty();
        }
        entry.check(KEY);
        Optional<String> label = entry.get("label").text().or(() -> defaultLabel);
        Optional<String> envName = entry.get("env").text();
        Optional<String> file = entry.get("file").text();
        Optional<String> value = entry.get("value").text();
        int sources = (envName.isPresent() ? 1 : 0) + (file.isPresent() ? 1 : 0) + (value.isPresent() ? 1 : 0);
        if (sources != 1) {
            entry.error("needs exactly one of env, file or value");
            return Optional.empty();
        }
        if (envName.isPresent()) {
            return fromEnv(envName.get(), label, entry);
        } else if (file.isPresent()) {
            return fromFile(Path.of(file.get()), label, entry);
        }
        entry.get("value").warn("a literal key in the config file (prefer env: or file:)");
        return Optional.of(new Resolved(key(label, value.get()), "literal"));
    }

    private Optional<Resolved> fromEnv(String name, Optional<String> label, ConfigNode at) {
        Optional<String> value = env.apply(name).map(String::trim).filter(v -> !v.isEmpty());
        if (value.isEmpty()) {
            at.error("environment variable " + name + " is not set");
            return Optional.empty();
        }
        return Optional.of(new Resolved(key(label, value.get()), "env:" + name));
    }

    private static Optional<Resolved> fromFile(Path file, Optional<String> label, ConfigNode at) {
        try {
            String value = Files.readString(file, StandardCharsets.UTF_8).trim();
            if (value.isEmpty()) {
                at.error("key file '" + file + "' is empty");
                return Optional.empty();
            }
            return Optional.of(new Resolved(key(label, value), "file:" + file));
        } catch (IOException e) {
            at.error("cannot read key file '" + file + "' (" + e.getClass().getSimpleName() + ")");
            return Optional.empty();
        }
    }

    private static ApiKey key(Optional<String> label, String value) {
        return label.map(l -> ApiKey.of(l, value)).orElseGet(() -> ApiKey.unlabelled(value));
    }
}
