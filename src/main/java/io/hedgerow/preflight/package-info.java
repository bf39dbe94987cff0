/**
 * Live checks of every rung: each provider+key a route uses is asked for its provider's list of models, which
 * costs no tokens, so that an expired key, a base URL that does not answer or a model the provider no longer lists
 * is found before traffic falls onto that rung.
 *
 * <ul>
 *     <li>{@link io.hedgerow.preflight.Target}: a provider as configured with one key; the unit of checking and of
 *     rate-limiting.</li>
 *     <li>{@link io.hedgerow.preflight.Preflight}: runs checks at once on virtual threads, bounded by a timeout.</li>
 *     <li>{@link io.hedgerow.preflight.PreflightReport}: results judged per route rung; the table of
 *     {@code check --live} ({@link io.hedgerow.preflight.LiveCheck}).</li>
 *     <li>{@link io.hedgerow.preflight.PreflightScheduler}: the running router's rounds (start-up, every interval,
 *     after a reload), which feed key health and a {@link io.hedgerow.preflight.PreflightListener}.</li>
 * </ul>
 * Beside the request path, like {@code observe}: it uses {@code provider} (to ask), {@code health} (to feed key
 * cooldowns) and {@code config}; nothing on the request path uses it. Keys appear by label only.
 */
package io.hedgerow.preflight;
