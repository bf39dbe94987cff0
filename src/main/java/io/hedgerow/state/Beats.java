package io.hedgerow.state;

import java.util.List;

/** Runs a store's beat tasks ({@link StateStore#onBeat}): one that fails is logged and the others still run. */
final class Beats {
    private static final System.Logger LOG = System.getLogger(Beats.class.getName());

    private Beats() {
    }

    static void run(List<Runnable> tasks) {
        for (Runnable task : tasks) {
            try {
                task.run();
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "state: a beat task failed", e);
            }
        }
    }
}
