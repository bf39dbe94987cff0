package io.hedgerow.health;

import java.util.Locale;

/**
 * What a latency sample measures: the time to a stream's first token, or to a whole (non-streamed) answer. The two
 * are never mixed: each has its own baseline and its own demotion verdict, since a provider can be quick to start
 * and slow to finish, and streamed and whole requests alternate.
 */
public enum Measure {
    FIRST_TOKEN,
    WHOLE_ANSWER;

    public static Measure of(boolean streaming) {
        return streaming ? FIRST_TOKEN : WHOLE_ANSWER;
    }

    /** {@code first_token}, {@code whole_answer}: for metrics, events and state records. */
    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** {@code first token}, {@code whole answer}: for people. */
    public String description() {
        return name().toLowerCase(Locale.ROOT).replace('_', ' ');
    }
}
