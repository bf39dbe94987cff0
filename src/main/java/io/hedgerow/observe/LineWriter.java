package io.hedgerow.observe;

import io.hedgerow.time.Daemon;

import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.LongFunction;

/**
 * Writes lines (events to standard output or a file) on a thread of its own, so a request's thread never waits for
 * a slow terminal, a full pipe or a disk, and never queues behind another request's write. Bounded: when the
 * writer falls {@code capacity} lines behind, further lines are dropped and counted, and once it catches up the
 * count is written as a line of its own. Lines are written whole, one at a time, in the order they were handed in.
 *
 * <p>Thread-safe: {@link #accept} never blocks.
 */
final class LineWriter implements Consumer<String>, AutoCloseable {
    private static final System.Logger LOG = System.getLogger(LineWriter.class.getName());
    /** Queued by {@link #close()}: everything before it has been written. Compared by identity. */
    @SuppressWarnings("StringOperationCanBeSimplified")
    private static final String END = new String("end");

    private final ArrayBlockingQueue<String> queue;
    private final Consumer<String> sink;
    private final LongFunction<String> droppedLine;
    private final AtomicLong dropped = new AtomicLong();
    private final Daemon daemon;
    private final CountDownLatch ended = new CountDownLatch(1);

    /**
     * @param sink        where lines go, on the writer's thread
     * @param droppedLine the line that reports {@code n} lines dropped
     */
    LineWriter(String name, int capacity, Consumer<String> sink, LongFunction<String> droppedLine) {
        this.queue = new ArrayBlockingQueue<>(capacity);
        this.sink = sink;
        this.droppedLine = droppedLine;
        this.daemon = Daemon.loop(name, this::writeNext);
    }

    @Override
    public void accept(String line) {
        if (!queue.offer(line)) {
            dropped.incrementAndGet();
        }
    }

    private void writeNext() throws InterruptedException {
        String line = queue.take();
        if (line == END) {
            reportDropped();
            ended.countDown();
            return;
        }
        write(line);
        if (queue.isEmpty()) {
            reportDropped();
        }
    }

    private void reportDropped() {
        long lost = dropped.getAndSet(0);
        if (lost > 0) {
            write(droppedLine.apply(lost));
        }
    }

    private void write(String line) {
        try {
            sink.accept(line);
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "cannot write an event line", e);
        }
    }

    /**
     * Writes what is queued (waiting up to 10 s for a slow sink), then stops the writer's thread. Lines handed in
     * after this are dropped.
     */
    @Override
    public void close() {
        try {
            if (queue.offer(END, 10, TimeUnit.SECONDS)) {
                ended.await(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            daemon.close();
        }
    }
}
