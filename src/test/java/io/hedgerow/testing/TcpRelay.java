package io.hedgerow.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A loopback TCP relay in front of a fake upstream, for what the upstream's HTTP server does not tell: which
 * connections the router opened, and when the router closed each. Bytes are copied both ways untouched; when the
 * router closes its side (or resets it), the relay closes the upstream side too, so the upstream sees the close as
 * well. Connections are numbered from 0 in the order they were accepted.
 *
 * <p>Thread-safety: one virtual thread accepts, two copy each connection; the records are guarded by this object.
 */
public final class TcpRelay implements AutoCloseable {
    private final ServerSocket listener;
    private final int target;
    private final List<Link> links = new ArrayList<>();
    private volatile boolean closed;
    private volatile long delayNanos;

    private TcpRelay(int target) throws IOException {
        this.target = target;
        this.listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread.ofVirtual().name("relay-accept").start(this::accept);
    }

    /** Starts a relay on a free loopback port to this port of loopback. */
    public static TcpRelay to(int port) {
        try {
            return new TcpRelay(port);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public int port() {
        return listener.getLocalPort();
    }

    /**
     * From now on, holds every chunk the target sends back for {@code delay} before passing it on: a slow server or
     * a slow network, as the router sees it (each round trip takes at least {@code delay} more).
     */
    public TcpRelay delay(Duration delay) {
        this.delayNanos = delay.toNanos();
        return this;
    }

    /** How many connections the router opened so far. */
    public synchronized int connections() {
        return links.size();
    }

    /** The numbers of the connections still open now. */
    public synchronized List<Integer> open() {
        List<Integer> open = new ArrayList<>();
        for (int i = 0; i < links.size(); i++) {
            if (!links.get(i).closedByRouter) {
                open.add(i);
            }
        }
        return open;
    }

    /** Waits until the router has closed connection {@code number}; false on timeout. */
    public synchronized boolean awaitClosedByRouter(int number, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (number >= links.size() || !links.get(number).closedByRouter) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            TimeUnit.NANOSECONDS.timedWait(this, left);
        }
        return true;
    }

    @Override
    public void close() {
        closed = true;
        try {
            listener.close();
        } catch (IOException ignored) {
            // closing anyway
        }
        List<Link> all;
        synchronized (this) {
            all = List.copyOf(links);
        }
        all.forEach(Link::closeBoth);
    }

    private void accept() {
        while (!closed) {
            Socket router;
            try {
                router = listener.accept();
            } catch (IOException e) {
                return;
            }
            try {
                Socket upstream = new Socket(InetAddress.getLoopbackAddress(), target);
                router.setTcpNoDelay(true);
                upstream.setTcpNoDelay(true);
                Link link = new Link(router, upstream);
                synchronized (this) {
                    links.add(link);
                    notifyAll();
                }
                Thread.ofVirtual().name("relay-up").start(() -> copy(link, router, upstream, true));
                Thread.ofVirtual().name("relay-down").start(() -> copy(link, upstream, router, false));
            } catch (IOException e) {
                closeQuietly(router);
            }
        }
    }

    /** Copies until one side ends; an end on the router's side is the router closing the connection. */
    private void copy(Link link, Socket from, Socket to, boolean fromRouter) {
        byte[] buffer = new byte[16 * 1024];
        try (InputStream in = from.getInputStream()) {
            OutputStream out = to.getOutputStream();
            int n;
            while ((n = in.read(buffer)) >= 0) {
                long hold = fromRouter ? 0 : delayNanos;
                if (hold > 0) {
                    java.util.concurrent.locks.LockSupport.parkNanos(hold);
                }
                out.write(buffer, 0, n);
                out.flush();
            }
        } catch (IOException e) {
            // a reset, or the other copy closed both sockets: the end either way
        }
        if (fromRouter && !link.upstreamEnded) {
            synchronized (this) {
                link.closedByRouter = true;
                notifyAll();
            }
        } else if (!fromRouter) {
            link.upstreamEnded = true;
        }
        link.closeBoth();
    }

    private static void closeQuietly(Socket socket) {
        try {
            socket.close();
        } catch (IOException ignored) {
            // already gone
        }
    }

    /** One relayed connection. */
    private static final class Link {
        final Socket router;
        final Socket upstream;
        volatile boolean closedByRouter;
        volatile boolean upstreamEnded;

        Link(Socket router, Socket upstream) {
            this.router = router;
            this.upstream = upstream;
        }

        void closeBoth() {
            closeQuietly(router);
            closeQuietly(upstream);
        }
    }
}
