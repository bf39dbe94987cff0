package io.hedgerow.config;

/** How {@link KeyHealth#pick} chooses among a provider's keys. */
public enum KeyRotation {
    /** The first available key in configured order: spare keys are used only while earlier ones cool. */
    ORDERED,
    /** Each pick starts one key further along the list than the previous pick did, then takes the first available. */
    ROUND_ROBIN
}
