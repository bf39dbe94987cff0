package io.hedgerow.preflight;

import java.util.List;

/**
 * Hears the running router's live checks: each result as it is known, and each round's end. Called on the
 * checking thread (never a request's); it must be quick, and an exception it throws is logged and goes no further.
 */
public interface PreflightListener {

    /** A listener that ignores everything. */
    PreflightListener NONE = new PreflightListener() {
        @Override
        public void checked(CheckResult result, List<String> candidates, String trigger) {
        }

        @Override
        public void roundEnded(Round round) {
        }
    };

    /**
     * One check is done.
     *
     * @param candidates the candidates ({@code provider/model}) that use its target
     * @param trigger    what started the round: {@code startup}, {@code interval} or {@code reload}
     */
    void checked(CheckResult result, List<String> candidates, String trigger);

    /** A round that ran at least one check is over. */
    void roundEnded(Round round);
}
