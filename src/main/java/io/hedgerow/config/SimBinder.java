package io.hedgerow.config;

import java.util.List;

/** Binds {@code providers.NAME.sim}: the simulated provider's latency, speed, answer length and faults. */
final class SimBinder {
    static final Keys SIM = Keys.of("providers.NAME.sim", "first-token", "tokens-per-second", "answer-tokens", "faults");
    static final Keys LATENCY = Keys.of("providers.NAME.sim.first-token", "median", "sigma", "slow-fraction",
                                        "slow-factor");
    static final Keys FAULTS = Keys.of("providers.NAME.sim.faults", "rate-limited", "server-error", "cut-stream");

    private SimBinder() {
    }

    static List<Keys> keys() {
        return List.of(SIM, LATENCY, FAULTS);
    }

    static SimSettings bind(ConfigNode node) {
        node.check(SIM);
        SimSettings d = SimSettings.DEFAULTS;
        ConfigNode latency = node.get("first-token");
        SimSettings.LatencyModel firstToken = d.firstToken();
        if (latency.isScalar()) {
            // A plain duration is a fixed delay.
            firstToken = new SimSettings.LatencyModel(latency.duration().orElse(d.firstToken().median()), 0, 0, 1);
        } else if (latency.exists()) {
            latency.check(LATENCY);
            firstToken = new SimSettings.LatencyModel(
                    latency.get("median").duration().orElse(d.firstToken().median()),
                    latency.get("sigma").number(0, 5).orElse(d.firstToken().sigma()),
                    latency.get("slow-fraction").number(0, 1).orElse(0.0),
                    latency.get("slow-factor").number(1, 1000).orElse(1.0));
        }
        ConfigNode faultsNode = node.get("faults");
        faultsNode.check(FAULTS);
        SimSettings.Faults faults = new SimSettings.Faults(
                faultsNode.get("rate-limited").number(0, 1).orElse(0.0),
                faultsNode.get("server-error").number(0, 1).orElse(0.0),
                faultsNode.get("cut-stream").number(0, 1).orElse(0.0));
        if (faults.rateLimited() + faults.serverError() > 1) {
            faultsNode.error("rate-limited + server-error exceed 1");
        }
        return new SimSettings(firstToken, node.get("tokens-per-second").number(0, 1e6).orElse(d.tokensPerSecond()),
                               node.get("answer-tokens").integer(1, 100_000).orElse(d.answerTokens()), faults);
    }
}
