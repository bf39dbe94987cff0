/**
 * Seeing and steering a running router: Prometheus metrics ({@link io.hedgerow.observe.HedgerowMetrics}),
 * structured events ({@link io.hedgerow.observe.EventLog}), the status report and page
 * ({@link io.hedgerow.observe.StatusService}), readiness, cost accounting, and config hot reload
 * ({@link io.hedgerow.observe.ConfigReloader}, {@link io.hedgerow.observe.ConfigWatcher},
 * {@link io.hedgerow.observe.AdminService}).
 *
 * <p>{@link io.hedgerow.observe.Telemetry} is where the request path reports: it is the executor's
 * {@code ExecutionListener}, the health registry's {@code HealthListener}, the API's {@code RequestObserver} and the
 * live checks' {@code PreflightListener}.
 * Every label that names a key is its configured label or a short non-reversible id, never its value.
 */
package io.hedgerow.observe;
