package io.podreload.logger;

import java.nio.file.Path;

/**
 * Where one output stands in one followed file: everything before {@code offset} of the file {@code
 * identity} (last seen at {@code source}) has been written and flushed by the output.
 */
public record Checkpoint(Path followed, Path source, FileIdentity identity, long offset) {}
