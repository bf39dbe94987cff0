package io.hedgerow.state;

import io.hedgerow.health.Measure;
import io.hedgerow.time.Ticker;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Demotion verdicts shared by a fleet, over time. A verdict adopted from another replica (or from before a restart)
 * holds for a {@link #LEASE}; its origin renews it every third of that while it stands, so a verdict whose origin
 * died, or whose news stopped coming (Redis down), ends, and this replica judges the candidate from its own samples
 * again. Without a lease an adopted demotion could outlive everyone who believed it: a replica with too few samples
 * of its own to judge recovery would keep the candidate behind the others for good.
 *
 * <p>Only bookkeeping: {@link HealthSync} acts on what this says. Times on the ticker. Thread-safe (concurrent maps).
 */
final class DemotionLeases {
    /** How long an adopted verdict holds unless renewed. */
    static final Duration LEASE = Duration.ofSeconds(90);
    /** How often a replica renews a verdict of its own that still stands. */
    static final Duration RENEW = LEASE.dividedBy(3);

    /** One verdict: a candidate on one measure. */
    record Verdict(String candidate, Measure measure) {
        Verdict {
            Objects.requireNonNull(candidate, "candidate");
            Objects.requireNonNull(measure, "measure");
        }
    }

    private final Ticker ticker;
    /** Adopted demotions: when their lease ends. */
    private final Map<Verdict, Long> adopted = new ConcurrentHashMap<>();
    /** This replica's own standing demotions: when each was last published. */
    private final Map<Verdict, Long> own = new ConcurrentHashMap<>();

    DemotionLeases(Ticker ticker) {
        this.ticker = Objects.requireNonNull(ticker, "ticker");
    }

    /** This replica demoted it (and published so). */
    void demotedHere(Verdict v) {
        own.put(v, ticker.read());
        adopted.remove(v);
    }

    /** The verdict ended: recovered here or elsewhere, or the candidate is gone. */
    void ended(Verdict v) {
        own.remove(v);
        adopted.remove(v);
    }

    /** Whether this replica holds the demotion on its own judgment (an adopted copy of it changes nothing). */
    boolean ownDemotion(Verdict v) {
        return own.containsKey(v);
    }

    /** A demotion from elsewhere was adopted, or renewed by its origin: it holds for a lease from now. */
    void adopted(Verdict v) {
        adopted.put(v, ticker.read() + LEASE.toNanos());
    }

    /** Adopted demotions whose lease ended by now: forgotten here, to be ended by the caller. */
    List<Verdict> lapsed() {
        long now = ticker.read();
        List<Verdict> out = new ArrayList<>();
        adopted.forEach((v, until) -> {
            if (now - until >= 0 && adopted.remove(v, until)) {
                out.add(v);
            }
        });
        return out;
    }

    /** Own demotions last published {@link #RENEW} ago or more: marked renewed now, to be published by the caller. */
    List<Verdict> dueForRenewal() {
        long now = ticker.read();
        List<Verdict> out = new ArrayList<>();
        own.forEach((v, last) -> {
            if (now - last >= RENEW.toNanos() && own.replace(v, last, now)) {
                out.add(v);
            }
        });
        return out;
    }
}
