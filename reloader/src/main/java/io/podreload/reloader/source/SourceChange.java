package io.podreload.reloader.source;

import io.podreload.common.DirSnapshot;
import java.time.Instant;

/**
 * A new content of a source's directory.
 *
 * @param source the source's {@link ConfigSource#name()}
 * @param snapshot the directory as it is now (its {@code hash()} is what the app's status file
 *     reports for that directory once it loaded it)
 * @param seenAt when the change was first seen (the start of the reload latency)
 * @param revision what the origin calls this content (a ConfigMap resourceVersion, a Vault secret
 *     version), or empty for a volume
 */
public record SourceChange(String source, DirSnapshot snapshot, Instant seenAt, String revision) {}
