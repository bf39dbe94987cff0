package io.hedgerow.config;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Binds a provider's {@code models}: what is declared about each model (context window, price, embedding space). */
final class ModelsBinder {
    static final Keys MODEL = Keys.of("providers.NAME.models[i]", "name", "context-window", "price",
                                      "embedding-space");
    static final Keys PRICE = Keys.of("providers.NAME.models[i].price", "input", "cached-input", "output");

    private ModelsBinder() {
    }

    static List<Keys> keys() {
        return List.of(MODEL, PRICE);
    }

    static Map<String, ModelSettings> bind(ConfigNode node) {
        Map<String, ModelSettings> models = new LinkedHashMap<>();
        if (!node.exists()) {
            return models;
        }
        if (!node.isList()) {
            node.error("must be a list of {name, context-window}");
            return models;
        }
        for (ConfigNode entry : node.items()) {
            entry.check(MODEL);
            Optional<String> name = entry.get("name").text();
            if (name.isEmpty()) {
                entry.get("name").error("missing");
                continue;
            }
            Optional<Integer> window = entry.get("context-window").integer(1, Integer.MAX_VALUE);
            models.put(name.get(), new ModelSettings(name.get(), window, price(entry.get("price")),
                                                     embeddingSpace(entry.get("embedding-space"))));
        }
        return models;
    }

    /** {@code embedding-space: NAME}: a name people recognise, such as the model's with its version. */
    private static Optional<String> embeddingSpace(ConfigNode node) {
        Optional<String> space = node.text();
        if (space.isPresent() && (space.get().isBlank() || space.get().length() > 200)) {
            node.error("'" + space.get() + "' (expected: a name of 1 to 200 characters, e.g. nomic-embed-text-v1.5)");
            return Optional.empty();
        }
        return space;
    }

    /**
     * {@code price: {input: 2.5, cached-input: 1.25, output: 10}}: US dollars per million tokens; input and output
     * required, cached-input (prompt tokens read from the provider's cache) optional, at most input, default input.
     */
    private static Optional<Price> price(ConfigNode node) {
        if (!node.exists()) {
            return Optional.empty();
        }
        if (!node.isMap()) {
            node.error("must be a map {input: DOLLARS, output: DOLLARS} (per million tokens; optionally "
                    + "cached-input: DOLLARS)");
            return Optional.empty();
        }
        node.check(PRICE);
        Optional<Double> input = node.get("input").number(0, 1_000_000);
        ConfigNode cachedNode = node.get("cached-input");
        Optional<Double> cached = cachedNode.number(0, 1_000_000);
        Optional<Double> output = node.get("output").number(0, 1_000_000);
        for (String part : List.of("input", "output")) {
            if (!node.get(part).exists()) {
                node.get(part).error("missing (expected: US dollars per million tokens, e.g. 2.5)");
            }
        }
        if (input.isEmpty() || output.isEmpty() || cachedNode.exists() && cached.isEmpty()) {
            return Optional.empty();
        }
        if (cached.isPresent() && cached.get() > input.get()) {
            // Providers bill cache reads at a discount; a higher figure is most likely a cache-write price or a typo.
            cachedNode.error("'" + ConfigNode.plain(cached.get()) + "' (expected: at most the input price, "
                    + ConfigNode.plain(input.get()) + ": prompt tokens read from the cache cost less, never more)");
            return Optional.empty();
        }
        return Optional.of(new Price(input.get(), cached.orElse(input.get()), output.get()));
    }
}
