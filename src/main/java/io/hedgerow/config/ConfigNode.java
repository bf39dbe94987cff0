package io.hedgerow.config;

import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;

import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * One place in the config file, read as a type: the typed reader every binder uses. A value that cannot be read
 * is reported once to the shared {@link ConfigProblems} in the house shape ({@code name: 'value' (expected: ...)})
 * and comes back empty, so a binder falls back to its default and carries on: every problem of a file is found in
 * one pass. A key that is absent (or written with no value) reads as empty without a problem.
 */
final class ConfigNode {
    private final String path;
    private final String name;
    private final Node yaml; // null: absent
    private final ConfigProblems problems;

    private ConfigNode(String path, String name, Node yaml, ConfigProblems problems) {
        this.path = path;
        this.name = name;
        this.yaml = yaml == null || YamlFile.isNull(yaml) ? null : yaml;
        this.problems = problems;
    }

    static ConfigNode root(Optional<Node> yaml, ConfigProblems problems) {
        return new ConfigNode("", "", yaml.orElse(null), problems);
    }

    /** Where this is, as problems name it: {@code providers.openai.keys[0]}. */
    String path() {
        return path;
    }

    /** The key this node is under (a provider's or route's name), or {@code [i]} for a list item. */
    String name() {
        return name;
    }

    boolean exists() {
        return yaml != null;
    }

    boolean isMap() {
        return yaml instanceof MappingNode;
    }

    boolean isList() {
        return yaml instanceof SequenceNode;
    }

    boolean isScalar() {
        return yaml instanceof ScalarNode;
    }

    /** The value under {@code key} of this mapping (absent when there is none, or this is not a mapping). */
    ConfigNode get(String key) {
        Node child = null;
        if (yaml instanceof MappingNode map) {
            for (NodeTuple t : map.getValue()) {
                if (YamlFile.keyText(t).equals(key)) {
                    child = t.getValueNode(); // a key written twice: the last one counts, as YAML loaders do
                }
            }
        }
        return new ConfigNode(childPath(key), key, child, problems);
    }

    /** The entries of this mapping, in the file's order (a key written twice: its last value, in its first place). */
    List<ConfigNode> entries() {
        if (!(yaml instanceof MappingNode map)) {
            return List.of();
        }
        Map<String, Node> byKey = new LinkedHashMap<>();
        for (NodeTuple t : map.getValue()) {
            byKey.put(YamlFile.keyText(t), t.getValueNode());
        }
        List<ConfigNode> out = new ArrayList<>();
        byKey.forEach((k, v) -> out.add(new ConfigNode(childPath(k), k, v, problems)));
        return out;
    }

    /** The items of this list, named {@code path[i]}. */
    List<ConfigNode> items() {
        if (!(yaml instanceof SequenceNode seq)) {
            return List.of();
        }
        List<ConfigNode> out = new ArrayList<>();
        List<Node> value = seq.getValue();
        for (int i = 0; i < value.size(); i++) {
            out.add(new ConfigNode(path + "[" + i + "]", "[" + i + "]", value.get(i), problems));
        }
        return out;
    }

    /**
     * Reports each key of this mapping that {@code keys} does not know, as an error: in a section Hedgerow owns, an
     * unknown key is a typo that would leave a feature silently off. The nearest known key is suggested.
     */
    ConfigNode check(Keys keys) {
        if (yaml instanceof MappingNode) {
            for (ConfigNode child : entries()) {
                if (keys.contains(child.name) || keys.section().isEmpty() && child.name.startsWith("x-")) {
                    continue; // x-... at the top: a place for YAML anchors, as in Compose files
                }
                String known = String.join(", ", keys.names().stream().sorted().toList());
                problems.error(child.path, "unknown key" + Suggestion.nearest(child.name, keys.names())
                        .map(k -> " (did you mean '" + k + "'? known: " + known + ")")
                        .or(() -> Suggestion.elsewhere(child.name, keys)
                                .map(other -> " (known: " + known + "; '" + child.name + "' is a key of " + other + ")"))
                        .orElse(" (known: " + known + ")"));
            }
        }
        return this;
    }

    /** Reports every key written twice in one mapping, anywhere below this node: YAML keeps only the last. */
    void reportDuplicateKeys() {
        if (yaml instanceof MappingNode map) {
            java.util.Set<String> seen = new java.util.HashSet<>();
            for (NodeTuple t : map.getValue()) {
                String key = YamlFile.keyText(t);
                if (!seen.add(key)) {
                    problems.error(childPath(key), "written twice in one mapping (only the last would count)");
                }
            }
        }
        entries().forEach(ConfigNode::reportDuplicateKeys);
        items().forEach(ConfigNode::reportDuplicateKeys);
    }

    /** Reports a problem with this node's value: {@code path: problem}. */
    void error(String problem) {
        problems.error(path, problem);
    }

    void warn(String problem) {
        problems.warn(path, problem);
    }

    /** The errors reported so far about exactly this node. */
    List<String> errorsHere() {
        return problems.errorsAt(path);
    }

    /** How many errors the whole file has so far: a binder compares counts to learn whether a part had errors. */
    int errorCount() {
        return problems.errorCount();
    }

    // ---- typed reads: each reports a problem in the one shape and returns empty ----

    /** The scalar as written (quotes removed); a mapping or list here is a problem. */
    Optional<String> text() {
        if (yaml == null) {
            return Optional.empty();
        }
        if (!(yaml instanceof ScalarNode scalar)) {
            error("must be a single value");
            return Optional.empty();
        }
        return Optional.of(scalar.getValue());
    }

