package io.hedgerow.api;

import org.junit.jupiter.api.Test;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.is;

class MemoryBudgetTest {

    @Test
    void reservationsShareTheCapacityAndGiveItBack() {
        MemoryBudget budget = new MemoryBudget(100);
        MemoryBudget.Reservation a = budget.open();
        MemoryBudget.Reservation b = budget.open();

        assertThat(a.grow(60), is(true));
        assertThat(b.grow(50), is(false));
        assertThat(b.grow(40), is(true));
        assertThat(budget.used(), is(100L));
        assertThat(a.grow(1), is(false));

        a.close();
        a.close();
        assertThat(budget.used(), is(40L));
        assertThat(a.grow(1), is(false));
        b.close();
        assertThat(budget.used(), is(0L));
    }

    @Test
    void concurrentReservationsNeverOverbook() throws Exception {
        MemoryBudget budget = new MemoryBudget(1_000);
        java.util.concurrent.atomic.AtomicLong granted = new java.util.concurrent.atomic.AtomicLong();
        java.util.List<Thread> threads = new java.util.ArrayList<>();
        for (int t = 0; t < 8; t++) {
            threads.add(Thread.ofPlatform().start(() -> {
                for (int i = 0; i < 10_000; i++) {
                    MemoryBudget.Reservation r = budget.open();
                    if (r.grow(7)) {
                        granted.incrementAndGet();
                        assertThat(budget.used() <= 1_000, is(true));
                    }
                    r.close();
                }
            }));
        }
        for (Thread thread : threads) {
            thread.join();
        }
        assertThat(budget.used(), is(0L));
        assertThat(granted.get() > 0, is(true));
    }
}
