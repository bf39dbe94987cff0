package io.hedgerow.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real {@code redis-server} (Debian's package) on a free loopback port, started by the test itself: no
 * persistence, no Docker. Skipped off CI when it is not installed, failed on CI ({@link ExternalTool}).
 * {@link #stop()} kills it the hard way (what a crashed Redis looks like to the router); {@link #start()} brings it
 * back on the same port, empty.
 */
public final class RedisServer implements AutoCloseable {
    private final Path binary;
    private final int port;
    private Process process;

    private RedisServer(Path binary, int port) {
        this.binary = binary;
        this.port = port;
    }

    /** Starts one, or skips the test (fails it on CI) when redis-server is not installed. */
    public static RedisServer start() {
        RedisServer server = new RedisServer(ExternalTool.require("redis-server", "redis-server"), freePort());
        server.restart();
        return server;
    }

    public int port() {
        return port;
    }

    public String url() {
        return "redis://127.0.0.1:" + port;
    }

    /** Starts it again on its port (after {@link #stop()}), and waits until it answers. */
    public synchronized void restart() {
        if (process != null && process.isAlive()) {
            return;
        }
        try {
            process = new ProcessBuilder(binary.toString(), "--port", String.valueOf(port), "--bind", "127.0.0.1",
                                         "--save", "", "--appendonly", "no", "--protected-mode", "yes",
                                         "--loglevel", "warning")
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (true) {
            try {
                if (command("PING").equals("+PONG")) {
                    return;
                }
            } catch (IOException e) {
                // not listening yet
            }
            if (!process.isAlive() || System.nanoTime() - deadline > 0) {
                throw new IllegalStateException("redis-server did not start on port " + port);
            }
            java.util.concurrent.locks.LockSupport.parkNanos(10_000_000L); // nothing to wait on but its port
        }
    }

    /** Kills it (SIGKILL): connections drop at once, nothing is saved. */
    public synchronized void stop() {
        if (process != null) {
            process.destroyForcibly();
            try {
                process.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Sends one inline command and returns the first line of the reply, e.g. {@code +PONG} or {@code :3}. */
    public String command(String... words) throws IOException {
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
            socket.setSoTimeout(5_000);
            OutputStream out = socket.getOutputStream();
            StringBuilder resp = new StringBuilder("*" + words.length + "\r\n");
            for (String w : words) {
                byte[] b = w.getBytes(StandardCharsets.UTF_8);
                resp.append('$').append(b.length).append("\r\n").append(w).append("\r\n");
            }
            out.write(resp.toString().getBytes(StandardCharsets.UTF_8));
            out.flush();
            BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
            String line = in.readLine();
            if (line != null && line.startsWith("$") && !line.equals("$-1")) {
                return in.readLine();
            }
            return line == null ? "" : line;
        }
    }

    /** The keys matching a pattern (KEYS: fine for a test's tiny database). */
    public List<String> keys(String pattern) throws IOException {
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
            socket.setSoTimeout(5_000);
            byte[] p = pattern.getBytes(StandardCharsets.UTF_8);
            socket.getOutputStream().write(("*2\r\n$4\r\nKEYS\r\n$" + p.length + "\r\n" + pattern + "\r\n")
                                                   .getBytes(StandardCharsets.UTF_8));
            BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
            String header = in.readLine();
            int n = Integer.parseInt(header.substring(1));
            java.util.ArrayList<String> keys = new java.util.ArrayList<>();
            for (int i = 0; i < n; i++) {
                in.readLine();
                keys.add(in.readLine());
            }
            return keys;
        }
    }

    @Override
    public void close() {
        stop();
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
