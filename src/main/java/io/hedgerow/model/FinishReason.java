package io.hedgerow.model;

import java.util.Locale;

/** Why the model stopped, in OpenAI's vocabulary. */
public enum FinishReason {
    STOP, LENGTH, TOOL_CALLS, CONTENT_FILTER;

    /** The lower-case wire name. */
    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** OpenAI's wire name to a reason; unknown names count as {@link #STOP}. */
    public static FinishReason fromWire(String name) {
        for (FinishReason reason : values()) {
            if (reason.wireName().equals(name)) {
                return reason;
            }
        }
        return STOP;
    }
}
