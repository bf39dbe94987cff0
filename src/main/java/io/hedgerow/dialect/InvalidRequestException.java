package io.hedgerow.dialect;

import java.util.Objects;
import java.util.Optional;

/** A client's request is not a valid chat request; the message says what is wrong and where. */
public class InvalidRequestException extends Exception {
    private final transient Optional<String> param;

    public InvalidRequestException(String message, Optional<String> param) {
        super(message);
        this.param = Objects.requireNonNull(param, "param");
    }

    public InvalidRequestException(String message, String param) {
        this(message, Optional.of(param));
    }

    /** The offending field, in OpenAI's dotted notation (e.g. {@code messages[2].role}). */
    public Optional<String> param() {
        return param;
    }
}
