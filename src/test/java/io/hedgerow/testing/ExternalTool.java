package io.hedgerow.testing;

import org.junit.jupiter.api.Assumptions;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * A program a test drives (promtool, chromium). Where it is missing, the test is skipped with a message saying
 * how to install it, except on CI ({@code CI} set), where {@code .ci/run} installs it and a missing tool fails.
 */
public final class ExternalTool {
    private ExternalTool() {
    }

    /** The program's path, or the test is skipped (or failed on CI). */
    public static Path require(String name, String debianPackage) {
        Optional<Path> found = find(name);
        if (found.isPresent()) {
            return found.get();
        }
        String message = name + " is not installed (apt-get install -y " + debianPackage + "); .ci/run installs it";
        if (System.getenv("CI") != null) {
            throw new AssertionError(message);
        }
        Assumptions.assumeTrue(false, message);
        throw new IllegalStateException("unreachable");
    }

    public static Optional<Path> find(String name) {
        String path = System.getenv("PATH");
        for (String dir : (path == null ? "/usr/bin:/bin" : path + ":/usr/bin").split(File.pathSeparator)) {
            Path candidate = Path.of(dir, name);
            if (Files.isExecutable(candidate)) {
                return Optional.of(candidate);
            }
        }
        return Optional.empty();
    }
}
