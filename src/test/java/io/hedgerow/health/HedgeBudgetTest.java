package io.hedgerow.health;

import io.hedgerow.config.BudgetSettings;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.closeTo;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.lessThanOrEqualTo;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The hedge budget's arithmetic with a fake ticker: deposits, the per-second floor, expiry after ttl. */
class HedgeBudgetTest {
    private final AtomicLong now = new AtomicLong();
    private final HedgeBudget budget = new HedgeBudget(BudgetSettings.DEFAULTS, now::get); // 0.1, 1/s, 10s

    private void advance(Duration d) {
        now.addAndGet(d.toNanos());
    }

    private void requests(HedgeBudget b, int n) {
        for (int i = 0; i < n; i++) {
            b.onRequest();
        }
    }

    private static int withdrawals(HedgeBudget b, int tries) {
        int granted = 0;
        for (int i = 0; i < tries; i++) {
            if (b.tryWithdraw()) {
                granted++;
            }
        }
        return granted;
    }

    @Test
    void aThousandRequestsAllowAHundredHedgesPlusTheFloorAndNoMore() {
        requests(budget, 1000);
        assertThat(budget.balance(), closeTo(101, 1e-9));
        assertThat(withdrawals(budget, 500), is(101));
        assertThat(budget.balance(), closeTo(0, 1e-9));
        assertFalse(budget.tryWithdraw());
    }

    @Test
    void fractionalDepositsAddUp() {
        requests(budget, 15); // 1.5 tokens
        assertThat(withdrawals(budget, 10), is(2)); // one from deposits, one from the floor
        assertThat(budget.balance(), closeTo(0.5, 1e-9));
        requests(budget, 5);
        assertTrue(budget.tryWithdraw());
    }

    @Test
    void depositsExpireAfterTtl() {
        requests(budget, 1000);
        advance(Duration.ofMillis(9_999));
        assertThat(budget.balance(), closeTo(101, 1e-9));
        advance(Duration.ofMillis(1)); // t=10s: the t=0 second has left the window
        assertThat(budget.balance(), closeTo(1, 1e-9));
        assertThat(withdrawals(budget, 10), is(1));
    }

    @Test
    void theFloorRefillsEverySecond() {
        assertTrue(budget.tryWithdraw());
        assertFalse(budget.tryWithdraw());
        advance(Duration.ofMillis(999));
        assertFalse(budget.tryWithdraw());
        advance(Duration.ofMillis(1));
        assertTrue(budget.tryWithdraw());
        assertFalse(budget.tryWithdraw());
        advance(Duration.ofMinutes(5));
        assertThat(budget.balance(), closeTo(1, 1e-9));
    }

    @Test
    void noRatioAndNoFloorMeansNoHedges() {
        HedgeBudget none = new HedgeBudget(new BudgetSettings(0, 0, Duration.ofSeconds(10)), now::get);
        requests(none, 10_000);
        assertThat(withdrawals(none, 10), is(0));
    }

    @Test
    void chargesExpireWithTheirSecondToo() {
        requests(budget, 1000);
        assertThat(withdrawals(budget, 200), is(101));
        advance(Duration.ofSeconds(5));
        requests(budget, 1000);
        assertThat(withdrawals(budget, 200), is(101)); // 200 deposited - 100 charged, plus a fresh floor
        advance(Duration.ofSeconds(5)); // t=10s: the first second's deposits and charges leave together
        assertThat(budget.balance(), closeTo(100 - 100 + 1, 1e-9));
    }

    @Test
    void steadyTrafficNeverExceedsTheBound() {
        // Each second: 100 requests, then 50 attempts to hedge. Deposits give 10 a second, the floor 1.
        List<Integer> granted = new ArrayList<>();
        for (int second = 0; second < 60; second++) {
            requests(budget, 100);
            granted.add(withdrawals(budget, 50));
            int from = Math.max(0, second - 9);
            int hedgesInTtl = granted.subList(from, second + 1).stream().mapToInt(Integer::intValue).sum();
            int requestsInTtl = 100 * (second + 1 - from);
            assertThat(hedgesInTtl, lessThanOrEqualTo((int) (0.1 * requestsInTtl) + 10));
            advance(Duration.ofSeconds(1));
        }
        assertThat(granted.stream().distinct().toList(), is(List.of(11)));
    }

    @Test
    void settingsAreValidated() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                                                  () -> new BudgetSettings(1.5, 1, Duration.ofSeconds(10)));
        assertThat(e.getMessage(), is("hedge-budget.ratio: 1.5 (expected: 0..1)"));
        e = assertThrows(IllegalArgumentException.class, () -> new BudgetSettings(0.1, 1, Duration.ofMillis(500)));
        assertThat(e.getMessage(), is("hedge-budget.ttl: 500ms (expected: 1s..10m)"));
        e = assertThrows(IllegalArgumentException.class, () -> new BudgetSettings(0.1, -1, Duration.ofSeconds(10)));
        assertThat(e.getMessage(), is("hedge-budget.min-per-second: -1 (expected: at least 0)"));
        assertThat(new BudgetSettings(0.1, 1, Duration.ofMillis(2_500)).ttlSeconds(), is(3));
    }

    @Test
    void concurrentWithdrawalsNeverOverdraw() throws Exception {
        Concurrently.run(100, t -> requests(budget, 10));
        AtomicInteger granted = new AtomicInteger();
        Concurrently.run(500, t -> {
            if (budget.tryWithdraw()) {
                granted.incrementAndGet();
            }
        });
        assertThat(granted.get(), is(101));
        assertThat(budget.balance(), closeTo(0, 1e-9));
    }
}
