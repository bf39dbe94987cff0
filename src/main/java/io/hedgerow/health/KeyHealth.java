package io.hedgerow.health;

import io.hedgerow.config.CooldownSettings;
import io.hedgerow.config.KeyRotation;

import io.hedgerow.config.ApiKey;
import io.hedgerow.model.Failure;
import io.hedgerow.model.FailureKind;
import io.hedgerow.time.Ticker;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.HashSet;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * API key cooldowns, one registry per router: a key the upstream refused rests for a while and is skipped by
 * {@link #pick}.
 *
 * <h2>Rate-limit domains</h2>
 * Keys are identified by the SHA-256 of their value, not by label or provider, so a 429 on one model cools
 * the key for every model and every provider configured with it: the upstream counts requests per key.
 *
 * <h2>Algorithm</h2>
 * For each key: a count {@code n} of consecutive cooling failures of one kind, and an optional
 * cooldown end.
 * <ul>
 *     <li>{@link FailureKind#RATE_LIMITED}: {@code n += 1}; the key cools for the upstream's Retry-After,
 *     capped at {@code maxRetryAfter}, when there is one, otherwise for {@code rateLimited[min(n, size) - 1]}
 *     (default 30s, 1m, 5m, then 25m each time).</li>
 *     <li>{@link FailureKind#AUTH}: the same with the {@code auth} ladder (10m, 1h, 6h, 24h): a revoked or
 *     unpaid key will not heal in seconds. Retry-After is ignored.</li>
 *     <li>A failure of the other kind than the last one restarts {@code n} at 1 on its own ladder.</li>
 *     <li>Any other failure kind: nothing changes (that is the breaker's business).</li>
 *     <li>A failure reported while the key already cools comes from a call that was in flight when the
 *     cooldown began: it does not climb the ladder (a burst of parallel 429s is one event, not four rungs);
 *     it can only lengthen the cooldown to what it would have set.</li>
 *     <li>{@link #onSuccess}: {@code n = 0}. It does not end a cooldown (such a success is a call from
 *     before the cooldown).</li>
 *     <li>{@link #verified}: a live check, made after the last failure was reported, found the key accepted. It
 *     ends an {@code AUTH} cooldown caused by a credential refusal (401 or 403) at once; {@code n} is kept, so a key
 *     that lists models but is refused for chat climbs the ladder again on its next 401, and a real success resets
 *     it. Cooldowns for rate limits and for billing refusals (402, an exhausted quota) are left alone: a list of
 *     models says nothing about those.</li>
 *     <li>Expiry is lazy: the first query after the end ({@link #available}, {@link #coolingFor},
 *     {@link #pick}, {@link #status}, {@link #snapshot}) ends the cooldown and emits
 *     {@link HealthEvent.CooldownEnded} exactly once. {@code n} survives the end, so the next 429 climbs.</li>
 * </ul>
 * A Retry-After of zero (or less) is obeyed: {@code n} grows but the key does not cool.
 *
 * <h2>Threads</h2>
 * Thread-safe. Per-key state is an immutable record in a {@link ConcurrentHashMap}, replaced with
 * {@code compute}, so each key's changes are atomic and {@code CooldownStarted}/{@code CooldownEnded} are
 * emitted once per cooldown. Events are delivered after the map update, on the caller's thread; events of one
 * key reported from two threads at the same moment may reach the listener in either order. Queries of a key
 * that is not cooling read the map without writing.
 */
public final class KeyHealth {
    private final CooldownSettings settings;
    private final Ticker ticker;
    private final HealthListener listener;
    private final ConcurrentHashMap<KeyFingerprint, KeyState> states = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<ApiKey, KeyFingerprint> fingerprints = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<List<KeyFingerprint>, AtomicInteger> rotations = new ConcurrentHashMap<>();

    public KeyHealth(CooldownSettings settings, Ticker ticker, HealthListener listener) {
        this.settings = Objects.requireNonNull(settings, "settings");
        this.ticker = Objects.requireNonNull(ticker, "ticker");
        this.listener = Objects.requireNonNull(listener, "listener");
    }

    public CooldownSettings settings() {
        return settings;
    }

    /**
     * Key health under new cooldown settings: this one when they are unchanged, else a new one that starts from a
     * copy of every key's state (cooldowns in progress keep their end; later failures climb the new ladders).
     */
    public KeyHealth reconfigured(CooldownSettings newSettings) {
        Objects.requireNonNull(newSettings, "newSettings");
        if (newSettings.equals(settings)) {
            return this;
        }
        KeyHealth next = new KeyHealth(newSettings, ticker, listener);
        next.states.putAll(states);
        return next;
    }

    /** {@link #onFailure(ApiKey, FailureKind, Optional)} with the failure's kind and Retry-After. */
    public void onFailure(ApiKey key, Failure failure) {
        Objects.requireNonNull(failure, "failure");
        onFailure(key, failure.kind(), failure.retryAfter(), failure.status());
    }

    /**
     * A call with {@code key} failed. Cools the key for {@link FailureKind#RATE_LIMITED} and
     * {@link FailureKind#AUTH} (see the class description); ignores every other kind.
     *
     * @param retryAfter the upstream's Retry-After, as the failure carries it
     */
    public void onFailure(ApiKey key, FailureKind kind, Optional<Duration> retryAfter) {
        onFailure(key, kind, retryAfter, 0);
    }

    /** @param status the upstream's HTTP status, 0 when unknown: 401 and 403 are credential refusals */
    private void onFailure(ApiKey key, FailureKind kind, Optional<Duration> retryAfter, int status) {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(retryAfter, "retryAfter");
        if (kind != FailureKind.RATE_LIMITED && kind != FailureKind.AUTH) {
            return;
        }
        long now = ticker.read();
        boolean credential = kind == FailureKind.AUTH && (status == 401 || status == 403);
        HealthEvent[] emitted = new HealthEvent[2]; // [0] CooldownEnded, [1] CooldownStarted
        states.compute(fingerprint(key), (fp, old) -> {
            KeyState s = old;
            if (s != null && s.expired(now)) {
                emitted[0] = new HealthEvent.CooldownEnded(s.label());
                s = s.rested();
            }
            boolean sameKind = s != null && s.cause() == kind;
            if (s != null && s.cooling()) {
                int n = sameKind ? s.consecutive() : 1;
                long left = Math.max(s.untilNanos() - now, cooldown(kind, n, retryAfter).toNanos());
                if (!sameKind) {
                    emitted[1] = new HealthEvent.CooldownStarted(key.label(), kind, Duration.ofNanos(left), n);
                }
                return new KeyState(key.label(), n, kind, now + left, true, credential, now);
            }
            int n = sameKind ? s.consecutive() + 1 : 1;
            Duration d = cooldown(kind, n, retryAfter);
            if (!d.isPositive()) {
                return new KeyState(key.label(), n, kind, now, false, credential, now);
            }
            emitted[1] = new HealthEvent.CooldownStarted(key.label(), kind, d, n);
            return new KeyState(key.label(), n, kind, now + d.toNanos(), true, credential, now);
        });
        deliver(emitted);
    }

    /**
     * A call with {@code key} succeeded: its count of consecutive failures goes back to zero, so its next 429
     * starts at the bottom of the ladder. A cooldown in progress is not ended.
     */
    public void onSuccess(ApiKey key) {
        Objects.requireNonNull(key, "key");
        KeyFingerprint fp = fingerprint(key);
        KeyState s = states.get(fp);
        if (s == null || s.consecutive() == 0) {
            return; // the common case writes nothing
        }
        states.computeIfPresent(fp, (k, old) -> old.cooling() ? old.withConsecutive(0) : null);
    }

    /**
     * A live check that started at {@code checkStartedNanos} (this ticker's time) found {@code key} accepted by its
     * provider. Ends the key's cooldown when it was caused by a credential refusal (401 or 403) reported before the
     * check started (strictly: a tie is no evidence either way), and emits {@link HealthEvent.CooldownEnded}: the
     * key was fixed (renewed, paid, re-enabled) or the refusal was a blip, and the auth ladder would otherwise keep it
     * unused for up to a day. A failure reported after the check started is newer news than the check, so it stands;
     * so do rate-limit and billing cooldowns.
     *
     * @return whether a cooldown was ended
     */
    public boolean verified(ApiKey key, long checkStartedNanos) {
        Objects.requireNonNull(key, "key");
        KeyFingerprint fp = fingerprint(key);
        KeyState current = states.get(fp);
        if (current == null || !current.cooling()) {
            return false; // the common case writes nothing
        }
        long now = ticker.read();
        HealthEvent[] emitted = new HealthEvent[1];
        states.computeIfPresent(fp, (k, old) -> {
            boolean early = old.cooling() && !old.expired(now) && old.cause() == FailureKind.AUTH && old.credential()
                    && checkStartedNanos - old.sinceNanos() > 0;
            if (!early) {
                return old;
            }
            emitted[0] = new HealthEvent.CooldownEnded(old.label());
            return old.rested();
        });
        deliver(emitted);
        return emitted[0] != null;
    }

    /** Whether {@code key} may be used now. */
    public boolean available(ApiKey key) {
        return coolingNanos(fingerprint(Objects.requireNonNull(key, "key")), ticker.read()) == 0;
    }

    /** Time left in {@code key}'s cooldown; empty when it is available. */
    public Optional<Duration> coolingFor(ApiKey key) {
        long nanos = coolingNanos(fingerprint(Objects.requireNonNull(key, "key")), ticker.read());
        return nanos == 0 ? Optional.empty() : Optional.of(Duration.ofNanos(nanos));
    }

    /**
     * When every key in {@code keys} cools: the time until the first of them is available again (what a
     * Retry-After to the client could say). Empty when one is available now or the list is empty.
     */
    public Optional<Duration> nextAvailableIn(List<ApiKey> keys) {
        Objects.requireNonNull(keys, "keys");
        long now = ticker.read();
        long min = Long.MAX_VALUE;
        for (ApiKey key : keys) {
            long nanos = coolingNanos(fingerprint(key), now);
            if (nanos == 0) {
                return Optional.empty();
            }
            min = Math.min(min, nanos);
        }
        return min == Long.MAX_VALUE ? Optional.empty() : Optional.of(Duration.ofNanos(min));
    }

    /**
     * A key to use from {@code keys}: the first that is available and not excluded, in configured order
     * ({@link KeyRotation#ORDERED}) or starting one further along on each call ({@link KeyRotation#ROUND_ROBIN},
     * one counter per distinct key list). A key is excluded when it, or a key with the same value, is in
     * {@code exclude} (e.g. the key a hedge sibling is using). Empty when every key cools or is excluded.
     */
    public Optional<ApiKey> pick(List<ApiKey> keys, Set<ApiKey> exclude, KeyRotation rotation) {
        Objects.requireNonNull(keys, "keys");
        Objects.requireNonNull(exclude, "exclude");
        Objects.requireNonNull(rotation, "rotation");
        int size = keys.size();
        if (size == 0) {
            return Optional.empty();
        }
        List<KeyFingerprint> prints = keys.stream().map(this::fingerprint).toList();
        Set<KeyFingerprint> excluded = new HashSet<>();
        for (ApiKey key : exclude) {
            excluded.add(fingerprint(key));
        }
        int start = switch (rotation) {
            case ORDERED -> 0;
            case ROUND_ROBIN -> Math.floorMod(rotations.computeIfAbsent(prints, k -> new AtomicInteger())
                                                      .getAndIncrement(), size);
        };
        long now = ticker.read();
        for (int i = 0; i < size; i++) {
            int index = (start + i) % size;
            KeyFingerprint fp = prints.get(index);
            if (!excluded.contains(fp) && coolingNanos(fp, now) == 0) {
                return Optional.of(keys.get(index));
            }
        }
        return Optional.empty();
    }

    /** {@code key}'s health now, including keys never reported (available, no failures). */
    public KeyStatus status(ApiKey key) {
        Objects.requireNonNull(key, "key");
        KeyFingerprint fp = fingerprint(key);
        long now = ticker.read();
        coolingNanos(fp, now); // ends an expired cooldown first
        KeyState s = states.get(fp);
        return s == null ? new KeyStatus(key.label(), Duration.ZERO, Optional.empty(), 0) : s.status(now);
    }

    /**
     * Every key with something to report (cooling, or failures not yet reset by a success), sorted by label.
     * Keys appear by label only.
     */
    public List<KeyStatus> snapshot() {
        long now = ticker.read();
        List<KeyStatus> out = new ArrayList<>();
        for (KeyFingerprint fp : states.keySet()) {
            coolingNanos(fp, now);
            KeyState s = states.get(fp);
            if (s != null) {
                out.add(s.status(now));
            }
        }
        out.sort(Comparator.comparing(KeyStatus::label));
        return List.copyOf(out);
    }

    /**
     * Every key with state, as portable entries (for the state store: saved across restarts, shared by replicas).
     * Expired cooldowns are ended first.
     */
    public List<Entry> entries() {
        long now = ticker.read();
        List<Entry> out = new ArrayList<>();
        for (KeyFingerprint fp : states.keySet()) {
            coolingNanos(fp, now);
            KeyState s = states.get(fp);
            if (s != null) {
                out.add(s.entry(fp));
            }
        }
        return out;
    }

    /**
     * Takes a key's state as another replica (or this router before a restart) left it: replaces what is known of
     * that key, and emits {@link HealthEvent.CooldownStarted} or {@link HealthEvent.CooldownEnded} when the key
     * starts or stops cooling by it. The caller decides which of two states is newer.
     */
    public void adopt(Entry entry) {
        Objects.requireNonNull(entry, "entry");
        long now = ticker.read();
        boolean cooling = entry.cooling() && entry.untilNanos() - now > 0;
        KeyState next = new KeyState(entry.label(), entry.consecutive(), entry.cause(), entry.untilNanos(), cooling,
                                     entry.credential(), entry.sinceNanos());
        HealthEvent[] emitted = new HealthEvent[1];
        states.compute(new KeyFingerprint(entry.fingerprint()), (fp, old) -> {
            boolean wasCooling = old != null && old.cooling() && !old.expired(now);
            if (cooling && (!wasCooling || old.cause() != entry.cause())) {
                emitted[0] = new HealthEvent.CooldownStarted(entry.label(), entry.cause(),
                                                             Duration.ofNanos(entry.untilNanos() - now),
                                                             entry.consecutive());
            } else if (!cooling && wasCooling) {
                emitted[0] = new HealthEvent.CooldownEnded(old.label());
            }
            return next.consecutive() == 0 && !cooling ? null : next;
        });
        deliver(emitted);
    }

    /**
     * One key's state, portable: the key is named by the SHA-256 of its value (never the value) and times are this
     * registry's ticker times.
     *
     * @param fingerprint SHA-256 of the key's value, hex
     * @param label       the label of the key last reported
     * @param cause       the kind of the last cooling failure
     * @param consecutive failures of {@code cause} in a row (the ladder's rung)
     * @param cooling     whether a cooldown is in progress
     * @param untilNanos  ticker time the cooldown ends
     * @param credential  whether the last cooling failure was a credential refusal (401 or 403)
     * @param sinceNanos  ticker time the last cooling failure was reported
     */
    public record Entry(String fingerprint, String label, FailureKind cause, int consecutive, boolean cooling,
                        long untilNanos, boolean credential, long sinceNanos) {
        public Entry {
            Objects.requireNonNull(fingerprint, "fingerprint");
            Objects.requireNonNull(label, "label");
            Objects.requireNonNull(cause, "cause");
        }
    }

    /** The cooldown the {@code n}-th consecutive failure of {@code kind} sets. */
    private Duration cooldown(FailureKind kind, int n, Optional<Duration> retryAfter) {
        if (kind == FailureKind.AUTH) {
            return CooldownSettings.step(settings.auth(), n);
        }
        return retryAfter.map(ra -> ra.isNegative() ? Duration.ZERO : ra)
                .map(ra -> ra.compareTo(settings.maxRetryAfter()) > 0 ? settings.maxRetryAfter() : ra)
                .orElseGet(() -> CooldownSettings.step(settings.rateLimited(), n));
    }

    /** Nanoseconds of cooldown left for {@code fp} at {@code now}; 0 when available. Ends an expired cooldown. */
    private long coolingNanos(KeyFingerprint fp, long now) {
        KeyState s = states.get(fp);
        if (s == null || !s.cooling()) {
            return 0;
        }
        if (!s.expired(now)) {
            return s.untilNanos() - now;
        }
        HealthEvent[] emitted = new HealthEvent[1];
        states.computeIfPresent(fp, (k, old) -> {
            if (!old.expired(now)) {
                return old;
            }
            emitted[0] = new HealthEvent.CooldownEnded(old.label());
            KeyState rested = old.rested();
            return rested.consecutive() == 0 ? null : rested;
        });
        deliver(emitted);
        KeyState after = states.get(fp);
        return after == null || !after.cooling() ? 0 : Math.max(0, after.untilNanos() - now);
    }

    private KeyFingerprint fingerprint(ApiKey key) {
        return fingerprints.computeIfAbsent(key, KeyFingerprint::of);
    }

    private void deliver(HealthEvent[] events) {
        for (HealthEvent event : events) {
            if (event != null) {
                EventDelivery.deliver(listener, event);
            }
        }
    }

    /**
     * One key value's state. Immutable.
     *
     * @param label       the label of the key last reported
     * @param consecutive failures of {@code cause} in a row
     * @param cause       the kind of the last cooling failure
     * @param untilNanos  ticker time the cooldown ends (meaningful while {@code cooling})
     * @param cooling     whether a cooldown is in progress (possibly expired, not yet noticed)
     * @param credential  whether the last cooling failure was a credential refusal (an AUTH failure with 401/403)
     * @param sinceNanos  ticker time the last cooling failure was reported
     */
    private record KeyState(String label, int consecutive, FailureKind cause, long untilNanos, boolean cooling,
                            boolean credential, long sinceNanos) {
        boolean expired(long now) {
            return cooling && now - untilNanos >= 0;
        }

        KeyState rested() {
            return new KeyState(label, consecutive, cause, untilNanos, false, credential, sinceNanos);
        }

        Entry entry(KeyFingerprint fp) {
            return new Entry(fp.sha256(), label, cause, consecutive, cooling, untilNanos, credential, sinceNanos);
        }

        KeyState withConsecutive(int n) {
            return new KeyState(label, n, cause, untilNanos, cooling, credential, sinceNanos);
        }

        KeyStatus status(long now) {
            long left = cooling ? Math.max(0, untilNanos - now) : 0;
            return new KeyStatus(label, Duration.ofNanos(left), Optional.of(cause), consecutive);
        }
    }

    /** Keys with state (cooling or counting failures): a test seam. */
    int trackedKeys() {
        return states.size();
    }
}
