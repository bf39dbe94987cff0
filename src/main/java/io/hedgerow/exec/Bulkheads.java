package io.hedgerow.exec;

import io.hedgerow.config.ProviderConfig;
import io.hedgerow.time.Ticker;

import java.util.Map;
import java.util.Optional;
import java.util.PriorityQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One bulkhead per provider, sized by an adaptive concurrency limit: it keeps a provider that hangs from taking every
 * request with it, without shedding a healthy burst. (A fixed 64 attempts in flight turned the first second of a step
 * from idle to 1000 requests/s into 503s while the upstreams were healthy and fast.)
 *
 * <h2>Algorithm</h2>
 * Per provider, a limit {@code L} (from {@value #INITIAL}; never above the provider's {@code max-concurrent}, a hard
 * cap when set) and the attempts in flight. An attempt is admitted when:
 * <ul>
 *     <li>fewer than {@code L} are in flight; or</li>
 *     <li>fewer than {@code 8 * L} are, and the provider is not <em>silent</em>: it is silent when an attempt still
 *     waiting for a first token (or a whole answer) is overdue — waiting past {@code max(1 s, min(2 * its hedge delay,
 *     half its first-token or total timeout))}, the point where its answer is late against what its candidate usually
 *     takes or what the config allows — and the provider has answered nothing for as long. A healthy burst is young and
 *     gets in; a provider that hangs answers nothing, soon has overdue attempts, and from then on takes no more than
 *     {@code L}. A provider that keeps answering while some attempts are late (the router's own host saturated by the
 *     burst, a provider slower under load) is not hanging: shedding it would turn a slow burst into 503s. A full limit
 *     is a skip of its own kind ({@link SkipReason#BULKHEAD}), at no cost: the next candidate is tried at once.</li>
 * </ul>
 * The {@code 8 * L} cap stays for the blind first round trip: before its first answer, a cold provider taking a burst
 * cannot be told from one that hangs (from idle to 1000 requests/s with answers taking over 512 ms, the excess goes to
 * the next candidate until answers come back and raise {@code L}).
 * The limit follows what comes back (additive growth, multiplicative decrease, as in TCP and Netflix's
 * concurrency-limits):
 * <ul>
 *     <li>a success of an attempt admitted while at least {@code L / 2} were in flight raises {@code L} by 1: under
 *     a steady demand the limit doubles per round trip until the demand fits;</li>
 *     <li>a timeout or a connection failure lowers it to {@code 0.9 L} (not below {@value #INITIAL});</li>
 *     <li>a success while fewer than {@code L / 4} are in flight moves {@code L} 1/32 of the way back down towards
 *     {@value #INITIAL}: a limit raised by yesterday's peak does not let a hang take that many today.</li>
 * </ul>
 * Counts are kept by provider name and read the provider's config at the time, so a reload applies at once; one
 * instance outlives config generations (the server hands the same one to each generation's executor).
 *
 * <p>Thread-safe: one small lock per provider, held for O(log n) work per attempt.
 */
public final class Bulkheads {
    /** Where every limit starts, and the least it falls to. */
    public static final int INITIAL = 64;
    /** How far past the limit a young burst may go. */
    static final int BURST = 8;
    private static final long MIN_OVERDUE_NANOS = 1_000_000_000L;

    private final Ticker ticker;
    private final Map<String, Limit> limits = new ConcurrentHashMap<>();

    /** Bulkheads judging "overdue" on {@code ticker}'s time. */
    public Bulkheads(Ticker ticker) {
        this.ticker = java.util.Objects.requireNonNull(ticker, "ticker");
    }

    /**
     * A place for one attempt on {@code provider}; empty when the provider is full. The attempt counts as overdue once
     * it has waited {@code max(1 s, min(2 * hedgeDelayNanos, half its time limit))} for its first token (streams) or
     * its answer: late against what its candidate usually takes, or against what the config allows it.
     */
    Optional<Place> tryAcquire(ProviderConfig provider, long hedgeDelayNanos, boolean streaming) {
        Limit limit = limits.computeIfAbsent(provider.name(), name -> new Limit());
        long timeLimit = (streaming ? provider.timeouts().firstToken() : provider.timeouts().total()).toNanos();
        long usual = hedgeDelayNanos >= Long.MAX_VALUE / 4 ? Long.MAX_VALUE : 2 * hedgeDelayNanos;
        long overdueAfter = Math.max(MIN_OVERDUE_NANOS, Math.min(usual, timeLimit / 2));
        return limit.tryAcquire(ticker.read(), overdueAfter, provider.limits().maxConcurrent());
    }

    /** Attempts in flight to this provider now. */
    int inFlight(String provider) {
        Limit limit = limits.get(provider);
        return limit == null ? 0 : limit.inFlight();
    }

    /** This provider's limit now ({@value #INITIAL} before its first attempt). */
    int limit(String provider) {
        Limit limit = limits.get(provider);
        return limit == null ? INITIAL : limit.limit();
    }

    /** What a finished attempt says about its provider's capacity. */
    enum Outcome {
        /** It answered. */
        SUCCESS,
        /** It timed out or could not connect: the provider may be overwhelmed. */
        OVERLOAD,
        /** Anything else: says nothing about capacity (a rate limit, a bad request, a lost race). */
        NEUTRAL
    }

    /** One attempt's place. {@link #answered}, {@link #outcome} and {@link #release} are each idempotent. */
    final class Place {
        private final Limit limit;
        private final long admittedNanos;
        private final long overdueAtNanos;
        private final boolean saturated;
        private boolean waiting = true;
        private boolean released;
        private boolean judged;

        private Place(Limit limit, long admittedNanos, long overdueAtNanos, boolean saturated) {
            this.limit = limit;
            this.admittedNanos = admittedNanos;
            this.overdueAtNanos = overdueAtNanos;
            this.saturated = saturated;
        }

        /** Its first token (or whole answer) came: it no longer counts towards "overdue", and its provider answers. */
        void answered() {
            limit.answered(this, ticker.read());
        }

        /** What the attempt's end says about the provider: moves the limit (once). */
        void outcome(Outcome outcome) {
            limit.outcome(this, outcome);
        }

        /** The exchange is over: the place is free. */
        void release() {
            limit.release(this);
        }
    }

    /** One provider's limit. */
    private final class Limit {
        private final ReentrantLock lock = new ReentrantLock();
        /** Places still waiting for a first token or answer, soonest overdue first (answered ones leave lazily). */
        private final PriorityQueue<Place> waiting = new PriorityQueue<>(
                (a, b) -> Long.compare(a.overdueAtNanos, b.overdueAtNanos));
        private double limit = INITIAL;
        private int inFlight;
        /** When the provider last answered (a first token or a whole answer); {@code Long.MIN_VALUE} before then. */
        private long lastAnswerNanos = Long.MIN_VALUE;

        Optional<Place> tryAcquire(long now, long overdueAfter, int cap) {
            lock.lock();
            try {
                int l = (int) Math.min(limit, cap);
                if (inFlight >= l && (inFlight >= Math.min((long) BURST * l, cap) || silent(now))) {
                    return Optional.empty();
                }
                Place place = new Place(this, now, now + overdueAfter, inFlight >= l / 2);
                inFlight++;
                waiting.add(place);
                return Optional.of(place);
            } finally {
                lock.unlock();
            }
        }

        /**
         * Whether the provider looks hung: an attempt in flight has waited past its overdue time, and the provider has
         * answered nothing for as long (a gap in answers shorter than that is a gap in demand, or the router's own
         * host slowing everything, not a hang). Caller holds the lock.
         */
        private boolean silent(long now) {
            while (!waiting.isEmpty() && !waiting.peek().waiting) {
                waiting.poll();
            }
            if (waiting.isEmpty()) {
                return false;
            }
            Place oldest = waiting.peek();
            long overdueAfter = oldest.overdueAtNanos - oldest.admittedNanos;
            return now - oldest.overdueAtNanos >= 0
                    && (lastAnswerNanos == Long.MIN_VALUE || now - lastAnswerNanos >= overdueAfter);
        }

        void answered(Place place, long now) {
            lock.lock();
            try {
                place.waiting = false;
                if (lastAnswerNanos == Long.MIN_VALUE || now - lastAnswerNanos > 0) {
                    lastAnswerNanos = now;
                }
            } finally {
                lock.unlock();
            }
        }

        void outcome(Place place, Outcome outcome) {
            lock.lock();
            try {
                if (place.judged) {
                    return;
                }
                place.judged = true;
                switch (outcome) {
                case SUCCESS -> {
                    if (place.saturated) {
                        limit += 1;
                    } else if (inFlight < limit / 4 && limit > INITIAL) {
                        limit -= (limit - INITIAL) / 32;
                    }
                }
                case OVERLOAD -> limit = Math.max(INITIAL, limit * 0.9);
                case NEUTRAL -> {
                }
                }
            } finally {
                lock.unlock();
            }
        }

        void release(Place place) {
            lock.lock();
            try {
                if (place.released) {
                    return;
                }
                place.released = true;
                place.waiting = false;
                inFlight--;
            } finally {
                lock.unlock();
            }
        }

        int inFlight() {
            lock.lock();
            try {
                return inFlight;
            } finally {
                lock.unlock();
            }
        }

        int limit() {
            lock.lock();
            try {
                return (int) limit;
            } finally {
                lock.unlock();
            }
        }
    }
}
