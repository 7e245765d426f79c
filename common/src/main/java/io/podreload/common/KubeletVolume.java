package io.podreload.common;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * The kubelet's layout of a ConfigMap or Secret volume, read and written the way the kubelet's
 * AtomicWriter does it:
 *
 * <pre>
 * dir/..2026_11_25_03_30_00.123456789/application.yml   the payload of one version
 * dir/..data -> ..2026_11_25_03_30_00.123456789          swapped by rename: the commit point
 * dir/application.yml -> ..data/application.yml          the user-visible names
 * </pre>
 *
 * Reading resolves {@code ..data} once and reads the payload dir it points to, then checks that
 * {@code ..data} did not move meanwhile, so a reader never mixes two versions. Plain directories
 * (no {@code ..data}) are read as they are.
 */
public final class KubeletVolume {

  /** The symlink whose atomic rename publishes a new version. */
  public static final String DATA_LINK = "..data";

  private static final String DATA_TMP_LINK = "..data_tmp";
  private static final DateTimeFormatter TS_FORMAT =
      DateTimeFormatter.ofPattern("'..'yyyy_MM_dd_HH_mm_ss.");
  private static final int READ_ATTEMPTS = 5;
  // Payload dirs are 0755 like the kubelet's (createTempDirectory makes them 0700).
  private static final Set<PosixFilePermission> PAYLOAD_DIR_MODE =
      PosixFilePermissions.fromString("rwxr-xr-x");

  private KubeletVolume() {}

  /**
   * Reads the config files ({@link ConfigFile#isConfigName}) at the top level of {@code dir}. A
   * missing dir gives {@link DirSnapshot#missing}. A dir swapped while being read is read again.
   *
   * @throws IOException when a file cannot be read (the message names the file)
   */
  public static DirSnapshot read(Path dir) throws IOException {
    Path dataLink = dir.resolve(DATA_LINK);
    IOException last = null;
    for (int attempt = 0; attempt < READ_ATTEMPTS; attempt++) {
      // One readlink for the kubelet's layout, its common case: no stat of the dir and the link.
      Path target = linkTarget(dataLink);
      if (target == null) {
        return Files.isDirectory(dir)
            ? new DirSnapshot(dir, true, readFiles(dir))
            : DirSnapshot.missing(dir);
      }
      try {
        List<ConfigFile> files = readFiles(dir.resolve(target));
        if (target.equals(linkTarget(dataLink))) {
          return new DirSnapshot(dir, true, files);
        }
      } catch (NoSuchFileException e) {
        last = e; // the old payload dir was removed after a swap: read the new one
      }
    }
    throw new IOException(
        dir + " kept changing while being read (" + READ_ATTEMPTS + " attempts)", last);
  }

  /** Where {@code link} points; null when it is no symlink or not there (or the dir is not). */
  private static Path linkTarget(Path link) {
    try {
      return Files.readSymbolicLink(link);
    } catch (IOException e) {
      return null;
    }
  }

