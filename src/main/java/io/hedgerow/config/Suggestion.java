package io.hedgerow.config;

import java.util.Collection;
import java.util.Locale;
import java.util.Optional;

/**
 * The known name a mistyped one most likely meant: the nearest by edit distance (after folding case and
 * {@code _}/{@code -}), when it is near enough to be a typo rather than another word: at most 2 edits, or a third of
 * the name's length for long names; else one that shares a stem of at least 4 letters (hedging: hedge).
 */
final class Suggestion {
    private Suggestion() {
    }

    static Optional<String> nearest(String typed, Collection<String> known) {
        String t = fold(typed);
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (String k : known) {
            int d = distance(t, fold(k));
            if (d < bestDistance) {
                best = k;
                bestDistance = d;
            }
        }
        int allowed = Math.max(2, t.length() / 3);
        if (best != null && bestDistance <= allowed) {
            return Optional.of(best);
        }
        // Another form of the same word: hedging for hedge, timeout for timeouts.
        for (String k : known) {
            String f = fold(k);
            int common = 0;
            while (common < Math.min(f.length(), t.length()) && f.charAt(common) == t.charAt(common)) {
                common++;
            }
            if (common >= 4 && common * 2 >= Math.min(f.length(), t.length())) {
                return Optional.of(k);
            }
        }
        return Optional.empty();
    }

    /** The other section that has {@code typed} as a key ({@code cooldowns} under a provider: {@code failover}). */
    static Optional<String> elsewhere(String typed, Keys here) {
        return ConfigLoader.schema().stream()
                .filter(k -> !k.section().equals(here.section()) && k.contains(typed))
                .map(k -> k.section().isEmpty() ? "the top level" : k.section())
                .findFirst();
    }

    private static String fold(String s) {
        return s.toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /** Levenshtein distance, with a swap of two neighbours counted as one edit (Damerau's restricted form). */
    static int distance(String a, String b) {
        int[][] d = new int[a.length() + 1][b.length() + 1];
        for (int i = 0; i <= a.length(); i++) {
            d[i][0] = i;
        }
        for (int j = 0; j <= b.length(); j++) {
            d[0][j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                d[i][j] = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
                if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1)) {
                    d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
                }
            }
        }
        return d[a.length()][b.length()];
    }
}
