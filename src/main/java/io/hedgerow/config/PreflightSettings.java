package io.hedgerow.config;

import java.time.Duration;
import java.util.Objects;

/**
 * Live checks of the keys and providers every route uses ({@code observe.preflight}): each provider+key is asked for
 * its list of models, which costs no tokens, at start-up and then once per {@code interval}.
 *
 * @param enabled  whether the running router checks (start-up and every interval); {@code check --live} always does
 * @param interval how often one provider+key is checked, at most: at least {@link #MIN_INTERVAL}, so that checks of
 *                 our own never become background load
 * @param timeout  the longest one check may take, from connecting to the end of its answer
 */
public record PreflightSettings(boolean enabled, Duration interval, Duration timeout) {
    /** The shortest interval allowed. */
    public static final Duration MIN_INTERVAL = Duration.ofMinutes(1);
    /** The longest timeout allowed. */
    public static final Duration MAX_TIMEOUT = Duration.ofMinutes(1);
    public static final PreflightSettings DEFAULTS = new PreflightSettings(true, Duration.ofMinutes(30),
                                                                           Duration.ofSeconds(5));
    /** No checks by the running router. */
    public static final PreflightSettings OFF = new PreflightSettings(false, DEFAULTS.interval, DEFAULTS.timeout);

    public PreflightSettings {
        Checks.positive("observe.preflight.interval", interval);
        Checks.positive("observe.preflight.timeout", timeout);
        if (interval.compareTo(MIN_INTERVAL) < 0) {
            throw new IllegalArgumentException("observe.preflight.interval: " + Checks.human(interval)
                                                       + " (expected: at least " + Checks.human(MIN_INTERVAL) + ")");
        }
        if (timeout.compareTo(MAX_TIMEOUT) > 0) {
            throw new IllegalArgumentException("observe.preflight.timeout: " + Checks.human(timeout)
                                                       + " (expected: at most " + Checks.human(MAX_TIMEOUT) + ")");
        }
        Objects.requireNonNull(interval, "interval");
    }

    /** These settings, on or off. */
    public PreflightSettings withEnabled(boolean on) {
        return new PreflightSettings(on, interval, timeout);
    }
}
