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
 * <h2>Cost</h2>
 * With {@code max-cost-share} set, hedges are also paid for in money. Each request deposits its estimated cost and
 * each hedge is charged its own (both from the configured prices, see {@code Race}), kept in ten-second buckets over
 * the last {@value #COST_WINDOW_SECONDS} seconds (a longer memory than the request share's: money is judged over
 * minutes, and a quiet router must be able to earn a hedge). A hedge of cost {@code c} is allowed only when
 * {@code maxCostShare * spent(window) - hedgeSpent(window) >= c}, whatever the request share and its floor say: so
 * over any such window, {@code hedgeSpent <= maxCostShare * spent + the cost of one hedge}. A hedge costing 15 times
 * what its request costs uses 15 times the allowance of one that costs the same. Unpriced calls cost 0: they count
 * against the request share only. {@link #affordableShare} turns the cap into the share of requests that may be
 * hedged, for the hedge delay.
 *
 * <h2>Threads</h2>
 * Thread-safe: each method takes one {@link ReentrantLock} for O(1) work (amortised: expiring buckets is
 * O(ttl seconds) at most once per second).
 */
public final class HedgeBudget {
    /** How long spend is remembered for {@code max-cost-share}. */
    public static final int COST_WINDOW_SECONDS = 600;
    private static final long SECOND = 1_000_000_000L;
    private static final int COST_BUCKET_SECONDS = 10;
    private static final int COST_BUCKETS = COST_WINDOW_SECONDS / COST_BUCKET_SECONDS;
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
    // Spend, in ten-second buckets: requests' estimated cost, and hedges'.
    private final double[] spent = new double[COST_BUCKETS];
    private final double[] hedgeSpent = new double[COST_BUCKETS];
    private double spentSum;
    private double hedgeSpentSum;
    private long costBucket;

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
        onRequest(0);
    }

    /** One request was sent, estimated to cost {@code cost} (dollars; 0 when unpriced): deposits {@code ratio}. */
    public void onRequest(double cost) {
        lock.lock();
        try {
            rotate();
            requests[slot(second)]++;
            requestsSum++;
            if (cost > 0) {
                spent[costSlot()] += cost;
                spentSum += cost;
            }
        } finally {
            lock.unlock();
        }
    }

    /** Takes the allowance for one hedge if there is any; {@code false} means do not hedge. */
    public boolean tryWithdraw() {
        return tryWithdraw(0);
    }

    /**
     * Takes the allowance for one hedge estimated to cost {@code cost} (0 when unpriced), if the request share and,
     * with {@code max-cost-share}, the spend allow it; {@code false} means do not hedge.
     */
    public boolean tryWithdraw(double cost) {
        lock.lock();
        try {
            rotate();
            if (cost > 0 && settings.maxCostShare().isPresent()
                    && settings.maxCostShare().getAsDouble() * spentSum - hedgeSpentSum < cost * (1 - EPSILON)) {
                return false;
            }
            boolean granted = false;
            if (floorUsed < settings.minPerSecond()) {
                floorUsed++;
                granted = true;
            } else if (settings.ratio() * requestsSum - chargedSum >= 1 - EPSILON) {
                charged[slot(second)]++;
                chargedSum++;
                granted = true;
            }
            if (granted && cost > 0) {
                hedgeSpent[costSlot()] += cost;
                hedgeSpentSum += cost;
            }
            return granted;
        } finally {
            lock.unlock();
        }
    }

    /**
     * The share of requests that may be hedged when a hedge costs {@code hedgeCost} and its request
     * {@code requestCost}: the ratio, or under {@code max-cost-share} {@code min(ratio, maxCostShare * requestCost /
     * hedgeCost)}. A hedge costing 15 times its request under a 10% cost share may be sent for 0.67% of requests.
     */
    public double affordableShare(double requestCost, double hedgeCost) {
        if (settings.maxCostShare().isEmpty() || hedgeCost <= 0 || requestCost <= 0) {
            return settings.ratio();
        }
        return Math.min(settings.ratio(), settings.maxCostShare().getAsDouble() * requestCost / hedgeCost);
    }

    /** Hedges' estimated spend over requests' in the last {@value #COST_WINDOW_SECONDS} s; 0 before any spend. */
    public double costShare() {
        lock.lock();
        try {
            rotate();
            return spentSum <= 0 ? 0 : hedgeSpentSum / spentSum;
        } finally {
            lock.unlock();
        }
    }

    /** Requests' estimated spend (dollars) in the last {@value #COST_WINDOW_SECONDS} s. */
    public double spend() {
        lock.lock();
        try {
            rotate();
            return spentSum;
        } finally {
            lock.unlock();
        }
    }

    /** Hedges' estimated spend (dollars) in the last {@value #COST_WINDOW_SECONDS} s. */
    public double hedgeSpend() {
        lock.lock();
        try {
            rotate();
            return hedgeSpentSum;
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
        refund(0);
    }

    /** {@link #refund()} for a withdrawal of {@code cost}: its spend is given back too (never below zero). */
    public void refund(double cost) {
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
            if (cost > 0) {
                int c = costSlot();
                double back = Math.min(cost, hedgeSpent[c]);
                hedgeSpent[c] -= back;
                hedgeSpentSum = Math.max(0, hedgeSpentSum - back);
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

    private int costSlot() {
        return (int) Math.floorMod(costBucket, (long) COST_BUCKETS);
    }

    /**
     * Moves to the current second, expiring the buckets it reuses and refilling the floor; likewise for the spend's
     * ten-second buckets, whose sums are then recounted (no drift from adding and taking away doubles). Caller holds
     * the lock.
     */
    private void rotate() {
        long nanos = ticker.read() - origin;
        long bucket = Math.floorDiv(nanos, COST_BUCKET_SECONDS * SECOND);
        if (bucket > costBucket) {
            long steps = Math.min(bucket - costBucket, COST_BUCKETS);
            for (long k = 1; k <= steps; k++) {
                int c = (int) Math.floorMod(costBucket + k, (long) COST_BUCKETS);
                spent[c] = 0;
                hedgeSpent[c] = 0;
            }
            costBucket = bucket;
            spentSum = 0;
            hedgeSpentSum = 0;
            for (int c = 0; c < COST_BUCKETS; c++) {
                spentSum += spent[c];
                hedgeSpentSum += hedgeSpent[c];
            }
        }
        long now = Math.floorDiv(nanos, SECOND);
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
