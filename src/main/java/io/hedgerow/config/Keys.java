package io.hedgerow.config;

import java.util.List;
import java.util.Objects;

/**
 * The keys one mapping of the config file may hold: what {@link ConfigNode#check(Keys)} holds a mapping to, and what
 * the configuration reference is tested against. {@code section} names the mapping as the reference does, with
 * {@code NAME} and {@code ALIAS} for the names the file chooses ({@code providers.NAME.timeouts}).
 *
 * @param section where the mapping sits
 * @param names   its keys, in the order the reference lists them
 */
public record Keys(String section, List<String> names) {
    public Keys {
        Objects.requireNonNull(section, "section");
        names = List.copyOf(names);
    }

    static Keys of(String section, String... names) {
        return new Keys(section, List.of(names));
    }

    boolean contains(String name) {
        return names.contains(name);
    }
}
