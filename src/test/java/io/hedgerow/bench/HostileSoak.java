package io.hedgerow.bench;

import org.HdrHistogram.Histogram;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code scripts/bench hostile [--seconds 60]}: the fat jar on the run script's heap, with its default limits, under
 * every kind of hostile client at once, while a legitimate client sends a chat request every 100 ms on a fresh
 * connection. Hostile: silent connections beyond {@code max-connections}, heads and bodies dripped a byte at a time,
 * pipelined requests, 8 MiB bodies of empty objects, chunked bodies at the size limit and chunks declared past it,
 * broken chunks, and clients that reset mid-body. Prints the heap used (sampled each second from the router's own
 * metrics) against its maximum, what the legitimate client got (every request must be a 200) and its latency, and
 * whether the router logged an {@code OutOfMemoryError}. Exit code 1 when a legitimate request failed or the heap ran
 * out.
 */
public final class HostileSoak {
    private static final String CHAT = "{\"model\":\"quick\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
    private static final int MAX_BODY = 8 * 1024 * 1024;

    private HostileSoak() {
    }

    public static void main(String[] args) throws Exception {
        int seconds = 60;
        for (int i = 0; i + 1 < args.length; i += 2) {
            if (!args[i].equals("--seconds")) {
                throw new IllegalArgumentException("unknown argument '" + args[i] + "'");
            }
            seconds = Integer.parseInt(args[i + 1]);
        }
        Path root = Path.of("").toAbsolutePath();
        Path outDir = root.resolve("target/bench");
        Files.createDirectories(outDir);
        Path log = outDir.resolve("hostile.log");
        Files.deleteIfExists(log);
        int port;
        try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = socket.getLocalPort();
        }
        Path config = outDir.resolve("hostile-router.yaml");
        Files.writeString(config, """
                server: {host: 127.0.0.1, port: %d}
                observe: {events: off, preflight: off}
                providers:
                  sim: {type: sim, sim: {first-token: 1ms, tokens-per-second: 0, answer-tokens: 3}}
                routes:
                  quick: {chain: [sim/tiny]}
                """.formatted(port));
        InetSocketAddress address = new InetSocketAddress("127.0.0.1", port);
        byte[] legit = BenchHttp.post(address, "/v1/chat/completions", CHAT);
        int failures;
        try (RouterProcess router = RouterProcess.start(root, config, port, System.getenv().getOrDefault(
                "JAVA_OPTS", ""), log, legit, Duration.ofSeconds(60))) {
            System.out.println("router: " + router.commandLine());
            long[] baseline = router.heapBytes();
            long end = System.nanoTime() + Duration.ofSeconds(seconds).toNanos();
            List<Thread> hostile = new ArrayList<>();
            AtomicLong hostileConnections = new AtomicLong();
            ConcurrentLinkedQueue<Socket> silent = new ConcurrentLinkedQueue<>();
            hostile.add(loop("silent", end, () -> {
                // Keeps 600 silent connections open: past max-connections (512).
                while (silent.size() < 600) {
                    silent.add(connect(address));
                    hostileConnections.incrementAndGet();
                }
                silent.removeIf(Socket::isClosed);
                Thread.sleep(50);
                silent.removeIf(s -> closedByPeer(s));
            }));
            for (int i = 0; i < 50; i++) {
                hostile.add(loop("slow head", end, () -> drip(address, "POST /v1/chat/completions HTTP/1.1\r\nX-A: "
                        + "a".repeat(4000), end, hostileConnections)));
            }
            for (int i = 0; i < 20; i++) {
                hostile.add(loop("slow body", end, () -> drip(address, head("Content-Length: 1048576\r\n")
                        + "{\"model\":\"quick\",\"messages\":[" + "{},".repeat(2000), end, hostileConnections)));
            }
            byte[] objects = body("{}");
            for (int i = 0; i < 8; i++) {
                hostile.add(loop("pathological", end, () -> send(address, (head("Content-Length: " + objects.length
                        + "\r\n")).getBytes(StandardCharsets.US_ASCII), objects, hostileConnections)));
            }
            byte[] chunkAtLimit = chunked(MAX_BODY - 16);
            for (int i = 0; i < 8; i++) {
                hostile.add(loop("chunk at limit", end, () -> send(address, head("Transfer-Encoding: chunked\r\n")
                        .getBytes(StandardCharsets.US_ASCII), chunkAtLimit, hostileConnections)));
            }
            for (int i = 0; i < 4; i++) {
                hostile.add(loop("chunk past limit", end, () -> send(address, (head("Transfer-Encoding: chunked\r\n")
                        + Integer.toHexString(64 * 1024 * 1024) + "\r\n").getBytes(StandardCharsets.US_ASCII),
                        new byte[1024 * 1024], hostileConnections)));
                hostile.add(loop("broken chunk", end, () -> send(address, (head("Transfer-Encoding: chunked\r\n")
                        + "zz\r\n").getBytes(StandardCharsets.US_ASCII), new byte[256 * 1024], hostileConnections)));
                hostile.add(loop("pipelined", end, () -> send(address, new String(legit, StandardCharsets.US_ASCII)
                        .repeat(20).getBytes(StandardCharsets.US_ASCII), new byte[0], hostileConnections)));
                hostile.add(loop("reset mid-body", end, () -> {
                    try (Socket s = connect(address)) {
                        hostileConnections.incrementAndGet();
                        s.getOutputStream().write((head("Content-Length: 100000\r\n") + "{\"model\":")
                                .getBytes(StandardCharsets.US_ASCII));
                        s.setSoLinger(true, 0);
                    }
                }));
            }
            // The legitimate client, and the heap, until the end.
            Histogram latency = new Histogram(3);
            long ok = 0;
            List<String> failed = new ArrayList<>();
            long maxHeap = 0;
            long heapMax = 0;
            long nextSample = 0;
            while (System.nanoTime() < end) {
                long started = System.nanoTime();
                try {
                    BenchHttp.Result result = BenchHttp.once(address, legit, 30_000);
                    latency.recordValue(Math.max(1, System.nanoTime() - started));
                    if (result.status == 200) {
                        ok++;
                    } else {
                        failed.add(String.valueOf(result.status));
                    }
                } catch (IOException e) {
                    failed.add(e.toString());
                }
                if (System.nanoTime() >= nextSample) {
                    long[] heap = router.heapBytes();
                    maxHeap = Math.max(maxHeap, heap[0]);
                    heapMax = Math.max(heapMax, heap[1]);
                    nextSample = System.nanoTime() + 1_000_000_000L;
                }
                Thread.sleep(100);
            }
            for (Thread t : hostile) {
                t.join(60_000);
            }
            silent.forEach(HostileSoak::closeQuietly);
            Thread.sleep(2_000);
            BenchHttp.Result ready = BenchHttp.once(address, BenchHttp.get(address, "/observe/health/ready"), 10_000);
            long[] after = router.heapBytes();
            String output = Files.readString(log);
            boolean oom = output.contains("OutOfMemoryError");
            failures = failed.size() + (oom ? 1 : 0) + (ready.status == 200 ? 0 : 1);
            System.out.println(String.format(Locale.ROOT, "%d s of hostile clients (%d hostile connections opened); "
                                                     + "heap used: baseline %d MB, max sampled %d MB (committed "
                                                     + "up to %d MB), after %d MB; OutOfMemoryError: %s; ready "
                                                     + "after: %d", seconds, hostileConnections.get(),
                                             baseline[0] >> 20, maxHeap >> 20, heapMax >> 20, after[0] >> 20,
                                             oom ? "YES" : "no", ready.status));
            System.out.println(String.format(Locale.ROOT, "legitimate client: %d ok, %d failed %s; latency p50 %.1f "
                                                     + "p99 %.1f max %.1f ms", ok, failed.size(),
                                             failed.stream().distinct().limit(5).toList(),
                                             latency.getValueAtPercentile(50) / 1e6,
                                             latency.getValueAtPercentile(99) / 1e6, latency.getMaxValue() / 1e6));
        }
        System.exit(failures == 0 ? 0 : 1);
    }

    private interface Step {
        void run() throws Exception;
    }

    /** A virtual thread repeating {@code step} until {@code end}; a failed step (a reset, a cut) just repeats. */
    private static Thread loop(String name, long end, Step step) {
        return Thread.ofVirtual().name("hostile-" + name).start(() -> {
            while (System.nanoTime() < end) {
                try {
                    step.run();
                } catch (Exception e) {
                    try {
                        Thread.sleep(10);
                    } catch (InterruptedException ie) {
                        return;
                    }
                }
            }
        });
    }

    private static Socket connect(InetSocketAddress address) throws IOException {
        Socket socket = new Socket();
        socket.connect(address, 10_000);
        socket.setSoTimeout(30_000);
        return socket;
    }

    private static boolean closedByPeer(Socket socket) {
        try {
            socket.setSoTimeout(1);
            return socket.getInputStream().read() < 0;
        } catch (java.net.SocketTimeoutException e) {
            return false;
        } catch (IOException e) {
            return true;
        }
    }

    private static void closeQuietly(Socket socket) {
        try {
            socket.close();
        } catch (IOException e) {
            // gone already
        }
    }

    /** Sends {@code text} a byte every 100 ms until the router cuts the connection (or the end). */
    private static void drip(InetSocketAddress address, String text, long end, AtomicLong count) throws Exception {
        try (Socket socket = connect(address)) {
            count.incrementAndGet();
            OutputStream out = socket.getOutputStream();
            for (byte b : text.getBytes(StandardCharsets.US_ASCII)) {
                if (System.nanoTime() >= end) {
                    return;
                }
                out.write(b);
                out.flush();
                Thread.sleep(100);
            }
        }
    }

    /** Sends a head and a body, then reads whatever comes back until the router closes. */
    private static void send(InetSocketAddress address, byte[] head, byte[] body, AtomicLong count) throws Exception {
        try (Socket socket = connect(address)) {
            count.incrementAndGet();
            OutputStream out = socket.getOutputStream();
            out.write(head);
            out.write(body);
            out.flush();
            socket.shutdownOutput();
            InputStream in = socket.getInputStream();
            in.transferTo(OutputStream.nullOutputStream());
        }
    }

    private static String head(String extra) {
        return "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" + extra + "\r\n";
    }

    /** A chat request whose messages are {@code element}s filling the body limit. */
    private static byte[] body(String element) {
        StringBuilder sb = new StringBuilder(MAX_BODY).append("{\"model\":\"quick\",\"messages\":[");
        for (int i = 0; sb.length() < MAX_BODY - 64; i++) {
            sb.append(i == 0 ? "" : ",").append(element);
        }
        return sb.append("]}").toString().getBytes(StandardCharsets.UTF_8);
    }

    /** One chunk of {@code size} bytes of a long JSON string, then the last chunk. */
    private static byte[] chunked(int size) {
        String json = "{\"model\":\"quick\",\"messages\":[{\"role\":\"user\",\"content\":\""
                + "x".repeat(size - 64) ;
        json = json + "\"}]}";
        return (Integer.toHexString(json.length()) + "\r\n" + json + "\r\n0\r\n\r\n").getBytes(StandardCharsets.UTF_8);
    }
}
