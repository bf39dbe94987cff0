package io.hedgerow.exec;

import java.util.Locale;

/** Why an attempt was started. */
public enum AttemptRole {
    /** The first attempt of the request, on the first candidate considered. */
    PRIMARY,
    /** The same candidate again, after a backoff or with another key. */
    RETRY,
    /** The next candidate, after a failure, or the first call made after candidates were skipped. */
    FALLBACK,
    /** A concurrent attempt, started because the running one was slow to produce its first token. */
    HEDGE,
    /** A concurrent attempt on a demoted candidate, to keep measuring it. */
    PROBE;

    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
