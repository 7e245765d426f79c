package io.podreload.logger;

import java.nio.file.Path;
import java.util.List;

/**
 * Where one output stands in one followed file: everything before {@code offset} of the file {@code
 * identity} (last seen at {@code source}) has been written and flushed by the output.
 *
 * @param modifiedMillis the file's modification time then (0: unknown)
 * @param earlier the files next to it that come before it (read, or older), which a restart does
 *     not read again; null in a checkpoint saved before they were kept (then the files modified
 *     before {@code modifiedMillis} are taken for them)
 */
public record Checkpoint(
    Path followed,
    Path source,
    FileIdentity identity,
    long offset,
    long modifiedMillis,
    List<FileIdentity> earlier) {}
