package io.hedgerow.model;

import java.util.Objects;

/**
 * An upstream's whole answer as it came, kept beside its canonical form when the client speaks the same dialect,
 * so that the answer can be relayed as the upstream produced it.
 *
 * @param dialect the upstream's dialect
 * @param body    the 2xx body exactly as received (treat as read-only: not copied)
 */
public record WireBody(Dialect dialect, byte[] body) {
    public WireBody {
        Objects.requireNonNull(dialect, "dialect");
        Objects.requireNonNull(body, "body");
    }
}
