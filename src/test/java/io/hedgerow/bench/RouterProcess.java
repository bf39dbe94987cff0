package io.hedgerow.bench;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Hedgerow as users run it, in its own process: {@code scripts/run --config FILE --port N}, so the JVM flags are
 * the run script's own (heap cap, GC, class-data sharing). Start-up time is from launching the process to the
 * first {@code 200} answer to a real chat request; memory is read from outside ({@code VmRSS} in
 * {@code /proc/PID/status}) and from the router's own metrics (heap).
 */
final class RouterProcess implements AutoCloseable {
    // Micrometer's JVM binders: one series per heap pool, summed.
    private static final Pattern USED_HEAP = Pattern.compile("(?m)^jvm_memory_used_bytes\\{area=\"heap\"[^}]*} (\\S+)");
    private static final Pattern COMMITTED_HEAP =
            Pattern.compile("(?m)^jvm_memory_committed_bytes\\{area=\"heap\"[^}]*} (\\S+)");

    private final Process process;
    private final InetSocketAddress address;
    private final long startupNanos;

    private RouterProcess(Process process, InetSocketAddress address, long startupNanos) {
        this.process = process;
        this.address = address;
        this.startupNanos = startupNanos;
    }

    /**
     * Launches the router and waits for its first served request.
     *
     * @param root     the project directory (where {@code scripts/run} is)
     * @param javaOpts extra JVM options ({@code JAVA_OPTS}), e.g. a flight recording
     * @param probe    the request to repeat until it is answered with 200
     */
    static RouterProcess start(Path root, Path config, int port, String javaOpts, Path log, byte[] probe,
                               Duration timeout) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(root.resolve("scripts/run").toString(),
                                                       "--config", config.toString(), "--port", String.valueOf(port)));
        ProcessBuilder builder = new ProcessBuilder(command).directory(root.toFile())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        Map<String, String> env = builder.environment();
        env.put("JAVA_OPTS", javaOpts);
        InetSocketAddress address = new InetSocketAddress("127.0.0.1", port);
        long launched = System.nanoTime();
        Process process = builder.start();
        long deadline = launched + timeout.toNanos();
        while (true) {
            if (!process.isAlive()) {
                throw new IOException("the router exited with " + process.exitValue() + " before serving; see " + log);
            }
            try {
                // A cold JVM's first answer on a loaded machine can take many seconds: wait for it up to the deadline.
                int readMillis = (int) Math.max(5_000, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()));
                BenchHttp.Result result = BenchHttp.once(address, probe, readMillis);
                if (result.status == 200) {
                    return new RouterProcess(process, address, System.nanoTime() - launched);
                }
                process.destroyForcibly();
                throw new IOException("the router answered the first request with " + result.status + ": "
                                              + result.body);
            } catch (ConnectException e) {
                // not listening yet
            }
            if (System.nanoTime() - deadline > 0) {
                process.destroyForcibly();
                throw new IOException("the router did not serve within " + timeout.toSeconds() + " s; see " + log);
            }
            Thread.sleep(2);
        }
    }

    InetSocketAddress address() {
        return address;
    }

    long startupNanos() {
        return startupNanos;
    }

    long pid() {
        return process.pid();
    }

    /** Resident set size in bytes, from {@code /proc/PID/status}; empty when it cannot be read. */
    OptionalLong rssBytes() {
        return status("VmRSS:");
    }

    /**
     * The anonymous part of the RSS (heap, code cache, metaspace, thread stacks): the rest is file pages, mostly
     * the class-data archive and the jar, which are shared and can be dropped under memory pressure.
     */
    OptionalLong rssAnonBytes() {
        return status("RssAnon:");
    }

    private OptionalLong status(String field) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/" + process.pid() + "/status"))) {
                if (line.startsWith(field)) {
                    return OptionalLong.of(Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024);
                }
            }
        } catch (IOException | RuntimeException e) {
            // the process is gone or /proc is not there: no figure
        }
        return OptionalLong.empty();
    }

    /** Used and committed heap in bytes, from the router's Prometheus metrics; {-1, -1} when unavailable. */
    long[] heapBytes() {
        try {
            BenchHttp.Result result = BenchHttp.once(address, BenchHttp.get(address, "/observe/metrics"), 5_000);
            String body = result.body.toString();
            return new long[] {gauge(USED_HEAP, body), gauge(COMMITTED_HEAP, body)};
        } catch (IOException | RuntimeException e) {
            return new long[] {-1, -1};
        }
    }

    private static long gauge(Pattern pattern, String text) {
        Matcher m = pattern.matcher(text);
        double sum = 0;
        boolean found = false;
        while (m.find()) {
            sum += Double.parseDouble(m.group(1));
            found = true;
        }
        return found ? (long) sum : -1;
    }

    /** The JVM the run script started (not a shell): its command line, to check the flags. */
    String commandLine() {
        try {
            byte[] raw = Files.readAllBytes(Path.of("/proc/" + process.pid() + "/cmdline"));
            return new String(raw, StandardCharsets.UTF_8).replace('\0', ' ').trim();
        } catch (IOException e) {
            return "";
        }
    }

    /** Stops the router (SIGTERM, so shutdown hooks and archive dumps run), killing it if it does not stop. */
    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(20, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            process.waitFor(5, TimeUnit.SECONDS);
        }
    }
}
