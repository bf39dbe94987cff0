package io.hedgerow.time;

import java.time.Duration;
import java.util.Objects;

/** A point in {@link Ticker} time by which something must be done. Immutable. */
public record Deadline(Ticker ticker, long atNanos) {
    public Deadline {
        Objects.requireNonNull(ticker, "ticker");
    }

    /** The deadline {@code budget} from now. */
    public static Deadline after(Ticker ticker, Duration budget) {
        return new Deadline(ticker, ticker.read() + budget.toNanos());
    }

    /** Nanoseconds left; zero or negative once passed. */
    public long remainingNanos() {
        return atNanos - ticker.read();
    }

    public boolean passed() {
        return remainingNanos() <= 0;
    }

    /** The earlier of this deadline and {@code budget} from now. */
    public Deadline cappedAt(Duration budget) {
        long other = ticker.read() + budget.toNanos();
        return other < atNanos ? new Deadline(ticker, other) : this;
    }
}
