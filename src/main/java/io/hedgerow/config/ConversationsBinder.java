package io.hedgerow.config;

import java.util.List;

/** Binds {@code conversations}: how many Responses API answers are kept, how large, how long. */
final class ConversationsBinder {
    static final Keys CONVERSATIONS = Keys.of("conversations", "max-responses", "max-size", "ttl");

    static List<Keys> keys() {
        return List.of(CONVERSATIONS);
    }

    ConversationSettings bind(ConfigNode node) {
        ConversationSettings d = ConversationSettings.DEFAULTS;
        if (!node.exists()) {
            return d;
        }
        node.check(CONVERSATIONS);
        return node.build(() -> new ConversationSettings(
                node.get("max-responses").integer(1, 10_000_000).orElse(d.maxResponses()),
                node.get("max-size").size(1024, 64L * 1024 * 1024 * 1024, "1KiB to 64GiB").orElse(d.maxBytes()),
                node.get("ttl").positive().orElse(d.ttl())), d);
    }
}
