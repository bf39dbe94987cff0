package io.hedgerow.config;

import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;
import org.yaml.snakeyaml.nodes.Tag;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Parses a config file into SnakeYAML's node tree, not into Java values: every scalar keeps the text it was written
 * with and whether it was quoted, so a header value {@code yes} stays {@code yes} (YAML 1.1 would make it
 * {@code true}) and {@code 1.10} stays {@code 1.10}. Merge keys ({@code <<: *defaults}) are applied here; duplicate
 * keys are kept, for {@link ConfigNode} to report.
 */
final class YamlFile {
    private YamlFile() {
    }

    /** The file's root node (empty for an empty file); a syntax error is thrown, worded by SnakeYAML. */
    static Optional<Node> parse(Path file) throws IOException {
        LoaderOptions options = new LoaderOptions();
        options.setAllowRecursiveKeys(false);
        Yaml yaml = new Yaml(new SafeConstructor(options));
        try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            return Optional.ofNullable(yaml.compose(reader)).map(YamlFile::merged);
        }
    }

    /** Whether a node is YAML's null: {@code key:} with nothing, {@code ~} or {@code null}. */
    static boolean isNull(Node node) {
        return node instanceof ScalarNode s && s.getTag().equals(Tag.NULL);
    }

    /** A copy of the tree with every {@code <<} merge applied: keys written beside it win over merged ones. */
    private static Node merged(Node node) {
        if (node instanceof SequenceNode seq) {
            List<Node> items = new ArrayList<>();
            seq.getValue().forEach(n -> items.add(merged(n)));
            return new SequenceNode(seq.getTag(), items, seq.getFlowStyle());
        }
        if (!(node instanceof MappingNode map)) {
            return node;
        }
        List<NodeTuple> inherited = new ArrayList<>();
        List<NodeTuple> own = new ArrayList<>();
        for (NodeTuple t : map.getValue()) {
            if (t.getKeyNode().getTag().equals(Tag.MERGE)) {
                Node source = t.getValueNode();
                List<Node> sources = source instanceof SequenceNode s ? s.getValue() : List.of(source);
                for (Node m : sources) {
                    if (merged(m) instanceof MappingNode mm) {
                        inherited.addAll(mm.getValue());
                    }
                }
            } else {
                own.add(new NodeTuple(t.getKeyNode(), merged(t.getValueNode())));
            }
        }
        if (inherited.isEmpty()) {
            return new MappingNode(map.getTag(), own, map.getFlowStyle());
        }
        // Merged keys first (the first source wins among them), then the mapping's own, which override them.
        Map<String, NodeTuple> byKey = new LinkedHashMap<>();
        for (NodeTuple t : inherited) {
            byKey.putIfAbsent(keyText(t), t);
        }
        own.forEach(t -> byKey.remove(keyText(t)));
        List<NodeTuple> all = new ArrayList<>(byKey.values());
        all.addAll(own);
        return new MappingNode(map.getTag(), all, map.getFlowStyle());
    }

    static String keyText(NodeTuple t) {
        return t.getKeyNode() instanceof ScalarNode s ? s.getValue() : String.valueOf(t.getKeyNode());
    }
}
