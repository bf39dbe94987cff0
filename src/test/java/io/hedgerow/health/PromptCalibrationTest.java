package io.hedgerow.health;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Estimates corrected by reported usage. */
class PromptCalibrationTest {
    @Test
    void estimatesMoveToTheProvidersCount() {
        PromptCalibration c = new PromptCalibration();
        assertEquals(1000, c.tokens(1000));
        // A tokenizer counting a token per 3 characters reports 4/3 of our estimate.
        for (int i = 0; i < 10; i++) {
            c.observe(3000, 4000);
        }
        assertEquals(4 / 3.0, c.factor(), 1e-9);
        assertEquals(1333, c.tokens(1000));
    }

    @Test
    void itFollowsAChangeOverItsMemoryAndIgnoresNonsense() {
        PromptCalibration c = new PromptCalibration();
        for (int i = 0; i < 200; i++) {
            c.observe(1000, 2000);
        }
        for (int i = 0; i < 200; i++) {
            c.observe(1000, 1000);
        }
        // 200 answers at 1.0 after 200 at 2.0, with a memory of 64: (1 - 1/64)^200 of the old ratio is left.
        assertEquals(1 + Math.pow(1 - 1 / 64.0, 200), c.factor(), 1e-6);
        c.observe(0, 100);
        c.observe(100, 0);
        assertEquals(1 + Math.pow(1 - 1 / 64.0, 200), c.factor(), 1e-6);
        // One absurd report moves it by at most (4 - mean) / 64.
        double before = c.factor();
        c.observe(10, 1_000_000);
        assertEquals(before + (4 - before) / 64, c.factor(), 1e-9);
    }
}
