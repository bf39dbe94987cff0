package io.hedgerow.state;

import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * How the state store is doing, for {@code /status}, readiness and the {@code hedgerow_state_store_up} metric.
 *
 * @param store      {@code local} or {@code redis}
 * @param up         whether it works as configured (Redis: connected and answering within {@code state.timeout})
 * @param detail     for people: where state goes, or what is wrong and what the router does meanwhile
 * @param rateLimits how client rate limits are enforced now: {@code per-process}, {@code fleet-wide},
 *                   {@code per-replica (limit / N)} or {@code refused}
 * @param since      when {@code up} last changed (or the store started)
 * @param replica    this replica's id
 * @param replicas   the replicas seen alive through Redis, with their config hashes (empty for a local store)
 */
public record StoreStatus(String store, boolean up, String detail, String rateLimits, Instant since, String replica,
                          List<Replica> replicas) {
    public StoreStatus {
        Objects.requireNonNull(store, "store");
        Objects.requireNonNull(detail, "detail");
        Objects.requireNonNull(rateLimits, "rateLimits");
        Objects.requireNonNull(since, "since");
        Objects.requireNonNull(replica, "replica");
        replicas = List.copyOf(replicas);
    }

    /** Another (or this) replica as seen through Redis. */
    public record Replica(String id, String configHash, Instant seen) {
    }
}
