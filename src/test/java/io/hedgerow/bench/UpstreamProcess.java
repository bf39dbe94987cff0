package io.hedgerow.bench;

import com.fasterxml.jackson.databind.JsonNode;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A {@link FakeUpstream} in its own JVM (this JVM's java and class path), so its CPU and memory are its own and
 * a benchmark can start several. The child exits when this side closes its standard input, so it never
 * outlives the benchmark.
 */
final class UpstreamProcess implements AutoCloseable {
    private static final Pattern LISTENING = Pattern.compile("listening on (http://127\\.0\\.0\\.1:(\\d+)/v1)");

    private final Process process;
    private final URI baseUrl;
    private final InetSocketAddress address;

    private UpstreamProcess(Process process, URI baseUrl, int port) {
        this.process = process;
        this.baseUrl = baseUrl;
        this.address = new InetSocketAddress("127.0.0.1", port);
    }

    /**
     * Starts a fake with these {@link FakeUpstream#main} arguments (e.g. {@code --chunks 50}) and waits until it
     * listens.
     *
     * @param jvmOptions options for the child JVM, e.g. a heap cap
     */
    static UpstreamProcess start(List<String> jvmOptions, List<String> args, Path log)
            throws IOException, InterruptedException {
        return start(FakeUpstream.class, jvmOptions, args, log);
    }

    /**
     * Starts another bench server with this JVM's class path, e.g. {@link PassThroughProxy}; its {@code main}
     * must print {@code listening on http://127.0.0.1:PORT/v1} and exit when its standard input closes.
     */
    static UpstreamProcess start(Class<?> main, List<String> jvmOptions, List<String> args, Path log)
            throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(jvmOptions);
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(main.getName());
        command.addAll(args);
        Process process = new ProcessBuilder(command)
                .redirectError(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .start();
        CompletableFuture<Matcher> listening = new CompletableFuture<>();
        Thread.ofPlatform().daemon().name("fake-upstream-output").start(() -> {
            try (BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(),
                                                                               StandardCharsets.UTF_8))) {
                String line;
                while ((line = out.readLine()) != null) {
                    Files.writeString(log, line + "\n", StandardOpenOption.CREATE, StandardOpenOption.APPEND);
                    Matcher m = LISTENING.matcher(line);
                    if (m.find()) {
                        listening.complete(m);
                    }
                }
            } catch (IOException e) {
                listening.completeExceptionally(e);
            }
            listening.completeExceptionally(new IOException("the fake upstream exited; see " + log));
        });
        try {
            Matcher m = listening.get(60, TimeUnit.SECONDS);
            return new UpstreamProcess(process, URI.create(m.group(1)), Integer.parseInt(m.group(2)));
        } catch (ExecutionException | TimeoutException e) {
            process.destroyForcibly();
            throw new IOException("the fake upstream did not start; see " + log, e);
        }
    }

    long pid() {
        return process.pid();
    }

    URI baseUrl() {
        return baseUrl;
    }

    InetSocketAddress address() {
        return address;
    }

    /** Its counters: {@code requests}, {@code connections}, {@code streams}, {@code completed_streams},
     * {@code abandoned_streams}. */
    JsonNode stats() throws IOException {
        BenchHttp.Result result = BenchHttp.once(address, BenchHttp.get(address, "/stats"), 5_000);
        return Report.MAPPER.readTree(result.body.toString());
    }

    @Override
    public void close() throws InterruptedException {
        try (PrintWriter in = new PrintWriter(process.getOutputStream())) {
            in.flush();
        }
        if (!process.waitFor(Duration.ofSeconds(10).toMillis(), TimeUnit.MILLISECONDS)) {
            process.destroyForcibly();
            process.waitFor(5, TimeUnit.SECONDS);
        }
    }
}
