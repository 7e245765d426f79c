package io.podreload.reloader.signal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** A proc-like tree in a temp dir: cmdline, status (PPid, SigCgt) and stat, per pid. */
final class FakeProcRoot {

  final Path root;

  FakeProcRoot(Path root) throws IOException {
    this.root = root;
    Files.createDirectories(root);
    Files.writeString(root.resolve("stat"), "cpu  1 2 3\nbtime 1700000000\n");
    Files.createDirectories(root.resolve("self"));
  }

  /** A process with these arguments, catching the signals in {@code sigCgt} (hex mask). */
  FakeProcRoot process(long pid, long ppid, String sigCgt, String... args) throws IOException {
    Path dir = Files.createDirectories(root.resolve(Long.toString(pid)));
    Files.writeString(dir.resolve("cmdline"), String.join("\0", args) + "\0");
    Files.writeString(
        dir.resolve("status"),
        "Name:\tjava\nState:\tS (sleeping)\nPid:\t"
            + pid
            + "\nPPid:\t"
            + ppid
            + "\nSigBlk:\t0000000000000000\nSigIgn:\t0000000000000000\nSigCgt:\t"
            + sigCgt
            + "\n");
    Files.writeString(
        dir.resolve("stat"),
        pid + " (java (x)) S " + ppid + " 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 20 0 12345 0 0\n");
    return this;
  }
}
