package io.hedgerow.observe;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmInfoMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;

import java.io.IOException;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.OperatingSystemMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * JVM and process meters with Prometheus-conventional names, once per JVM: Micrometer's JVM binders (memory,
 * buffers, GC pauses, threads, classes, uptime, open files) plus process CPU and resident memory. Helidon's own
 * "system meters" are not used: names such as {@code thread_count} break Prometheus' naming rules (a gauge must
 * not end in {@code _count}), and so do two of Micrometer's processor meters, replaced here.
 */
final class JvmMeters {
    private static final AtomicBoolean BOUND = new AtomicBoolean();
    private static final Path STATM = Path.of("/proc/self/statm");
    private static final long PAGE_SIZE = 4096;

    private JvmMeters() {
    }

    static void bindOnce(MeterRegistry registry) {
        if (!BOUND.compareAndSet(false, true)) {
            return;
        }
        new JvmMemoryMetrics().bindTo(registry);
        // Not Micrometer's JvmGcMetrics: it registers its pause timers lazily, on the GC notification thread, and
        // a meter registered straight on Micrometer while Helidon registers one can deadlock (the two registries
        // take each other's locks in opposite orders). Every meter here is registered once, at start.
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            FunctionCounter.builder("jvm.gc.collections", gc, b -> Math.max(0, b.getCollectionCount()))
                    .tag("gc", gc.getName()).description("Garbage collections").register(registry);
            FunctionCounter.builder("jvm.gc.collection", gc, b -> Math.max(0, b.getCollectionTime()) / 1000.0)
                    .tag("gc", gc.getName()).baseUnit("seconds")
                    .description("Time spent in garbage collection (approximate)").register(registry);
        }
        new JvmThreadMetrics().bindTo(registry);
        new ClassLoaderMetrics().bindTo(registry);
        new JvmInfoMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        new FileDescriptorMetrics().bindTo(registry);
        OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
        if (os instanceof com.sun.management.OperatingSystemMXBean sun) {
            FunctionCounter.builder("process.cpu", sun, b -> Math.max(0, b.getProcessCpuTime()) / 1e9)
                    .baseUnit("seconds").description("CPU time used by the process").register(registry);
            Gauge.builder("process.cpu.usage", sun, b -> Math.max(0, b.getProcessCpuLoad()))
                    .description("Recent CPU usage of the process, 0..1 of all cores").register(registry);
        }
        Gauge.builder("system.load.average.1m", os, OperatingSystemMXBean::getSystemLoadAverage)
                .description("System load average over the last minute").register(registry);
        Gauge.builder("system.cpus", os, OperatingSystemMXBean::getAvailableProcessors)
                .description("Processors available to the JVM").register(registry);
        if (Files.isReadable(STATM)) {
            Gauge.builder("process.resident.memory", () -> residentBytes())
                    .baseUnit("bytes").description("Resident set size of the process (Linux)").register(registry);
        }
    }

    /** The second field of {@code /proc/self/statm}: resident pages. */
    private static double residentBytes() {
        try {
            String[] fields = Files.readString(STATM).trim().split("\\s+");
            return Long.parseLong(fields[1]) * PAGE_SIZE;
        } catch (IOException | RuntimeException e) {
            return Double.NaN;
        }
    }
}