    /**
     * What YAML 1.1 would make of this scalar as a boolean: an unquoted {@code true/false/yes/no/on/off} (any case)
     * is one; anything else, quoted or not, is not.
     */
    Optional<Boolean> yamlBoolean() {
        if (yaml instanceof ScalarNode scalar && scalar.isPlain()) {
            return switch (scalar.getValue().toLowerCase(Locale.ROOT)) {
                case "true", "yes", "on" -> Optional.of(true);
                case "false", "no", "off" -> Optional.of(false);
                default -> Optional.empty();
            };
        }
        return Optional.empty();
    }

    Optional<Boolean> bool() {
        return text().flatMap(v -> switch (v.trim().toLowerCase(Locale.ROOT)) {
            case "true", "on", "yes" -> Optional.of(true);
            case "false", "off", "no" -> Optional.of(false);
            default -> {
                error("'" + v + "' (expected: true or false)");
                yield Optional.empty();
            }
        });
    }

    Optional<Integer> integer(int min, int max) {
        return text().flatMap(v -> {
            try {
                int n = Integer.parseInt(v.trim());
                if (n >= min && n <= max) {
                    return Optional.of(n);
                }
            } catch (NumberFormatException ignored) {
                // reported below
            }
            error("'" + v + "' (expected: an integer in " + min + ".." + max + ")");
            return Optional.empty();
        });
    }

    Optional<Double> number(double min, double max) {
        return text().flatMap(v -> {
            try {
                double n = Double.parseDouble(v.trim());
                if (n >= min && n <= max) {
                    return Optional.of(n);
                }
            } catch (NumberFormatException ignored) {
                // reported below
            }
            error("'" + v + "' (expected: a number in " + plain(min) + ".." + plain(max) + ")");
            return Optional.empty();
        });
    }

    Optional<Duration> duration() {
        return text().flatMap(v -> {
            Optional<Duration> d = Units.duration(v);
            if (d.isEmpty()) {
                error("'" + v + "' (expected: a duration such as 30s, 500ms or 2m)");
            }
            return d;
        });
    }

    /** A duration above zero. */
    Optional<Duration> positive() {
        return duration().filter(d -> {
            if (d.isZero() || d.isNegative()) {
                error("'" + d + "' (expected: more than zero)");
                return false;
            }
            return true;
        });
    }

    /** A size in bytes above zero ({@code 8MiB}, {@code 512KiB}, {@code 1048576}). */
    Optional<Long> size() {
        return text().flatMap(v -> {
            Optional<Long> s = Units.size(v).filter(n -> n > 0);
            if (s.isEmpty()) {
                error("'" + v + "' (expected: a size such as 8MiB, 512KiB or 1048576)");
            }
            return s;
        });
    }

    /** A size within {@code [min, max]} bytes; {@code expected} words the range for the problem. */
    Optional<Long> size(long min, long max, String expected) {
        return size().filter(n -> {
            if (n < min || n > max) {
                error("'" + n + "' (expected: " + expected + ")");
                return false;
            }
            return true;
        });
    }

    /** An absolute http:// or https:// URL. */
    Optional<URI> url() {
        return text().flatMap(v -> {
            try {
                URI uri = new URI(v.trim());
                String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
                if ((scheme.equals("http") || scheme.equals("https")) && uri.getHost() != null) {
                    return Optional.of(uri);
                }
            } catch (URISyntaxException ignored) {
                // reported below
            }
            error("'" + v + "' (expected: an absolute http:// or https:// URL)");
            return Optional.empty();
        });
    }

    /** A non-empty list of positive durations ({@code [30s, 1m, 5m]}); empty when any step is wrong. */
    Optional<List<Duration>> durations() {
        if (yaml == null) {
            return Optional.empty();
        }
        if (!isList() || items().isEmpty()) {
            error("must be a non-empty list of durations, e.g. [30s, 1m, 5m]");
            return Optional.empty();
        }
        List<Duration> steps = new ArrayList<>();
        items().forEach(item -> item.positive().ifPresent(steps::add));
        return steps.size() == items().size() ? Optional.of(steps) : Optional.empty();
    }

    /** A mapping of names to single values, in the file's order; values as written. */
    Map<String, String> stringMap() {
        Map<String, String> map = new LinkedHashMap<>();
        if (yaml == null) {
            return map;
        }
        if (!isMap()) {
            error("must be a map of name: value");
            return map;
        }
        for (ConfigNode child : entries()) {
            child.text().ifPresent(v -> map.put(child.name, v));
        }
        return map;
    }

    /** One of {@code choices} (written as the config spells them), else a problem listing them. */
    <T> Optional<T> choice(Map<String, T> choices, String expected) {
        return text().flatMap(v -> {
            T value = choices.get(v);
            if (value == null) {
                error("'" + v + "' (expected: " + expected + ")");
            }
            return Optional.ofNullable(value);
        });
    }

    /** Builds a settings record whose own checks may still refuse the combination; reports that here. */
    <T> T build(java.util.function.Supplier<T> builder, T fallback) {
        try {
            return builder.get();
        } catch (IllegalArgumentException e) {
            error(e.getMessage());
            return fallback;
        }
    }

    static String plain(double d) {
        return d == Math.rint(d) ? String.valueOf((long) d) : String.valueOf(d);
    }

    private String childPath(String key) {
        return path.isEmpty() ? key : path + "." + key;
    }
}
