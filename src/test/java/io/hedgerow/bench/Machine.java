package io.hedgerow.bench;

import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * The machine a benchmark ran on, so its figures can be read in context: CPUs the JVM may use, memory, CPU
 * model, OS, the JDK (the router runs on the same one, found by {@code scripts/java-env}) and the load average
 * when the run started (a busy neighbour shows there).
 */
record Machine(int cpus, long memoryMiB, String cpuModel, String os, String jdk, double loadAverage) {

    static Machine describe() {
        return new Machine(Runtime.getRuntime().availableProcessors(),
                           memTotalKiB() / 1024,
                           readCpuModel(),
                           System.getProperty("os.name") + " " + System.getProperty("os.version") + " "
                                   + System.getProperty("os.arch"),
                           System.getProperty("java.vm.vendor", "") + " " + System.getProperty("java.runtime.version"),
                           readLoadAverage());
    }

    /** One line for a table's heading. */
    String summary() {
        return String.format(Locale.ROOT, "%d CPUs (%s), %.1f GiB RAM, %s, JDK %s, load average %.2f at start",
                             cpus, cpuModel, memoryMiB / 1024.0, os, jdk.trim(), loadAverage);
    }

    ObjectNode json() {
        ObjectNode node = Report.MAPPER.createObjectNode();
        node.put("cpus", cpus).put("memory_mib", memoryMiB).put("cpu_model", cpuModel).put("os", os)
                .put("jdk", jdk.trim()).put("load_average_1m", loadAverage);
        return node;
    }

    private static long memTotalKiB() {
        for (String line : lines(Path.of("/proc/meminfo"))) {
            if (line.startsWith("MemTotal:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        return Runtime.getRuntime().maxMemory() / 1024;
    }

    private static String readCpuModel() {
        for (String line : lines(Path.of("/proc/cpuinfo"))) {
            if (line.startsWith("model name")) {
                return line.substring(line.indexOf(':') + 1).trim().replaceAll("\\s+", " ");
            }
        }
        return System.getProperty("os.arch");
    }

    private static double readLoadAverage() {
        List<String> lines = lines(Path.of("/proc/loadavg"));
        return lines.isEmpty() ? -1 : Double.parseDouble(lines.getFirst().split(" ")[0]);
    }

    private static List<String> lines(Path file) {
        try {
            return Files.readAllLines(file);
        } catch (IOException e) {
            return List.of();
        }
    }
}
