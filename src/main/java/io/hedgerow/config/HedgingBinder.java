package io.hedgerow.config;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * Binds {@code hedging}: the budget, latency baselines, demotion and the default hedge policy, which routes override
 * through {@link #hedge}.
 */
final class HedgingBinder {
    static final Keys HEDGING = Keys.of("hedging", "budget", "baseline", "demotion", "defaults");
    static final Keys BUDGET = Keys.of("hedging.budget", "ratio", "min-per-second", "ttl", "max-cost-share");
    static final Keys BASELINE = Keys.of("hedging.baseline", "window", "min-samples", "half-life");
    static final Keys DEMOTION = Keys.of("hedging.demotion", "factor", "slow-share", "recover-factor", "probe-share",
                                         "floor", "compare-factor");
    static final Keys HEDGE = Keys.of("hedging.defaults", "enabled", "delay", "min-delay", "max-delay",
                                      "warmup-delay", "max-in-flight", "same-provider");

    static List<Keys> keys() {
        return List.of(HEDGING, BUDGET, BASELINE, DEMOTION, HEDGE);
    }

    HedgingSettings bind(ConfigNode node) {
        node.check(HEDGING);
        HedgingSettings d = HedgingSettings.DEFAULTS;
        return new HedgingSettings(budget(node.get("budget"), d.budget()), baseline(node.get("baseline"), d.baseline()),
                                   demotion(node.get("demotion"), d.demotion()), hedge(node.get("defaults"), d.defaults()));
    }

    private static BudgetSettings budget(ConfigNode b, BudgetSettings d) {
        b.check(BUDGET);
        ConfigNode cost = b.get("max-cost-share");
        java.util.OptionalDouble maxCostShare = d.maxCostShare();
        Optional<String> costText = cost.text();
        if (costText.isPresent()) {
            maxCostShare = costText.get().trim().equals("none") ? java.util.OptionalDouble.empty()
                    : cost.number(0, 1).map(java.util.OptionalDouble::of).orElse(d.maxCostShare());
        }
        java.util.OptionalDouble finalCostShare = maxCostShare;
        return b.build(() -> new BudgetSettings(
                b.get("ratio").number(0, 1).orElse(d.ratio()),
                b.get("min-per-second").integer(0, 100_000).orElse(d.minPerSecond()),
                b.get("ttl").positive().orElse(d.ttl()), finalCostShare), d);
    }

    private static BaselineSettings baseline(ConfigNode l, BaselineSettings d) {
        l.check(BASELINE);
        return l.build(() -> new BaselineSettings(
                l.get("window").positive().orElse(d.window()),
                l.get("min-samples").integer(1, 1_000_000).orElse(d.minSamples()),
                l.get("half-life").positive().orElse(d.halfLife())), d);
    }

    private static DemotionSettings demotion(ConfigNode m, DemotionSettings d) {
        m.check(DEMOTION);
        DemotionSettings demotion = new DemotionSettings(
                m.get("factor").number(1, 100).orElse(d.factor()),
                m.get("slow-share").number(0, 1).orElse(d.slowShare()),
                m.get("recover-factor").number(1, 100).orElse(d.recoverFactor()),
                m.get("probe-share").number(0, 1).orElse(d.probeShare()),
                m.get("floor").duration().orElse(d.floor()),
                m.get("compare-factor").number(0, 100).orElse(d.compareFactor()));
        if (demotion.compareFactor() > 0 && demotion.compareFactor() < 1.2) {
            m.get("compare-factor").error("'" + demotion.compareFactor() + "' (expected: 0 for off, or 1.2..100)");
        }
        if (demotion.recoverFactor() > demotion.factor()) {
            m.get("recover-factor").error("'" + demotion.recoverFactor() + "' (expected: at most factor, "
                    + demotion.factor() + ")");
        }
        return demotion;
    }

    /** A hedge policy over {@code d}: {@code hedging.defaults}, or a route's {@code hedge} map. */
    static HedgeSettings hedge(ConfigNode node, HedgeSettings d) {
        node.check(HEDGE);
        HedgeSettings.Delay delay = delay(node.get("delay")).orElse(d.delay());
        ConfigNode minNode = node.get("min-delay");
        Duration min = minNode.positive().orElse(d.minDelay());
        Duration max = node.get("max-delay").positive().orElse(d.maxDelay());
        if (min.compareTo(max) > 0) {
            minNode.error("'" + Checks.human(min) + "' (expected: at most max-delay, " + Checks.human(max) + ")");
        }
        Optional<Duration> warmup = d.warmupDelay();
        ConfigNode warmupNode = node.get("warmup-delay");
        Optional<String> warmupText = warmupNode.text();
        if (warmupText.isPresent()) {
            if (warmupText.get().trim().equals("none")) {
                warmup = Optional.empty();
            } else {
                Optional<Duration> fixed = Units.duration(warmupText.get());
                if (fixed.isEmpty()) {
                    warmupNode.error("'" + warmupText.get() + "' (expected: none, or a duration such as 1s)");
                }
                warmup = fixed.or(d::warmupDelay);
            }
        }
        return new HedgeSettings(node.get("enabled").bool().orElse(d.enabled()), delay, min, max, warmup,
                                 node.get("max-in-flight").integer(1, 8).orElse(d.maxInFlight()),
                                 node.get("same-provider").bool().orElse(d.sameProvider()));
    }

    /** {@code auto}, a percentile ({@code p95}) or a fixed duration ({@code 800ms}). */
    private static Optional<HedgeSettings.Delay> delay(ConfigNode node) {
        return node.text().map(String::trim).flatMap(v -> {
            if (v.equals("auto")) {
                return Optional.of(new HedgeSettings.Delay.Auto());
            }
            if (v.matches("p\\d+(\\.\\d+)?")) {
                double p = Double.parseDouble(v.substring(1));
                if (p < 1 || p > 99.99) {
                    node.error("'" + v + "' (expected: a percentile between p1 and p99.99)");
                    return Optional.empty();
                }
                return Optional.of(new HedgeSettings.Delay.Percentile(p));
            }
            Optional<Duration> fixed = Units.duration(v);
            if (fixed.isEmpty()) {
                node.error("'" + v + "' (expected: auto, a percentile such as p95, or a duration such as 800ms)");
            }
            return fixed.map(HedgeSettings.Delay.Fixed::new);
        });
    }
}
