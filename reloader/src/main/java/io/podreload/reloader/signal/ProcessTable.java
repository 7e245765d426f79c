package io.podreload.reloader.signal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The processes visible in a proc file system: in a pod with {@code shareProcessNamespace}, those
 * of every container. The root is a parameter so that tests can build a proc-like tree.
 */
public final class ProcessTable {

  /** A process and its command line, arguments joined by spaces. */
  public record Process(long pid, String cmdline) {}

  private final Path procRoot;

  public ProcessTable(Path procRoot) {
    this.procRoot = procRoot;
  }

  /**
   * The processes whose command line contains a match of {@code pattern}, except {@code self} and
   * its ancestors (the reloader's own command line may well mention the target's name).
   */
  public List<Process> find(Pattern pattern, long self) {
    Set<Long> excluded = ancestorsOf(self);
    List<Process> matches = new ArrayList<>();
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(procRoot)) {
      for (Path entry : entries) {
        String name = entry.getFileName().toString();
        if (!name.chars().allMatch(Character::isDigit)) {
          continue;
        }
        long pid = Long.parseLong(name);
        if (excluded.contains(pid)) {
          continue;
        }
        cmdline(pid)
            .filter(cmdline -> pattern.matcher(cmdline).find())
            .ifPresent(cmdline -> matches.add(new Process(pid, cmdline)));
      }
    } catch (IOException e) {
      throw new IllegalStateException("cannot list " + procRoot + ": " + e.getMessage(), e);
    }
    matches.sort((a, b) -> Long.compare(a.pid(), b.pid()));
    return matches;
  }

  /** The space-joined command line; empty for kernel threads, zombies and vanished processes. */
  public Optional<String> cmdline(long pid) {
    try {
      byte[] raw = Files.readAllBytes(procRoot.resolve(Long.toString(pid)).resolve("cmdline"));
      String joined = new String(raw, StandardCharsets.UTF_8).replace('\0', ' ').strip();
      return joined.isEmpty() ? Optional.empty() : Optional.of(joined);
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  /**
   * Whether {@code pid} catches {@code signal}: bit (signal - 1) of {@code SigCgt} in its status.
   * Empty when the process is gone.
   */
  public Optional<Boolean> catches(long pid, int signal) {
    return statusField(pid, "SigCgt:").map(hex -> parseMask(hex).testBit(signal - 1));
  }

  /** When {@code pid} started, from its stat (start time in clock ticks after boot). */
  public Optional<java.time.Instant> startedAt(long pid) {
    try {
      String stat = Files.readString(procRoot.resolve(Long.toString(pid)).resolve("stat"));
      // The command name (field 2) may hold spaces and parentheses: count from its end.
      String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      long ticks = Long.parseLong(fields[19]); // field 22 overall
      long bootSeconds = bootTime();
      return Optional.of(
          java.time.Instant.ofEpochSecond(bootSeconds).plusMillis(ticks * 1000 / CLOCK_TICKS));
    } catch (IOException | RuntimeException e) {
      return Optional.empty();
    }
  }

  /** USER_HZ: 100 on every Linux architecture that matters here. */
  private static final long CLOCK_TICKS = 100;

  /** The boot time never changes: read once, it keeps /proc/stat off the signal's path. */
  private volatile long bootSeconds = -1;

  private long bootTime() throws IOException {
    if (bootSeconds >= 0) {
      return bootSeconds;
    }
    for (String line : Files.readAllLines(procRoot.resolve("stat"))) {
      if (line.startsWith("btime ")) {
        bootSeconds = Long.parseLong(line.substring(6).trim());
        return bootSeconds;
      }
    }
    throw new IOException("no btime in " + procRoot.resolve("stat"));
  }

  static java.math.BigInteger parseMask(String hex) {
    return new java.math.BigInteger(hex.trim(), 16);
  }

  private Set<Long> ancestorsOf(long self) {
    Set<Long> ancestors = new HashSet<>();
    long pid = self;
    while (pid > 0 && ancestors.add(pid)) {
      pid = statusField(pid, "PPid:").map(s -> Long.parseLong(s.trim())).orElse(0L);
    }
    return ancestors;
  }

  /**
   * One field of /proc/PID/status, found in its bytes: the signal's path reads it for every signal,
   * and splitting ~60 lines into strings costs ten times what the kernel takes to produce them.
   */
  private Optional<String> statusField(long pid, String field) {
    byte[] status;
    try {
      status = Files.readAllBytes(procRoot.resolve(Long.toString(pid)).resolve("status"));
    } catch (IOException e) {
      return Optional.empty();
    }
    byte[] name = field.getBytes(StandardCharsets.US_ASCII);
    for (int line = 0; line < status.length; ) {
      int end = line;
      while (end < status.length && status[end] != '\n') {
        end++;
      }
      if (end - line >= name.length
          && Arrays.equals(status, line, line + name.length, name, 0, name.length)) {
        int from = line + name.length;
        return Optional.of(new String(status, from, end - from, StandardCharsets.US_ASCII).trim());
      }
      line = end + 1;
    }
    return Optional.empty();
  }
}
