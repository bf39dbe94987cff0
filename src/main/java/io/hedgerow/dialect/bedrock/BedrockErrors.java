package io.hedgerow.dialect.bedrock;

import io.hedgerow.model.FailureKind;

import java.util.Locale;
import java.util.Optional;

/**
 * Bedrock's error types in Hedgerow's failure classes. A refused request names its type in the
 * {@code x-amzn-ErrorType} header (e.g. {@code ThrottlingException:http://internal.amazon.com/coral/...}) or a
 * {@code __type} field; a broken ConverseStream sends an exception frame whose {@code :exception-type} is the same
 * name in camel case ({@code throttlingException}). Names are compared without case and without the part after
 * {@code :} or before {@code #}.
 *
 * <p>Table: throttling, service quota exceeded and model-not-ready are {@code RATE_LIMITED} (pushback: try another
 * candidate, cool down a little); service unavailable, internal server, model error and model stream error are
 * {@code SERVER_ERROR}; model timeout is {@code TIMEOUT}; access denied and the signature/token errors are
 * {@code AUTH}; resource not found is {@code NOT_FOUND}; a validation error is {@code CONTEXT_LENGTH} when its message
 * says the input does not fit (Bedrock: "Input is too long for requested model", Anthropic models: "prompt is too
 * long", others: "context window", "too many tokens"), else {@code BAD_REQUEST}.
 */
public final class BedrockErrors {
    private BedrockErrors() {
    }

    /** The failure class of an error type, when the type is one Bedrock documents. */
    public static Optional<FailureKind> kind(String errorType, String message) {
        String type = normalise(errorType);
        FailureKind kind = switch (type) {
            case "throttlingexception", "servicequotaexceededexception", "modelnotreadyexception",
                 "toomanyrequestsexception" -> FailureKind.RATE_LIMITED;
            case "serviceunavailableexception", "internalserverexception", "modelerrorexception",
                 "modelstreamerrorexception", "internalfailure" -> FailureKind.SERVER_ERROR;
            case "modeltimeoutexception" -> FailureKind.TIMEOUT;
            case "accessdeniedexception", "unrecognizedclientexception", "expiredtokenexception",
                 "invalidsignatureexception", "incompletesignatureexception", "missingauthenticationtokenexception",
                 "signaturedoesnotmatch" -> FailureKind.AUTH;
            case "resourcenotfoundexception" -> FailureKind.NOT_FOUND;
            case "validationexception" -> isContextLength(message) ? FailureKind.CONTEXT_LENGTH
                    : FailureKind.BAD_REQUEST;
            default -> null;
        };
        return Optional.ofNullable(kind);
    }

    /** Whether a validation message says the prompt does not fit the model's context window. */
    static boolean isContextLength(String message) {
        String lower = message.toLowerCase(Locale.ROOT);
        return lower.contains("too long") || lower.contains("context window") || lower.contains("context length")
                || lower.contains("too many tokens") || lower.contains("maximum context")
                || lower.contains("too many input tokens");
    }

    private static String normalise(String errorType) {
        String type = errorType.trim();
        int colon = type.indexOf(':');
        if (colon >= 0) {
            type = type.substring(0, colon);
        }
        int hash = type.lastIndexOf('#');
        if (hash >= 0) {
            type = type.substring(hash + 1);
        }
        return type.toLowerCase(Locale.ROOT);
    }
}
