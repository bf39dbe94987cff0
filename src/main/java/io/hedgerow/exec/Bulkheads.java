package io.hedgerow.exec;

import io.hedgerow.config.ProviderConfig;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One bulkhead per provider: at most {@code max-concurrent} attempts in flight to it at once. A full bulkhead
 * does not queue: the race skips the candidate, as it does one whose breaker is open, so a provider that hangs
 * holds at most its own share of the router and the next request goes straight to a fallback.
 *
 * <p>Counts are kept by provider name and compared with the limit the provider's config has at the time, so a
 * reloaded limit applies at once. One instance outlives config generations (the server hands the same one to each
 * generation's executor): attempts still running on the old generation after a reload keep their places, so the
 * limit holds across the swap. Thread-safe: one atomic counter per provider.
 */
public final class Bulkheads {
    private final Map<String, AtomicInteger> inFlight = new ConcurrentHashMap<>();

    /** Takes a place for one attempt; false when the provider already has its maximum in flight. */
    boolean tryAcquire(ProviderConfig provider) {
        AtomicInteger count = inFlight.computeIfAbsent(provider.name(), name -> new AtomicInteger());
        int limit = provider.limits().maxConcurrent();
        while (true) {
            int n = count.get();
            if (n >= limit) {
                return false;
            }
            if (count.compareAndSet(n, n + 1)) {
                return true;
            }
        }
    }

    /** Gives a place back; once per successful {@link #tryAcquire}. */
    void release(ProviderConfig provider) {
        AtomicInteger count = inFlight.get(provider.name());
        if (count != null) {
            count.decrementAndGet();
        }
    }

    /** Attempts in flight to this provider now. */
    int inFlight(String provider) {
        AtomicInteger count = inFlight.get(provider);
        return count == null ? 0 : count.get();
    }
}