  private static List<ConfigFile> readFiles(Path dir) throws IOException {
    // File.list: one JNI call (open, getdents, close); a DirectoryStream makes twice the syscalls.
    String[] names = dir.toFile().list();
    if (names == null) {
      try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
        entries.iterator(); // only for the exception that says why the dir cannot be listed
      }
      throw new NoSuchFileException(dir.toString()); // replaced in between: read() tries again
    }
    List<ConfigFile> files = new ArrayList<>();
    for (String name : names) {
      Path entry = dir.resolve(name);
      if (!ConfigFile.isConfigName(name) || !Files.isRegularFile(entry)) {
        continue; // follows symlinks: key -> ..data/key is a regular file here
      }
      try {
        files.add(new ConfigFile(name, Files.readAllBytes(entry)));
      } catch (NoSuchFileException e) {
        throw e; // the payload moved away: read() tries again
      } catch (IOException e) {
        throw new IOException("cannot read " + dir.resolve(name) + ": " + describe(e), e);
      }
    }
    files.sort(Comparator.comparing(ConfigFile::name));
    return files;
  }

  private static String describe(IOException e) {
    return e instanceof java.nio.file.AccessDeniedException
        ? "permission denied (check the file mode and the container's runAsUser/fsGroup)"
        : e.toString();
  }

  /**
   * Publishes {@code files} into {@code dir} atomically, the kubelet's way: a new payload dir, a
   * {@code ..data_tmp} link renamed over {@code ..data}, user-visible links for new names, stale
   * links and the old payload dir removed. Readers see the old or the new set, never a mix.
   *
   * @param files file name to content; names must be plain (no '/') and not start with '.'
   * @param fileMode the mode of each payload file, e.g. 0400 for secrets; null keeps the default
   */
  public static void write(Path dir, Map<String, byte[]> files, Set<PosixFilePermission> fileMode)
      throws IOException {
    write(dir, files, fileMode, () -> {});
  }

  /**
   * {@link #write(Path, Map, Set)}, calling {@code beforeSwap} right before the {@code ..data}
   * rename: the moment the new set becomes visible, where a benchmark starts its clock.
   */
  public static void write(
      Path dir, Map<String, byte[]> files, Set<PosixFilePermission> fileMode, Runnable beforeSwap)
      throws IOException {
    for (String name : files.keySet()) {
      if (name.isEmpty() || name.contains("/") || name.startsWith(".")) {
        throw new IllegalArgumentException("not a plain file name: '" + name + "'");
      }
    }
    Files.createDirectories(dir);
    Path dataLink = dir.resolve(DATA_LINK);
    Path oldPayload = Files.isSymbolicLink(dataLink) ? Files.readSymbolicLink(dataLink) : null;
    Set<String> oldNames = oldPayload == null ? Set.of() : listNames(dir.resolve(oldPayload));

    String prefix = ZonedDateTime.now(ZoneOffset.UTC).format(TS_FORMAT);
    Path payload = Files.createTempDirectory(dir, prefix);
    for (Map.Entry<String, byte[]> file : new TreeMap<>(files).entrySet()) {
      Path path = payload.resolve(file.getKey());
      Files.write(path, file.getValue());
      if (fileMode != null) {
        Files.setPosixFilePermissions(path, fileMode);
      }
    }
    Files.setPosixFilePermissions(payload, PAYLOAD_DIR_MODE);

    Path tmpLink = dir.resolve(DATA_TMP_LINK);
    Files.deleteIfExists(tmpLink);
    Files.createSymbolicLink(tmpLink, payload.getFileName());
    beforeSwap.run();
    Files.move(tmpLink, dataLink, StandardCopyOption.ATOMIC_MOVE);

    for (String name : files.keySet()) {
      Path visible = dir.resolve(name);
      if (!Files.isSymbolicLink(visible)) {
        Files.deleteIfExists(visible); // a plain file in the way (never in a kubelet dir)
        try {
          Files.createSymbolicLink(visible, Path.of(DATA_LINK, name));
        } catch (FileAlreadyExistsException raced) {
          // another writer created the same link: it points to the same place
        }
      }
    }
    for (String name : oldNames) {
      if (!files.containsKey(name)) {
        Files.deleteIfExists(dir.resolve(name));
      }
    }
    if (oldPayload != null && !oldPayload.equals(payload.getFileName())) {
      deleteTree(dir.resolve(oldPayload));
    }
  }

  private static Set<String> listNames(Path dir) throws IOException {
    Set<String> names = new TreeSet<>();
    if (Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
      try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
        for (Path entry : entries) {
          names.add(entry.getFileName().toString());
        }
      }
    }
    return names;
  }

  private static void deleteTree(Path root) throws IOException {
    if (!Files.exists(root, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(root)) {
      for (Path path : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(path);
      }
    }
  }
}
