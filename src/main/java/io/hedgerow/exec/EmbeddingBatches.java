package io.hedgerow.exec;

import io.hedgerow.config.EmbeddingBatch;
import io.hedgerow.model.EmbeddingInput;
import io.hedgerow.model.EmbeddingRequest;
import io.hedgerow.model.EmbeddingResponse;
import io.hedgerow.model.Failure;
import io.hedgerow.model.FailureKind;
import io.hedgerow.model.Usage;
import io.hedgerow.route.Candidate;
import io.hedgerow.route.RoutePlan;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An embeddings request larger than one call may be: split into batches within the tightest limits of the route's
 * candidates (inputs per call, estimated tokens per call), each batch served by its own race (so each has its own
 * failover and hedges, on any candidate of the route's one embedding space), at most {@value #PARALLEL} at once, and
 * the vectors put back together in the inputs' order.
 *
 * <p>Splitting keeps the inputs' order: a batch is closed when the next input would take it past a limit. An input
 * larger than the token limit on its own goes alone, and the provider decides. The first batch that fails ends the
 * request: the others are cancelled and its failure is the request's.
 */
final class EmbeddingBatches {
    static final int PARALLEL = 4;

    private EmbeddingBatches() {
    }

    /** One batch's race. */
    @FunctionalInterface
    interface BatchRace {
        Served<EmbeddingResponse> run(EmbeddingRequest batch) throws ChainFailedException;
    }

    /** The tightest limits among the plan's candidates. */
    static EmbeddingBatch limits(RoutePlan plan) {
        EmbeddingBatch limits = new EmbeddingBatch(Integer.MAX_VALUE, Long.MAX_VALUE);
        for (Candidate candidate : plan.candidates()) {
            limits = limits.tightest(candidate.provider().embeddingBatch());
        }
        return limits;
    }

    static List<EmbeddingRequest> split(EmbeddingRequest request, EmbeddingBatch limits) {
        List<EmbeddingRequest> batches = new ArrayList<>();
        List<EmbeddingInput> current = new ArrayList<>();
        long tokens = 0;
        for (EmbeddingInput input : request.inputs()) {
            long size = input.estimatedTokens();
            if (!current.isEmpty() && (current.size() == limits.maxInputs() || tokens + size > limits.maxTokens())) {
                batches.add(request.withInputs(current));
                current = new ArrayList<>();
                tokens = 0;
            }
            current.add(input);
            tokens += size;
        }
        batches.add(request.withInputs(current));
        return batches;
    }

    /**
     * Runs every batch, at most {@value #PARALLEL} at once on virtual threads of their own, and returns the whole
     * answer: every vector in order, the usage summed, served by the first batch's winner, with every batch's
     * attempts in order.
     */
    static Served<EmbeddingResponse> run(String alias, List<EmbeddingRequest> batches, BatchRace race) throws ChainFailedException {
        int n = batches.size();
        List<Served<EmbeddingResponse>> served = new ArrayList<>(java.util.Collections.nCopies(n, null));
        LinkedBlockingQueue<Outcome> outcomes = new LinkedBlockingQueue<>();
        AtomicInteger next = new AtomicInteger();
        List<Thread> workers = new ArrayList<>();
        for (int w = 0; w < Math.min(PARALLEL, n); w++) {
            workers.add(Thread.ofVirtual().name("embedding-batches").start(() -> {
                for (int i = next.getAndIncrement(); i < n; i = next.getAndIncrement()) {
                    try {
                        outcomes.add(new Outcome(i, race.run(batches.get(i)), null));
                    } catch (ChainFailedException e) {
                        outcomes.add(new Outcome(i, null, e));
                        return;
                    } catch (RuntimeException e) {
                        outcomes.add(new Outcome(i, null, new ChainFailedException(
                                alias, List.of(), Failure.of(FailureKind.BAD_RESPONSE, String.valueOf(e)))));
                        return;
                    }
                }
            }));
        }
        try {
            for (int received = 0; received < n; received++) {
                Outcome outcome = outcomes.take();
                if (outcome.failure != null) {
                    throw outcome.failure;
                }
                served.set(outcome.index, outcome.served);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ChainFailedException(alias, List.of(), Failure.of(FailureKind.CANCELLED, "request cancelled"));
        } finally {
            // A failed batch ends the request: the others' races are cancelled (their threads interrupted).
            next.set(n);
            workers.forEach(Thread::interrupt);
        }
        return merged(served);
    }

    private static Served<EmbeddingResponse> merged(List<Served<EmbeddingResponse>> served) {
        List<float[]> vectors = new ArrayList<>();
        Optional<Usage> usage = Optional.empty();
        List<AttemptRecord> attempts = new ArrayList<>();
        for (Served<EmbeddingResponse> batch : served) {
            vectors.addAll(batch.value().vectors());
            if (batch.value().usage().isPresent()) {
                usage = Optional.of(usage.map(u -> u.plus(batch.value().usage().get()))
                                            .orElse(batch.value().usage().get()));
            }
            attempts.addAll(batch.attempts());
        }
        Served<EmbeddingResponse> first = served.getFirst();
        return new Served<>(new EmbeddingResponse(first.value().model(), vectors, usage), first.servedBy(), attempts);
    }

    private record Outcome(int index, Served<EmbeddingResponse> served, ChainFailedException failure) {
    }
}
