package io.hedgerow.health;

import io.hedgerow.config.BudgetSettings;

import io.hedgerow.time.Ticker;

import java.util.Objects;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Whether there is allowance left to send a hedge: a retry budget in the manner of Finagle and Linkerd, so
 * hedging can add at most a set fraction of load, and cannot multiply it when an upstream slows down for
 * everyone. (When to hedge is the delay policy's question; this only says whether we may.)
 *
 * <h2>Arithmetic</h2>
 * Time is cut into one-second buckets; the last {@code T = ttl} seconds of them (the current one included)
 * are live. Each bucket holds the requests seen and the hedges charged to them in that second.
 * <ul>
 *     <li>{@link #onRequest()} deposits {@code ratio} (default 0.1): the current bucket's request count grows.</li>
 *     <li>{@link #tryWithdraw()} first takes from the current second's floor, {@code minPerSecond} hedges
 *     (default 1) that need no deposit; otherwise it succeeds when
 *     {@code ratio * requests(live) - charged(live) >= 1} and charges one hedge to the current bucket.</li>
 *     <li>Deposits and charges expire together with their bucket, so the budget follows recent traffic.</li>
 * </ul>
 * Hence, at the moment of any hedge, the hedges of the live span are at most
 * {@code ratio * requests(live span) + minPerSecond * T}, and over any interval {@code I}:
 * {@code hedges(I) <= ratio * requests(I and the T seconds before it) + minPerSecond * seconds(I)}
 * (to one-second precision). With defaults: 1000 requests in ten seconds allow 100 hedges plus 10 from the
 * floor; a router with no traffic may still hedge once a second.
 *
 * <p>{@link #balance()} is {@code ratio * requests(live) - charged(live) + floor left this second}.
 *
 * <h2>Threads</h2>
 * Thread-safe: each method takes one {@link ReentrantLock} for O(1) work (amortised: expiring buckets is
 * O(ttl seconds) at most once per second).
 */
public final class HedgeBudget {
    private static final long SECOND = 1_000_000_000L;
    // ratio * requests is a double; a hair of tolerance keeps 0.1 * 1000 - 99 >= 1 true.
    private static final double EPSILON = 1e-9;

    private final BudgetSettings settings;
    private final Ticker ticker;
    private final ReentrantLock lock = new ReentrantLock();
    private final long origin;
    private final long[] requests;
    private final long[] charged;
    private long requestsSum;
    private long chargedSum;
    private long second;
    private int floorUsed;

    public HedgeBudget(BudgetSettings settings, Ticker ticker) {
        this.settings = Objects.requireNonNull(settings, "settings");
        this.ticker = Objects.requireNonNull(ticker, "ticker");
        this.origin = ticker.read();
        this.requests = new long[settings.ttlSeconds()];
        this.charged = new long[settings.ttlSeconds()];
    }

    public BudgetSettings settings() {
        return settings;
    }

    /** One request was sent (a first attempt, not a hedge): deposits {@code ratio}. */
    public void onRequest() {
        lock.lock();
        try {
            rotate();
            requests[slot(second)]++;
            requestsSum++;
        } finally {
            lock.unlock();
        }
    }

    /** Takes the allowance for one hedge if there is any; {@code false} means do not hedge. */
    public boolean tryWithdraw() {
        lock.lock();
        try {
            rotate();
            if (floorUsed < settings.minPerSecond()) {
                floorUsed++;
                return true;
            }
            if (settings.ratio() * requestsSum - chargedSum >= 1 - EPSILON) {
                charged[slot(second)]++;
                chargedSum++;
                return true;
            }
            return false;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Gives back the allowance of a {@link #tryWithdraw()} that paid for nothing (the hedge or probe could not be
     * started): the charge made this second if there is one, else a use of this second's floor. A withdrawal from an
     * earlier second has expired with its bucket or is refunded from this one; either way the budget never grows.
     */
    public void refund() {
        lock.lock();
        try {
            rotate();
            int slot = slot(second);
            if (charged[slot] > 0) {
                charged[slot]--;
                chargedSum--;
            } else if (floorUsed > 0) {
                floorUsed--;
            }
        } finally {
            lock.unlock();
        }
    }

    /** Hedges that could be taken now: deposits left plus this second's floor left (may be fractional). */
    public double balance() {
        lock.lock();
        try {
            rotate();
            return settings.ratio() * requestsSum - chargedSum + (settings.minPerSecond() - floorUsed);
        } finally {
            lock.unlock();
        }
    }

    private int slot(long s) {
        return (int) Math.floorMod(s, (long) requests.length);
    }

    /** Moves to the current second, expiring the buckets it reuses and refilling the floor. Caller holds the lock. */
    private void rotate() {
        long now = Math.floorDiv(ticker.read() - origin, SECOND);
        if (now <= second) {
            return;
        }
        long steps = Math.min(now - second, requests.length);
        for (long k = 1; k <= steps; k++) {
            int slot = slot(second + k);
            requestsSum -= requests[slot];
            chargedSum -= charged[slot];
            requests[slot] = 0;
            charged[slot] = 0;
        }
        second = now;
        floorUsed = 0;
    }
}
