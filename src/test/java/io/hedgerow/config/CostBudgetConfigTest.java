package io.hedgerow.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.OptionalDouble;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.is;

/** {@code hedging.budget.max-cost-share}: read, defaulted, turned off and refused out of range. */
class CostBudgetConfigTest {
    @TempDir
    Path dir;

    private ConfigLoader.Result load(String budget) throws IOException {
        Path file = dir.resolve("hedgerow.yaml");
        Files.writeString(file, """
                hedging:
                  budget: %s
                providers:
                  a: {type: sim}
                  b: {type: sim}
                routes:
                  r: {chain: [a/x, b/x]}
                """.formatted(budget));
        return ConfigLoader.load(file, name -> Optional.empty());
    }

    @Test
    void readsTheCostShare() throws IOException {
        ConfigLoader.Result result = load("{ratio: 0.05, max-cost-share: 0.02}");
        assertThat(result.errors(), is(empty()));
        assertThat(result.config().orElseThrow().hedging().budget(),
                   is(new BudgetSettings(0.05, 1, Duration.ofSeconds(10), OptionalDouble.of(0.02))));
    }

    @Test
    void noCostCapByDefaultOrWithNone() throws IOException {
        assertThat(load("{ratio: 0.1}").config().orElseThrow().hedging().budget().maxCostShare(),
                   is(OptionalDouble.empty()));
        assertThat(load("{max-cost-share: none}").config().orElseThrow().hedging().budget().maxCostShare(),
                   is(OptionalDouble.empty()));
    }

    @Test
    void refusesAShareOutOfRange() throws IOException {
        assertThat(load("{max-cost-share: 1.5}").errors(),
                   contains("hedging.budget.max-cost-share: '1.5' (expected: a number in 0..1)"));
        assertThat(load("{max-cost-share: lots}").errors(),
                   contains("hedging.budget.max-cost-share: 'lots' (expected: a number in 0..1)"));
    }
}
