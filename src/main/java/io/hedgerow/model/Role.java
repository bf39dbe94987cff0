package io.hedgerow.model;

import java.util.Locale;
import java.util.Optional;

/** The author of a chat message, as OpenAI's wire format names it. */
public enum Role {
    SYSTEM, DEVELOPER, USER, ASSISTANT, TOOL;

    /** The lower-case wire name. */
    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The role with this wire name, if it is one. */
    public static Optional<Role> fromWire(String name) {
        for (Role role : values()) {
            if (role.wireName().equals(name)) {
                return Optional.of(role);
            }
        }
        return Optional.empty();
    }
}
