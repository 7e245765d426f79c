package io.podreload.logger;

import java.nio.file.Path;

/**
 * Where one output stands in one followed file: everything before {@code offset} of the file {@code
 * identity} (last seen at {@code source}) has been written and flushed by the output.
 *
 * @param modifiedMillis the file's modification time then (0: unknown): should the file be gone at
 *     the next start, the files modified since are the ones rotated after it, read next
 */
public record Checkpoint(
    Path followed, Path source, FileIdentity identity, long offset, long modifiedMillis) {}
