package io.hedgerow.config;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.is;

/**
 * docs/configuration.md and the binders agree: every key the loader reads ({@link ConfigLoader#schema()}) is described
 * in the reference, and every key the reference describes is one the loader reads. A key is described under the
 * heading of the longest section that holds it ({@code ## `providers.NAME`}), in a table row of its own
 * ({@code | `timeouts` |}, {@code | `retry.max-attempts` |}), or named in backticks in the row of the part that holds it
 * ({@code median} in the row of {@code first-token}) or, for a section without a table, in its text.
 */
class ConfigReferenceTest {
    private static final Path REFERENCE = Path.of("docs/configuration.md");
    private static final Pattern HEADING = Pattern.compile("^## `([^`]+)`.*$");
    private static final Pattern CODE = Pattern.compile("`([^`]+)`");

    /** One section of the reference: its text, and its table's rows by key (a row may describe several keys). */
    private record Section(String path, StringBuilder text, Map<String, String> rows) {
    }

    @Test
    void everyKeyTheLoaderReadsIsInTheReference() throws IOException {
        Map<String, Section> sections = sections();
        List<String> missing = new ArrayList<>();
        for (String key : schemaKeys()) {
            if (!described(key, sections)) {
                missing.add(key);
            }
        }
        assertThat("keys the loader reads that docs/configuration.md does not describe", missing, is(empty()));
    }

    @Test
    void everyKeyTheReferenceDescribesIsOneTheLoaderReads() throws IOException {
        Set<String> keys = schemaKeys();
        List<String> unknown = new ArrayList<>();
        for (Section section : sections().values()) {
            if (!keys.contains(section.path) && keys.stream().noneMatch(k -> k.startsWith(section.path + "."))) {
                unknown.add("## " + section.path);
            }
            for (String row : section.rows.keySet()) {
                String full = section.path + "." + row;
                if (!keys.contains(full) && keys.stream().noneMatch(k -> k.startsWith(full + "."))) {
                    unknown.add(full);
                }
            }
        }
        assertThat(sections().size(), greaterThan(5));
        assertThat("keys docs/configuration.md describes that the loader does not read", unknown, is(empty()));
    }

    /**
     * The schema the reference is held to is the whole of what the loader accepts: every {@link Keys} a class of this
     * package declares (each binder's, however many are added) is listed by {@link ConfigLoader#schema()}, so a key
     * cannot be read, yet left out of the reference because its binder was left out of the schema.
     */
    @Test
    void everyKeysDeclaredInThePackageIsInTheSchema() throws Exception {
        Path classes = Path.of("target/classes/io/hedgerow/config");
        List<Keys> declared = new ArrayList<>();
        try (var files = Files.list(classes)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".class")).sorted().toList()) {
                String name = file.getFileName().toString().replace(".class", "");
                Class<?> type = Class.forName("io.hedgerow.config." + name, false, getClass().getClassLoader());
                for (java.lang.reflect.Field field : type.getDeclaredFields()) {
                    if (java.lang.reflect.Modifier.isStatic(field.getModifiers()) && field.getType() == Keys.class) {
                        field.setAccessible(true);
                        declared.add((Keys) field.get(null));
                    }
                }
            }
        }
        List<Keys> schema = ConfigLoader.schema();
        assertThat(declared.size(), greaterThan(20));
        assertThat("Keys declared but not in ConfigLoader.schema()",
                   declared.stream().filter(k -> !schema.contains(k)).toList(), is(empty()));
    }

    /** Every key as a dotted path, list items folded into their list: {@code providers.NAME.keys.label}. */
    private static Set<String> schemaKeys() {
        Set<String> keys = new TreeSet<>();
        for (Keys k : ConfigLoader.schema()) {
            String section = k.section().replace("[i]", "");
            for (String name : k.names()) {
                keys.add(section.isEmpty() ? name : section + "." + name);
            }
        }
        return keys;
    }

    private static boolean described(String key, Map<String, Section> sections) {
        // A section of its own, or the parent of one (defaults -> `defaults.timeouts`).
        if (sections.keySet().stream().anyMatch(p -> p.equals(key) || p.startsWith(key + "."))) {
            return true;
        }
        Section home = null;
        for (Section s : sections.values()) {
            if (key.startsWith(s.path + ".") && (home == null || s.path.length() > home.path.length())) {
                home = s;
            }
        }
        if (home == null) {
            return false;
        }
        String rest = key.substring(home.path.length() + 1);
        String last = rest.substring(rest.lastIndexOf('.') + 1);
        for (Map.Entry<String, String> row : home.rows.entrySet()) {
            String r = row.getKey();
            if (r.equals(rest) || r.startsWith(rest + ".")) {
                return true;
            }
            if (rest.startsWith(r + ".") && mentions(row.getValue(), last)) {
                return true;
            }
        }
        return home.rows.isEmpty() && mentions(home.text.toString(), last);
    }

    /** Whether {@code word} is a key-like word of {@code text}: not part of a longer key. */
    private static boolean mentions(String text, String word) {
        return Pattern.compile("(?<![\\w-])" + Pattern.quote(word) + "(?![\\w-])").matcher(text).find();
    }

    private static Map<String, Section> sections() throws IOException {
        Map<String, Section> sections = new LinkedHashMap<>();
        Section current = null;
        for (String line : Files.readAllLines(REFERENCE)) {
            Matcher h = HEADING.matcher(line);
            if (h.matches()) {
                current = new Section(h.group(1), new StringBuilder(), new LinkedHashMap<>());
                sections.put(current.path, current);
                continue;
            }
            if (line.startsWith("## ")) {
                current = null; // a heading that is not a section of the file
            }
            if (current == null) {
                continue;
            }
            current.text.append(line).append('\n');
            if (line.startsWith("| `")) {
                String firstCell = line.substring(1, line.indexOf('|', 1));
                Matcher code = CODE.matcher(firstCell);
                while (code.find()) {
                    current.rows.put(code.group(1), line);
                }
            }
        }
        return sections;
    }
}
