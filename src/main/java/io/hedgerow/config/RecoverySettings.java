package io.hedgerow.config;

import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * What a route does when a stream breaks after its first tokens reached the client.
 *
 * @param mode           how the answer may be finished on another candidate
 * @param maxResumptions how many times one answer may be resumed
 */
public record RecoverySettings(Mode mode, int maxResumptions) {
    public static final RecoverySettings DEFAULTS = new RecoverySettings(Mode.PREFILL_OR_SPLICE, 1);
    public static final RecoverySettings OFF = new RecoverySettings(Mode.OFF, 0);

    public RecoverySettings {
        Objects.requireNonNull(mode, "mode");
        if (maxResumptions < 0) {
            throw new IllegalArgumentException("recovery.max-resumptions: " + maxResumptions + " (expected: at least 0)");
        }
    }

    /** The ways to finish a broken answer. */
    public enum Mode {
        /** End the stream with an error event. */
        OFF,
        /** Continue on a candidate that accepts the delivered text as an assistant prefix, else end. */
        PREFILL_ONLY,
        /** Prefill where supported, else regenerate and splice after the delivered text when it is reproduced. */
        PREFILL_OR_SPLICE;

        public String configName() {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
        }

        public static Optional<Mode> fromConfig(String name) {
            for (Mode mode : values()) {
                if (mode.configName().equals(name)) {
                    return Optional.of(mode);
                }
            }
            return Optional.empty();
        }
    }
}
