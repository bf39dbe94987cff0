package io.hedgerow;

import io.hedgerow.config.ConfigLoader;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.lessThanOrEqualTo;

/**
 * The README and {@code docs/} hold together: every relative link points at a file that exists and, with a
 * {@code #fragment}, at a heading of that file (GitHub's anchor rules); {@code docs/README.md} links every page
 * and every {@code ##} section of it; every YAML example is a config the loader accepts; the README stays short.
 */
class DocsTest {
    private static final Path DOCS = Path.of("docs");
    private static final Pattern LINK = Pattern.compile("\\[[^\\]]*\\]\\(([^)\\s]+)\\)");
    private static final Pattern HEADING = Pattern.compile("^(#{1,6}) (.+)$");

    @Test
    void everyRelativeLinkResolvesToAFileAndHeading() throws IOException {
        List<String> broken = new ArrayList<>();
        for (Path page : pages()) {
            for (String target : links(page)) {
                if (target.matches("^[a-z]+:.*")) {
                    continue; // http:, https:, mailto:
                }
                String file = target.contains("#") ? target.substring(0, target.indexOf('#')) : target;
                String fragment = target.contains("#") ? target.substring(target.indexOf('#') + 1) : "";
                Path resolved = file.isEmpty() ? page : page.resolveSibling(file).normalize();
                if (!Files.exists(resolved)) {
                    broken.add(page + ": " + target + " (no such file)");
                } else if (!fragment.isEmpty() && !anchors(resolved).contains(fragment)) {
                    broken.add(page + ": " + target + " (no such heading; there are " + anchors(resolved) + ")");
                }
            }
        }
        assertThat("broken links", broken, is(empty()));
    }

    @Test
    void theIndexLinksEveryPageAndSection() throws IOException {
        Set<String> indexLinks = new TreeSet<>(links(DOCS.resolve("README.md")));
        List<String> missing = new ArrayList<>();
        try (Stream<Path> files = Files.list(DOCS)) {
            for (Path page : files.filter(p -> p.toString().endsWith(".md")).sorted().toList()) {
                String name = page.getFileName().toString();
                if (name.equals("README.md")) {
                    continue;
                }
                if (!indexLinks.contains(name)) {
                    missing.add(name);
                }
                for (String heading : headings(page, 2)) {
                    String link = name + "#" + anchor(heading);
                    if (!indexLinks.contains(link)) {
                        missing.add(link + " (section \"" + heading + "\")");
                    }
                }
            }
        }
        assertThat("pages and sections docs/README.md does not link", missing, is(empty()));
    }

    /**
     * Every YAML example of the README and docs/ is a config the loader reads without an error: no key it would
     * refuse, no value of the wrong type. Variables resolve to a placeholder, and an example may leave out the
     * providers and routes or name a provider it does not show (examples show one part of a file).
     */
    @Test
    void everyYamlExampleLoadsWithoutAnError(@TempDir Path dir) throws IOException {
        List<String> problems = new ArrayList<>();
        int examples = 0;
        for (Path page : pages()) {
            List<String> lines = Files.readAllLines(page);
            for (int i = 0; i < lines.size(); i++) {
                if (!lines.get(i).trim().equals("```yaml")) {
                    continue;
                }
                int first = i + 1;
                StringBuilder yaml = new StringBuilder();
                for (i = first; i < lines.size() && !lines.get(i).trim().startsWith("```"); i++) {
                    yaml.append(lines.get(i)).append('\n');
                }
                examples++;
                Path file = dir.resolve("example-" + examples + ".yaml");
                Files.writeString(file, yaml);
                // OpenTelemetry's standard variables stay unset: the loader reads them as they are (an endpoint URL).
                ConfigLoader.Result result = ConfigLoader.load(file, name -> name.startsWith("OTEL_")
                        ? Optional.empty() : Optional.of("placeholder-0123456789"));
                result.errors().stream()
                        .filter(e -> !e.contains("which is not configured") && !e.contains(": none configured"))
                        .forEach(e -> problems.add(page + ":" + first + ": " + e));
            }
        }
        assertThat(examples, greaterThan(5));
        assertThat("YAML examples the loader refuses", problems, is(empty()));
    }

    @Test
    void theReadmeStaysShort() throws IOException {
        assertThat(Files.readAllLines(Path.of("README.md")).size(), lessThanOrEqualTo(250));
    }

    private static List<Path> pages() throws IOException {
        List<Path> pages = new ArrayList<>();
        pages.add(Path.of("README.md"));
        try (Stream<Path> files = Files.list(DOCS)) {
            files.filter(p -> p.toString().endsWith(".md")).sorted().forEach(pages::add);
        }
        return pages;
    }

    private static List<String> links(Path page) throws IOException {
        List<String> out = new ArrayList<>();
        boolean fence = false;
        for (String line : Files.readAllLines(page)) {
            if (line.startsWith("```")) {
                fence = !fence;
            }
            if (fence) {
                continue;
            }
            // code spans may hold brackets and parentheses that are not links
            Matcher m = LINK.matcher(line.replaceAll("`[^`]*`", "``"));
            while (m.find()) {
                out.add(m.group(1));
            }
        }
        return out;
    }

    /** Headings of exactly {@code level} (0: every level), outside code fences. */
    private static List<String> headings(Path page, int level) throws IOException {
        List<String> out = new ArrayList<>();
        boolean fence = false;
        for (String line : Files.readAllLines(page)) {
            if (line.startsWith("```")) {
                fence = !fence;
            }
            Matcher m = HEADING.matcher(line);
            if (!fence && m.matches() && (level == 0 || m.group(1).length() == level)) {
                out.add(m.group(2));
            }
        }
        return out;
    }

    private static Set<String> anchors(Path page) throws IOException {
        Set<String> out = new LinkedHashSet<>();
        for (String heading : headings(page, 0)) {
            String base = anchor(heading);
            String a = base;
            for (int i = 1; out.contains(a); i++) {
                a = base + "-" + i;
            }
            out.add(a);
        }
        return out;
    }

    /** GitHub's heading anchor: lower case, punctuation dropped except '-' and '_', spaces to '-'. */
    static String anchor(String heading) {
        return heading.toLowerCase(Locale.ROOT).replaceAll("[^\\p{L}\\p{N}\\-_ ]", "").replace(' ', '-');
    }
}
