package io.hedgerow.health;

import io.hedgerow.config.BudgetSettings;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.OptionalDouble;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The hedge budget's {@code max-cost-share}: its arithmetic on literal costs, with a fake ticker. */
class HedgeCostBudgetTest {
    private final AtomicLong now = new AtomicLong();

    private HedgeBudget budget(double ratio, int floor, double maxCostShare) {
        return new HedgeBudget(new BudgetSettings(ratio, floor, Duration.ofSeconds(10), OptionalDouble.of(maxCostShare)),
                               now::get);
    }

    private static int withdrawals(HedgeBudget b, double cost, int tries) {
        int granted = 0;
        for (int i = 0; i < tries; i++) {
            granted += b.tryWithdraw(cost) ? 1 : 0;
        }
        return granted;
    }

    @Test
    void hedgesMayAddAtMostTheCostShareOfWhatRequestsSpend() {
        // The request share never binds here (ratio 1): only money does.
        HedgeBudget b = budget(1.0, 0, 0.1);
        for (int i = 0; i < 100; i++) {
            b.onRequest(0.01);
        }
        assertEquals(1.00, b.spend(), 1e-9);
        // $1.00 spent allows $0.10 of hedges: ten that cost what a request costs...
        assertEquals(10, withdrawals(b, 0.01, 50));
        assertEquals(0.1, b.costShare(), 1e-9);
        // ... and none that costs 15 times as much: it is not "one hedge".
        HedgeBudget dear = budget(1.0, 0, 0.1);
        for (int i = 0; i < 1000; i++) {
            dear.onRequest(0.01);
        }
        // $10 allows $1.00: six hedges of $0.15 ($0.90); a seventh would pass $1.00.
        assertEquals(6, withdrawals(dear, 0.15, 50));
        assertEquals(0.09, dear.costShare(), 1e-9);
    }

    @Test
    void theFloorDoesNotBuyWhatTheMoneyCannot() {
        HedgeBudget b = budget(0.1, 5, 0.05);
        for (int i = 0; i < 10; i++) {
            b.onRequest(0.01);
        }
        // The floor has five hedges this second, but $0.10 spent allows $0.005: a $0.01 hedge is refused...
        assertFalse(b.tryWithdraw(0.01));
        // ... while an unpriced one counts against the request share (and its floor) only.
        assertTrue(b.tryWithdraw(0));
        assertEquals(0, b.hedgeSpend(), 1e-12);
    }

    @Test
    void spendIsRememberedForTenMinutesThenForgotten() {
        HedgeBudget b = budget(1.0, 0, 0.1);
        for (int i = 0; i < 100; i++) {
            b.onRequest(0.01);
        }
        now.addAndGet(Duration.ofMinutes(9).toNanos());
        // Nine minutes on, the request share's ten-second memory is gone (no deposits: ratio * 0), but the floor-free
        // budget still refuses for that reason only; the spend itself is still there.
        assertEquals(1.00, b.spend(), 1e-9);
        now.addAndGet(Duration.ofSeconds(61).toNanos());
        assertEquals(0, b.spend(), 1e-12);
        assertEquals(0, b.costShare(), 1e-12);
    }

    @Test
    void aRefundGivesTheSpendBack() {
        HedgeBudget b = budget(1.0, 0, 0.1);
        for (int i = 0; i < 10; i++) {
            b.onRequest(0.01);
        }
        assertTrue(b.tryWithdraw(0.01));
        assertFalse(b.tryWithdraw(0.01));
        b.refund(0.01);
        assertEquals(0, b.hedgeSpend(), 1e-12);
        assertTrue(b.tryWithdraw(0.01));
    }

    @Test
    void theAffordableShareShrinksWithTheHedgesPrice() {
        HedgeBudget b = budget(0.1, 1, 0.1);
        assertEquals(0.1, b.affordableShare(0.01, 0.01), 1e-12);
        assertEquals(0.1 / 15, b.affordableShare(0.01, 0.15), 1e-12);
        assertEquals(0.05, budget(0.1, 1, 0.05).affordableShare(0.01, 0.01), 1e-12);
        // A cheaper hedge does not raise the request share; unpriced ones leave it as it is.
        assertEquals(0.1, b.affordableShare(0.10, 0.01), 1e-12);
        assertEquals(0.1, b.affordableShare(0, 0.01), 1e-12);
        assertEquals(0.1, b.affordableShare(0.01, 0), 1e-12);
        HedgeBudget uncapped = new HedgeBudget(BudgetSettings.DEFAULTS, now::get);
        assertEquals(0.1, uncapped.affordableShare(0.01, 0.15), 1e-12);
    }
}
