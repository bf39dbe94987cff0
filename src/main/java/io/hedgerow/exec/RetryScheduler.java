package io.hedgerow.exec;

import io.hedgerow.config.ApiKey;

import java.util.Comparator;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.PriorityQueue;

/**
 * Retries waiting for their time (a backoff, or a {@code Retry-After}), earliest first. A due retry is only taken
 * when the race has room for another attempt: it waits here, not in flight. Confined to the race's thread.
 */
final class RetryScheduler {
    /** A retry of {@code slot}'s candidate with {@code key}, due at ticker time {@code dueNanos}. */
    record Retry(Slot slot, Optional<ApiKey> key, long dueNanos) {
    }

    private final PriorityQueue<Retry> pending = new PriorityQueue<>(Comparator.comparingLong(Retry::dueNanos));

    void schedule(Slot slot, Optional<ApiKey> key, long dueNanos) {
        pending.add(new Retry(slot, key, dueNanos));
    }

    boolean isEmpty() {
        return pending.isEmpty();
    }

    /** When the earliest retry is due; empty when none waits. */
    OptionalLong nextDue() {
        return pending.isEmpty() ? OptionalLong.empty() : OptionalLong.of(pending.peek().dueNanos());
    }

    /** Takes the earliest retry if it is due at {@code now}. */
    Optional<Retry> takeDue(long now) {
        Retry first = pending.peek();
        if (first == null || now - first.dueNanos() < 0) {
            return Optional.empty();
        }
        return Optional.of(pending.poll());
    }

    void clear() {
        pending.clear();
    }
}
