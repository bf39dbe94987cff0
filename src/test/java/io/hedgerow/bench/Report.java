package io.hedgerow.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.HdrHistogram.Histogram;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Output helpers shared by benchmarks: percentiles as JSON, medians across runs, and plain-text tables. */
final class Report {
    static final ObjectMapper MAPPER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    /** The percentiles every latency histogram reports. */
    static final double[] PERCENTILES = {50, 90, 99, 99.9};

    private Report() {
    }

    static double ms(double nanos) {
        return nanos / 1e6;
    }

    /** A latency histogram (nanoseconds) as milliseconds: count, mean, p50, p90, p99, p99.9, max. */
    static ObjectNode histogram(Histogram h) {
        ObjectNode node = MAPPER.createObjectNode();
        node.put("count", h.getTotalCount());
        if (h.getTotalCount() == 0) {
            return node;
        }
        node.put("mean_ms", round(ms(h.getMean())));
        for (double p : PERCENTILES) {
            node.put(percentileKey(p) + "_ms", round(ms(h.getValueAtPercentile(p))));
        }
        node.put("max_ms", round(ms(h.getMaxValue())));
        return node;
    }

    /** {@code p50}, {@code p99}, {@code p99.9}. */
    static String percentileKey(double p) {
        return p == Math.rint(p) ? "p" + (long) p : "p" + p;
    }

    static double round(double value) {
        return Math.round(value * 10_000) / 10_000.0;
    }

    /** The median of each metric across runs; a metric missing from a run is left out of its median. */
    static Map<String, Double> medians(Collection<Map<String, Double>> runs) {
        Map<String, List<Double>> values = new LinkedHashMap<>();
        for (Map<String, Double> run : runs) {
            run.forEach((key, value) -> {
                if (value != null && !value.isNaN()) {
                    values.computeIfAbsent(key, k -> new ArrayList<>()).add(value);
                }
            });
        }
        Map<String, Double> medians = new LinkedHashMap<>();
        values.forEach((key, list) -> medians.put(key, median(list)));
        return medians;
    }

    static double median(List<Double> values) {
        double[] sorted = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    static void write(Path file, ObjectNode json) throws IOException {
        Files.createDirectories(file.getParent());
        MAPPER.writeValue(file.toFile(), json);
    }

    /** A plain-text table: left-aligned first column, right-aligned others, a rule under the heading. */
    static final class Table {
        private final List<String[]> rows = new ArrayList<>();
        private final String[] heading;

        Table(String... heading) {
            this.heading = heading;
        }

        Table row(Object... cells) {
            String[] row = new String[heading.length];
            Arrays.fill(row, "");
            for (int i = 0; i < cells.length && i < row.length; i++) {
                row[i] = String.valueOf(cells[i]);
            }
            rows.add(row);
            return this;
        }

        /** A row with a single cell spanning the table: a section title. */
        Table section(String title) {
            rows.add(new String[] {title});
            return this;
        }

        void print(PrintStream out) {
            int[] width = new int[heading.length];
            for (int i = 0; i < heading.length; i++) {
                width[i] = heading[i].length();
            }
            for (String[] row : rows) {
                if (row.length == heading.length) {
                    for (int i = 0; i < row.length; i++) {
                        width[i] = Math.max(width[i], row[i].length());
                    }
                }
            }
            out.println(format(heading, width));
            StringBuilder rule = new StringBuilder();
            for (int i = 0; i < width.length; i++) {
                rule.append(i == 0 ? "" : "  ").append("-".repeat(width[i]));
            }
            out.println(rule);
            for (String[] row : rows) {
                out.println(row.length == heading.length ? format(row, width) : row[0]);
            }
        }

        /** The same table in Markdown, for docs/performance.md. */
        void printMarkdown(PrintStream out) {
            out.println("| " + String.join(" | ", heading) + " |");
            StringBuilder rule = new StringBuilder("|");
            for (int i = 0; i < heading.length; i++) {
                rule.append(i == 0 ? " --- |" : " ---: |");
            }
            out.println(rule);
            for (String[] row : rows) {
                if (row.length == heading.length) {
                    out.println("| " + String.join(" | ", row) + " |");
                } else {
                    String[] cells = new String[heading.length];
                    Arrays.fill(cells, "");
                    cells[0] = "**" + row[0] + "**";
                    out.println("| " + String.join(" | ", cells) + " |");
                }
            }
        }

        private static String format(String[] row, int[] width) {
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < row.length; i++) {
                if (i > 0) {
                    line.append("  ");
                }
                String cell = row[i];
                String pad = " ".repeat(width[i] - cell.length());
                line.append(i == 0 ? cell + pad : pad + cell);
            }
            return line.toString().stripTrailing();
        }
    }

    static String fmt(String pattern, Object... args) {
        return String.format(Locale.ROOT, pattern, args);
    }
}
