/**
 * Health policy: the stateful objects the executor feeds with outcomes and the router reads as snapshots.
 *
 * <ul>
 *     <li>{@link io.hedgerow.health.CircuitBreaker}: per provider+model; stops calling an upstream that keeps
 *     failing, probes it again lazily.</li>
 *     <li>{@link io.hedgerow.health.KeyHealth}: per router; cools API keys down after 429s and auth failures,
 *     shared by every provider that uses the same key value (a rate-limit domain), and picks keys.</li>
 *     <li>{@link io.hedgerow.health.LatencyBaseline}: per provider+model and measure; windowed and long-run
 *     latency percentiles for hedge delays.</li>
 *     <li>{@link io.hedgerow.health.HedgeBudget}: a retry-budget-style allowance for hedges.</li>
 * </ul>
 *
 * These classes have no threads and read no clock of their own: time comes from a
 * {@link io.hedgerow.time.Ticker}, timeouts are checked lazily when someone asks, and estimators take samples.
 * State changes are reported as {@link io.hedgerow.health.HealthEvent}s to a
 * {@link io.hedgerow.health.HealthListener}, whose exceptions are logged and never reach the caller.
 * This package never calls a provider.
 */
package io.hedgerow.health;
