package io.hedgerow.bench;

import java.time.Duration;
import java.util.Objects;
import java.util.SplittableRandom;

/**
 * Time to first token as a function of the request, for one provider: a heavy-tailed base (queueing, scheduling:
 * {@link LatencyUpstream.Model}) plus prefill, {@code prefillPerKiloToken} for every thousand prompt tokens the
 * provider does not read from its prompt cache. Two providers serving the same model differ in base and prefill rate.
 *
 * <p>A request's latency is a pure function of the provider's seed, the request's id and its size, so the
 * benchmark can compute after a run what each provider <em>would</em> have taken for every request it sent — also
 * for the requests a provider never saw — and judge the router against yardsticks computed on exactly those
 * samples, not on a fresh draw of the same distributions.
 *
 * @param base                 the size-independent part
 * @param prefillPerKiloToken  prefill time per 1000 uncached prompt tokens
 * @param generation           for whole (non-streamed) answers: the time from first token to the end
 */
record PromptLatency(LatencyUpstream.Model base, Duration prefillPerKiloToken, Duration generation) {
    PromptLatency {
        Objects.requireNonNull(base, "base");
        Objects.requireNonNull(prefillPerKiloToken, "prefillPerKiloToken");
        Objects.requireNonNull(generation, "generation");
    }

    /** Time to first token, in nanoseconds, of request {@code id} with {@code promptTokens} uncached tokens. */
    long firstTokenNanos(long seed, long id, long promptTokens) {
        SplittableRandom random = new SplittableRandom(mix(seed, id));
        return base.sampleNanos(random) + prefillNanos(promptTokens);
    }

    /** Time to the whole answer (not streamed): first token, then the generation. */
    long wholeAnswerNanos(long seed, long id, long promptTokens) {
        return firstTokenNanos(seed, id, promptTokens) + generation.toNanos();
    }

    long nanos(long seed, long id, long promptTokens, boolean streamed) {
        return streamed ? firstTokenNanos(seed, id, promptTokens) : wholeAnswerNanos(seed, id, promptTokens);
    }

    long prefillNanos(long promptTokens) {
        return prefillPerKiloToken.toNanos() * promptTokens / 1000;
    }

    /**
     * What is typical for a request of this size: the median of the base distribution (estimated once from many
     * draws) plus its prefill; the denominator of a request's slowdown.
     */
    double typicalNanos(long promptTokens, boolean streamed, double baseMedianNanos) {
        return baseMedianNanos + prefillNanos(promptTokens) + (streamed ? 0 : generation.toNanos());
    }

    /** The median of the base distribution, from {@code draws} samples of a fixed seed. */
    double baseMedianNanos(int draws) {
        SplittableRandom random = new SplittableRandom(7);
        double[] samples = new double[draws];
        for (int i = 0; i < draws; i++) {
            samples[i] = base.sampleNanos(random);
        }
        java.util.Arrays.sort(samples);
        return samples[draws / 2];
    }

    /** A seed per (provider, request): SplittableRandom mixes it further, so adjacent ids are independent. */
    private static long mix(long seed, long id) {
        long z = seed * 0x9E3779B97F4A7C15L + id;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
