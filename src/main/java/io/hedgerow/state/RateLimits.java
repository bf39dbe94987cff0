package io.hedgerow.state;

import io.hedgerow.config.ClientKey;

import java.time.Duration;
import java.util.Objects;

/** Client request rates ({@code server.client-keys[].rate-limit}): whether one more request of a client may go. */
public interface RateLimits {

    /** Takes one request's token for {@code client}; clients without a limit are always admitted. */
    Verdict acquire(ClientKey client);

    /** What a rate-limited client gets. */
    sealed interface Verdict {
        /** It may go. */
        Verdict ADMITTED = new Admitted();

        /** The request may go. */
        record Admitted() implements Verdict {
        }

        /** Over its limit: the next token is there in {@code retryAfter}. */
        record Wait(Duration retryAfter) implements Verdict {
            public Wait {
                Objects.requireNonNull(retryAfter, "retryAfter");
            }
        }

        /** The limit cannot be enforced now (shared state unreachable, and configured to refuse). */
        record Unavailable(String why) implements Verdict {
            public Unavailable {
                Objects.requireNonNull(why, "why");
            }
        }
    }
}
