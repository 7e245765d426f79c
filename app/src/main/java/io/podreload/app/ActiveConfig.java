package io.podreload.app;

import java.time.Instant;

/**
 * The config being served: immutable, swapped as a whole. A request reads it once, so it finishes
 * on the config it started with even if a reload swaps in another meanwhile.
 *
 * @param settings the typed, validated settings
 * @param configSet what was read from the config dirs
 * @param generation the number of loads applied by this process (the first load is 1)
 * @param loadedAt when it was swapped in
 */
public record ActiveConfig(
    AppSettings settings, ConfigSet configSet, long generation, Instant loadedAt) {}
