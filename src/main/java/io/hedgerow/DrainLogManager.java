package io.hedgerow;

import java.util.logging.LogManager;

/**
 * The JDK's {@link LogManager}, except that its own shutdown hook does not close the log handlers: that hook runs
 * beside Hedgerow's, which drains requests for up to {@code server.drain-timeout} and must be able to say what it
 * is doing (and what each request it ends got) until the very end. {@link Main} installs it with the system
 * property {@code java.util.logging.manager} before anything logs; handlers flush each record, so nothing is lost
 * when the JVM exits with them open.
 */
public final class DrainLogManager extends LogManager {
    @Override
    public void reset() {
        // The JDK's shutdown hook is a LogManager$Cleaner thread; every other caller (configuration) is obeyed.
        if (Thread.currentThread().getClass().getName().endsWith("LogManager$Cleaner")) {
            return;
        }
        super.reset();
    }
}
