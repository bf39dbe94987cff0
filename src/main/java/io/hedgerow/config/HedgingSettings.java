package io.hedgerow.config;


import java.util.Objects;

/** Router-wide hedging: the shared budget, how baselines are kept, demotion, and the routes' default policy. */
public record HedgingSettings(BudgetSettings budget, BaselineSettings baseline, DemotionSettings demotion,
                              HedgeSettings defaults) {
    public static final HedgingSettings DEFAULTS = new HedgingSettings(
            BudgetSettings.DEFAULTS,
            new BaselineSettings(java.time.Duration.ofSeconds(20), 20, java.time.Duration.ofMinutes(10)),
            DemotionSettings.DEFAULTS, HedgeSettings.DEFAULTS);

    public HedgingSettings {
        Objects.requireNonNull(budget, "budget");
        Objects.requireNonNull(baseline, "baseline");
        Objects.requireNonNull(demotion, "demotion");
        Objects.requireNonNull(defaults, "defaults");
    }
}
