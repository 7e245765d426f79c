package io.podreload.logger;

import io.podreload.logger.RotatedFileFinder.Candidate;
import io.podreload.logger.RotatedFileFinder.Match;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follows one configured file for one output, like {@code tail -F}: waits for it to appear,
 * finishes a file that was renamed away before taking the new one, notices truncation by a size
 * drop or changed first bytes (and reads the rest from the copy copytruncate left), and cuts the
 * bytes into lines. Not thread-safe except for the read-only gauges.
 */
final class FileFollower implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(FileFollower.class);

  private final Path followed;
  private final CheckpointStore store;
  private final Metrics.OutputMetrics metrics;
  private final String output;
  private final long idleFlushNanos;

  /** The open file's bytes, cut into lines; where this output stands in it. */
  private final LineCutter lines;

  private volatile FileChannel channel;
  private Path source;
  private FileIdentity identity;

  /** The open file's part of each line's id ({@link FileIdentity#lineIdPrefix}). */
  private String sourceKey;

  /** False while {@link #sourceKey} may still change: the file has no complete first line yet. */
  private boolean sourceKeyFinal;

  /** The open file is no longer at {@link #followed}: read it to its end, then switch. */
  private volatile boolean finite;

  /** The open file's modification time when it was opened: files rotated after it are newer. */
  private FileTime openedMtime;

  /** Device and inode of the open file (a copy's, when reading what copytruncate left). */
  private long[] openDevIno;

  /** The files seen at {@link #followed} since the open file left it, to read after it. */
  private final NameWatch nameWatch;

  /** What the check at the end of the open file asks, answered from the state here. */
  private final EndOfFileCheck.Facts facts = new OpenFileFacts();

  /**
   * The files next to {@link #followed} that come before the open one: read to their end already,
   * or there (older) when the followed name was opened. Any other file there was rotated away
   * after, so a look for missed rotations reads it and never one of these. Kept in the checkpoint,
   * so a restart knows them too; modification times could not tell, as files rotated within one
   * tick of the file system's clock have the same.
   */
  private final List<FileIdentity> earlier = new ArrayList<>();

  private boolean checkpointConsulted;
  private long lastGrowthNanos = System.nanoTime();
  private volatile long caughtUpNanos = System.nanoTime();
  private volatile String lastProblem;
  private volatile String readProblem;

  // made once: a lambda made per read is an allocation through the runtime in C1-compiled code
  private final LineCutter.Source readOpenFile = (into, position) -> channel.read(into, position);
  private final LineCutter.ReadCheck stillTheOpenFile = read -> !EndOfFileCheck.writtenAgain(facts);

  /** Tells when a rotated file's last write was (its modification time) is long enough ago. */
  private final java.time.Clock wallClock;

  FileFollower(
      Path followed,
      CheckpointStore store,
      Metrics.OutputMetrics metrics,
      String output,
      int maxLine,
      long idleFlushNanos) {
    this(followed, store, metrics, output, maxLine, idleFlushNanos, java.time.Clock.systemUTC());
  }

  FileFollower(
      Path followed,
      CheckpointStore store,
      Metrics.OutputMetrics metrics,
      String output,
      int maxLine,
      long idleFlushNanos,
      java.time.Clock wallClock) {
    this.wallClock = wallClock;
    this.followed = followed;
    this.store = store;
    this.metrics = metrics;
    this.output = output;
    this.idleFlushNanos = idleFlushNanos;
    this.lines = new LineCutter(maxLine);
    this.nameWatch = new NameWatch(followed, metrics.rotations::increment);
  }

  Path followed() {
    return followed;
  }

  /**
   * Reads what is there into {@code batch} until the file's end or the batch limits, then looks for
   * rotation and truncation. Returns true if anything happened (bytes taken or a switch).
   */
  boolean poll(Batch batch, int maxLines, int maxBytes) throws IOException {
    try {
      return read(batch, maxLines, maxBytes);
    } finally {
      // counted once per poll, not per line: a shared counter is an atomic update
      if (lines.linesTaken() > 0) {
        metrics.linesRead.increment(lines.linesTaken());
        metrics.bytesRead.increment(lines.bytesTaken());
      }
      if (lines.longLines() > 0) {
        metrics.longLines.increment(lines.longLines());
      }
      lines.resetCounts();
    }
  }

  private boolean read(Batch batch, int maxLines, int maxBytes) throws IOException {
    if (channel == null && !open()) {
      return false;
    }
    // a file at the path other than the open one: remember it now, even while far behind, so a
    // second rotation before this file is finished cannot hide it
    boolean progress = copiedBeforeFirstLook() | noteFollowed();
    if (!sourceKeyFinal) {
      sourceKey = FileIdentity.lineIdPrefix(identity.dev(), identity.ino(), channel, true);
      sourceKeyFinal = sourceKey != null;
      if (!sourceKeyFinal) {
        sourceKey = FileIdentity.lineIdPrefix(identity.dev(), identity.ino(), channel, false);
      }
    }
    while (true) {
      if (lines.emitLines(batch, followed, sourceKey, maxLines, maxBytes)) {
        progress = true;
      }
      if (batch.count() >= maxLines || batch.bytes() >= maxBytes) {
        return true;
      }
      int n = fill();
      if (n <= 0) {
        break;
      }
      lastGrowthNanos = System.nanoTime();
      progress = true;
    }
    caughtUpNanos = System.nanoTime();
    if (lines.hasRest() && System.nanoTime() - lastGrowthNanos >= idleFlushNanos) {
      lines.emitRest(batch, followed, sourceKey); // no newline, and the writer has been quiet
      progress = true;
    }
    return checkSource(batch) || progress;
  }

  /** Where this output stands in this file, or null before the file was first found. */
  Checkpoint checkpoint() {
    if (identity == null) {
      return null;
    }
    long modified = openedMtime == null ? 0 : openedMtime.toMillis();
    try {
      if (Arrays.equals(openDevIno, FileIdentity.devIno(source))) {
        modified = Files.getLastModifiedTime(source).toMillis();
      }
    } catch (IOException e) {
      // moved meanwhile: the time it had when opened will do
    }
    long consumed = lines.consumed();
    if (consumed > identity.fingerprintLength()) {
      try {
        identity = identity.grown(channel); // covers the lines before the offset, where it can
      } catch (IOException e) {
        // closed or gone: the identity seen so far will do
      }
    }
    return new Checkpoint(followed, source, identity, consumed, modified, List.copyOf(earlier));
  }

  long bytesBehind() {
    FileChannel ch = channel;
    long behind = 0;
    try {
      if (ch != null) {
        behind = Math.max(0, ch.size() - lines.consumed());
      }
      if (ch == null || finite) {
        behind += Files.exists(followed) ? Files.size(followed) : 0;
      }
    } catch (IOException e) {
      // the file moved between the two calls; the next scrape sees it
    }
    return behind;
  }

  double lagSeconds() {
    return bytesBehind() == 0 ? 0 : (System.nanoTime() - caughtUpNanos) / 1e9;
  }

  /** True while the open file has been rotated away from {@link #followed}. */
  boolean readingRotatedFile() {
    return finite;
  }

  Path source() {
    return source;
  }

  @Override
  public void close() {
    closeChannel();
  }

  // ---- reading ----

  /**
   * Reads the next bytes of the open file; -1 when it was truncated (checkSource looks for the
   * copy), or when what was read belongs to content written after a truncation.
   */
  private int fill() throws IOException {
    if (!finite && channel.size() < lines.readPosition()) {
      return -1; // truncated: checkSource looks for the copy
    }
    int n = lines.fill(readOpenFile, stillTheOpenFile);
    if (n > 0 && identity.fingerprintLength() < FileIdentity.FINGERPRINT_BYTES) {
      identity = identity.grown(channel); // a file opened small is known by what it holds
    }
    return n;
  }

  private long readPosition() {
    return lines.readPosition();
  }

  // ---- which file ----

  /** At the end of the open file: finish a rotated file, or notice truncation and rotation. */
  private boolean checkSource(Batch batch) throws IOException {
    switch (EndOfFileCheck.decide(facts)) {
      case TRUNCATED -> {
        metrics.truncations.increment();
        followTruncation(batch);
        return true;
      }
      case WAIT_FOR_ROTATED_WRITER -> {
        return false; // its writer may not have reopened the new file yet: wait for its last lines
      }
      case SWITCH_NOW -> {
        if (lines.hasRest()) {
          lines.emitRest(batch, followed, sourceKey); // the rotated file is complete: no newline
        }
        openNext();
        return true;
      }
      case ROTATED_FINISH_THEN_SWITCH -> {
        identity = identity.grown(channel);
        return true;
      }
      default -> {
        identity = identity.grown(channel);
        return false;
      }
    }
  }

  /** The open file was truncated: read its rest from the copy, if any, else it from its start. */
  private void followTruncation(Batch batch) throws IOException {
    Optional<Path> copy = find(identity, readPosition(), Match.COPY);
    if (copy.isPresent()) {
      LOG.info(
          "[{}] {} was truncated; reading its remaining lines from the copy {}",
          output,
          source,
          copy.get());
      FileChannel copyChannel = FileChannel.open(copy.get(), StandardOpenOption.READ);
      long[] copyDevIno = FileIdentity.devIno(copy.get());
      closeChannel();
      channel = copyChannel; // the buffered bytes are the same in the copy
      source = copy.get();
      openDevIno = copyDevIno;
      openedMtime = Files.getLastModifiedTime(copy.get());
      finite = true;
      return;
    }
    LOG.warn(
        "[{}] {} was truncated at offset {}; reading it again from its beginning",
        output,
        source,
        readPosition());
    if (lines.hasRest()) {
      lines.emitRest(batch, followed, sourceKey);
    }
    // A copy shorter than what was read holds nothing unread: the lines written between
    // copytruncate's copy and its truncation were read from the file itself.
    // It is known by the same first line (its first bytes may be fewer than a fingerprint).
    if (sourceKeyFinal) {
      finder()
          .copiesWithFirstLine(sourceKey, identity.dev(), identity.ino(), readPosition())
          .forEach(this::addEarlier);
    }
    // Files rotated away since that are older than it (written after the truncation, then
    // copied) hold older lines than what it holds now: they come first, then it.
    if (!openFirstOf(rotatedBeforeTheOpenFile(), source)) {
      setIdentity(FileIdentity.of(new long[] {identity.dev(), identity.ino()}, channel), 0);
    }
  }

  /** The facts {@link EndOfFileCheck} asks about the open file. */
  private final class OpenFileFacts implements EndOfFileCheck.Facts {
    @Override
    public boolean openIsOriginal() {
      return identity.sameInode(openDevIno);
    }

    @Override
    public boolean shrunk() throws IOException {
      return channel.size() < readPosition();
    }

    @Override
    public boolean firstBytesChanged() throws IOException {
      return !identity.sameContentStart(channel);
    }

    /**
     * First bytes without a newline tell a file poorly: truncated and written again, it may begin
     * with the same bytes (a date) and pass for itself. While its first line is incomplete, a copy
     * next to it (not earlier) that holds these first bytes and then a first line that the file
     * does not hold tells that it was copied and truncated (copytruncate).
     */
    @Override
    public boolean copiedWithinItsFirstLine() throws IOException {
      int length = identity.fingerprintLength();
      if (length == 0
          || length == FileIdentity.FINGERPRINT_BYTES
          || FileIdentity.holdsALine(channel, length)
          || !Arrays.equals(openDevIno, FileIdentity.devIno(followed))) {
        return false; // copytruncate copies the file at the name
      }
      Optional<DirectoryListing.Entry> copy = finder().find(identity, readPosition(), Match.COPY);
      if (copy.isEmpty()) {
        return false;
      }
      byte[] head = copy.get().head();
      String copyLine = FileIdentity.lineIdPrefix(0, 0, head, head.length, true);
      return copyLine != null && !copyLine.equals(FileIdentity.lineIdPrefix(0, 0, channel, false));
    }

    @Override
    public boolean rotatedAway() {
      return finite;
    }

    /**
     * Whether the open, rotated file has not been written for {@code LOGGER_PARTIAL_LINE_TIMEOUT}.
     * After a rename the writer goes on writing to it until it reopens the name (logrotate's {@code
     * create} with a postrotate signal): leaving it at its first end would lose those lines. A file
     * rotated long ago (read after a restart, or far behind) is finished at once.
     */
    @Override
    public boolean writerQuiet() throws IOException {
      Path at = openFileNow();
      if (at == null) {
        return true; // removed: nobody reopens it by its name
      }
      try {
        long written = Files.getLastModifiedTime(at).toMillis();
        return wallClock.millis() - written >= idleFlushNanos / 1_000_000;
      } catch (NoSuchFileException e) {
        return true;
      }
    }

    @Override
    public boolean newFileAtName() throws IOException {
      return noteFollowed();
    }
  }

  /**
   * A file opened empty has no first bytes to recognise it by: if it was written, copied and
   * truncated before the first look at its lines (copytruncate right after the first lines), the
   * copy is a file next to it that was not there when it was opened and that comes before it in
   * rotation order (older, or as old and with a higher rotation number): that copy is read first.
   */
  private boolean copiedBeforeFirstLook() throws IOException {
    if (readPosition() != 0 || identity.fingerprintLength() != 0) {
      return false;
    }
    List<Candidate> copies = rotatedBeforeTheOpenFile();
    if (copies.isEmpty()) {
      return false; // nothing rotated away before it: it is read as it is
    }
    Candidate copy = copies.get(0);
    FileChannel ch;
    try {
      ch = FileChannel.open(copy.path(), StandardOpenOption.READ);
    } catch (NoSuchFileException e) {
      return false;
    }
    String copyLine = FileIdentity.lineIdPrefix(0, 0, ch, true);
    if (copyLine != null
        && ch.size() <= channel.size()
        && copyLine.equals(FileIdentity.lineIdPrefix(0, 0, channel, true))) {
      // copied, not truncated (yet): the file holds the copy's lines, and it is read instead
      long[] copyDevIno = FileIdentity.devIno(copy.path());
      if (copyDevIno != null) {
        addEarlier(FileIdentity.of(copyDevIno, ch));
      }
      ch.close();
      return false;
    }
    metrics.truncations.increment();
    LOG.info(
        "[{}] {} was written, copied and truncated since the last look; reading the copy {} first",
        output,
        followed,
        copy.path());
    long[] devIno = FileIdentity.devIno(copy.path());
    closeChannel();
    channel = ch;
    source = copy.path();
    openDevIno = devIno == null ? new long[] {-1, -1} : devIno;
    openedMtime = copy.mtime();
    finite = true;
    // the original's inode (the lines' ids), the copy's first bytes: a checkpoint finds the copy
    setIdentity(FileIdentity.of(new long[] {identity.dev(), identity.ino()}, ch), 0);
    return true;
  }

  /**
   * The files next to {@link #followed}, not earlier, that come before the open file in rotation
   * order: copies of it, or files rotated from the name after it was truncated. A file seen at the
   * name after it is newer, whatever the clock says.
   */
  private List<Candidate> rotatedBeforeTheOpenFile() throws IOException {
    Path at = openFileNow();
    if (at == null && finite) {
      return List.of(); // renamed away, then removed: nothing is known of its place
    }
    // removed while at the name (deleted and created again): it was the newest
    Candidate self =
        new Candidate(followed, identity, FileTime.fromMillis(Long.MAX_VALUE), -1, false);
    if (at != null) {
      try {
        self = new Candidate(at, identity, Files.getLastModifiedTime(at), rank(at), false);
      } catch (NoSuchFileException e) {
        // removed just now
      }
    }
    List<Candidate> before = new ArrayList<>();
    for (Candidate c : candidates()) {
      if (!c.remembered() && RotatedFileFinder.ROTATION_ORDER.compare(c, self) < 0) {
        before.add(c);
      }
    }
    return before;
  }

  /** Where the open file is now (it may have been renamed again), or null if it is gone. */
  private Path openFileNow() throws IOException {
    if (Arrays.equals(openDevIno, FileIdentity.devIno(source))) {
      return source;
    }
    DirectoryListing.Entry now = finder().withInode(openDevIno);
    return now == null ? null : now.path();
  }

  /**
   * Looks at the followed path: a file there other than the open one means the open one was rotated
   * away (finish it first) and that this file comes after the ones already remembered. Returns true
   * when it found a new file.
   */
  private boolean noteFollowed() throws IOException {
    if (!nameWatch.look(identity)) {
      return false;
    }
    if (!finite) {
      LOG.info("[{}] {} was rotated or replaced; finishing the old file first", output, followed);
      finite = true;
    }
    return true;
  }

  /**
   * The open file was rotated away and is read to its end: continue with the next file in rotation
   * order from its start (a remembered one, or one renamed away between two looks at the path,
   * found by being newer), and with {@link #followed} once none is left.
   */
  private void openNext() throws IOException {
    // what the finished file holds now (a copy's, or one opened empty, differ from identity)
    addEarlier(FileIdentity.of(openDevIno, channel));
    Path doneSource = source;
    // the finished file stays open until the next one is: a failure here is retried from here
    if (openFirstOf(candidates(), doneSource)) {
      return;
    }
    FileChannel done = channel;
    long doneOffset = lines.consumed();
    long[] doneDevIno = openDevIno;
    channel = null; // closed below, once it was compared with the file at the name
    finite = false;
    nameWatch.clear();
    LOG.info("[{}] finished {}; continuing with {}", output, doneSource, followed);
    try (done) {
      openFollowed(new EndOfFileCheck.Finished(done, doneOffset, doneDevIno));
    }
  }

  /** Adds a file to {@link #earlier} (in place of what its inode held before). */
  private void addEarlier(FileIdentity done) {
    Resume.addEarlier(earlier, done);
  }

  /**
   * Opens the first of {@code candidates} that is still there, from its start, as rotated; {@code
   * doneSource} is the file read before (null on a start without a checkpoint).
   */
  private boolean openFirstOf(List<Candidate> candidates, Path doneSource) throws IOException {
    for (Candidate next : candidates) {
      FileChannel ch;
      try {
        ch = FileChannel.open(next.path(), StandardOpenOption.READ);
      } catch (NoSuchFileException e) {
        continue;
      }
      long[] devIno = FileIdentity.devIno(next.path());
      if (!next.identity().sameInode(devIno)) {
        ch.close(); // renamed again meanwhile; the next candidate or the next look finds it
        continue;
      }
      closeChannel();
      nameWatch.opened(devIno);
      if (!next.remembered()) {
        metrics.rotations.increment(); // renamed away before any look at the path saw it
      }
      channel = ch;
      source = next.path();
      setIdentity(FileIdentity.of(devIno, ch), 0);
      openDevIno = devIno;
      openedMtime = next.mtime();
      finite = true;
      if (doneSource == null) {
        LOG.info(
            "[{}] no checkpoint: reading {}, rotated away from {} before this start, first",
            output,
            next.path(),
            followed);
      } else {
        LOG.info(
            "[{}] finished {}; continuing with {}, rotated away from {} in the meantime",
            output,
            doneSource,
            next.path(),
            followed);
      }
      return true;
    }
    return false;
  }

  /**
   * Files to read before {@link #followed}, oldest first: the remembered ones (a remembered file
   * that is gone is reported as lost) and the files next to it that are neither open nor {@link
   * #earlier}.
   */
  private List<Candidate> candidates() throws IOException {
    RotatedFileFinder.Unread unread =
        finder().unread(nameWatch.pending(), channel == null ? null : openDevIno);
    for (FileIdentity p : unread.gone()) {
      long bytes = nameWatch.lost(p);
      metrics.lostFiles.increment();
      metrics.lostBytes.increment(bytes);
      LOG.warn(
          "[{}] a file rotated away from {} was removed before it was read: its lines are"
              + " lost (at least {} bytes). Keep more rotated files, or make the outputs faster",
          output,
          followed,
          bytes);
    }
    // what is gone can neither be read again nor be mistaken for another file: forget it
    earlier.removeAll(unread.forgotten());
    return unread.files();
  }

  /** The rotation number of {@code access.log.3} (3), or -1 for other names. */
  private long rank(Path sibling) {
    return RotatedFileFinder.rank(followed, sibling);
  }

  /** Opens the followed file, the first time where the checkpoint says. */
  private boolean open() throws IOException {
    try {
      if (!checkpointConsulted) {
        Optional<Checkpoint> saved = store.load(followed);
        if (saved.isPresent() && !resume(saved.get())) {
          return false; // the file changed since the look: look again on the next poll
        }
        checkpointConsulted = true;
        if (channel != null) {
          return true;
        }
        // No checkpoint (a first start, a kill -9 before the first save, a damaged one): every
        // rotated file there comes first, since lines the app wrote before this look may have been
        // rotated away already; a repeat, never a loss. With one whose file is gone or was not
        // read: the files not earlier than it, oldest first.
        if (openFirstOf(candidates(), saved.map(Checkpoint::source).orElse(null))) {
          return true;
        }
      }
      return openFollowed(null);
    } catch (AccessDeniedException e) {
      problem(
          "cannot read "
              + e.getFile()
              + ": permission denied for uid "
              + uid()
              + ". Make the file and its directory readable by this user (for example a shared"
              + " fsGroup); retrying");
      return false;
    }
  }

  /**
   * Carries out what {@link Resume} decides from {@code cp}: opens the checkpoint's file at its
   * offset, if it is still there. Returns false if the file changed between the look and its
   * opening (nothing done then).
   */
  private boolean resume(Checkpoint cp) throws IOException {
    Resume resume = Resume.from(cp, DirectoryListing.read(followed));
    earlier.clear();
    earlier.addAll(resume.earlier());
    // the checkpoint's file was at the name: the next file seen there means it left
    nameWatch.atName(new long[] {cp.identity().dev(), cp.identity().ino()});
    switch (resume.how()) {
      case FILE_GONE ->
          LOG.warn(
              "[{}] the file of the checkpoint for {} (last at {}, offset {}) is no longer there, or"
                  + " was truncated: lines it held that were not yet written are lost. Reading the"
                  + " files changed since, then {} from its beginning",
              output,
              followed,
              cp.source(),
              cp.offset(),
              followed);
      case NOTHING_READ -> {}
      case CONTINUE -> {
        return openAt(resume);
      }
    }
    return true;
  }

  /** Opens {@link Resume#file} at its offset, unless it was replaced since the look. */
  private boolean openAt(Resume resume) throws IOException {
    Path path = resume.file().path();
    FileChannel ch;
    try {
      ch = FileChannel.open(path, StandardOpenOption.READ);
    } catch (NoSuchFileException e) {
      return false;
    }
    long[] devIno = FileIdentity.devIno(path);
    if (!Arrays.equals(devIno, resume.file().devIno())) {
      ch.close();
      return false;
    }
    channel = ch;
    source = path;
    setIdentity(FileIdentity.of(resume.lineIdInode(), channel), resume.offset());
    openDevIno = devIno;
    openedMtime = Files.getLastModifiedTime(path);
    finite = resume.rotated();
    LOG.info(
        "[{}] resuming {} at offset {}{}",
        output,
        path,
        resume.offset(),
        finite ? " (rotated away from " + followed + ")" : "");
    return true;
  }

  /** Opens the file at the name; {@code after}: the file read to its end before, or null. */
  private boolean openFollowed(EndOfFileCheck.Finished after) throws IOException {
    long[] before = FileIdentity.devIno(followed);
    if (before == null) {
      problem("waiting for " + followed + " to appear");
      return false;
    }
    if (Files.isDirectory(followed)) {
      problem(followed + " is a directory: LOGGER_FILES must name files; retrying");
      return false;
    }
    FileChannel ch;
    try {
      ch = FileChannel.open(followed, StandardOpenOption.READ);
    } catch (NoSuchFileException e) {
      return false;
    }
    if (!java.util.Arrays.equals(before, FileIdentity.devIno(followed))) {
      ch.close(); // replaced while opening; try again on the next poll
      return false;
    }
    // every file next to it is older, or was read: none of them is read (again) after it
    List<FileIdentity> older = finder().siblingIdentities();
    earlier.clear();
    older.forEach(this::addEarlier);
    long start = after == null ? 0 : EndOfFileCheck.startAfter(after, before, ch);
    if (start > 0) {
      LOG.info(
          "[{}] {} holds a copy of the first {} bytes of {} (copytruncate, before its truncation):"
              + " reading on from there",
          output,
          source,
          start,
          followed);
    }
    channel = ch;
    source = followed;
    finite = false;
    setIdentity(FileIdentity.of(before, ch), start);
    openDevIno = before;
    nameWatch.atName(before);
    openedMtime = Files.getLastModifiedTime(followed);
    nameWatch.clear();
    lastProblem = null;
    LOG.info("[{}] following {}", output, followed);
    return true;
  }

  /** Where the file holding {@code id} with at least {@code minSize} bytes is now, if anywhere. */
  private Optional<Path> find(FileIdentity id, long minSize, Match how) throws IOException {
    return finder().find(id, minSize, how).map(DirectoryListing.Entry::path);
  }

  /** A look at the followed file's directory now, and what it says. */
  private RotatedFileFinder finder() throws IOException {
    return new RotatedFileFinder(DirectoryListing.read(followed), earlier);
  }

  /** The open file is {@code id}, read from {@code offset}. */
  private void setIdentity(FileIdentity id, long offset) {
    identity = id;
    sourceKey = null;
    sourceKeyFinal = false;
    lines.restart(offset);
  }

  private void closeChannel() {
    FileChannel ch = channel;
    channel = null;
    finite = false;
    if (ch != null) {
      try {
        ch.close();
      } catch (IOException ignored) {
        // read-only file: nothing to lose
      }
    }
  }

  private void problem(String message) {
    if (!message.equals(lastProblem)) {
      lastProblem = message;
      LOG.warn("[{}] {}", output, message);
    }
  }

  /** The last problem met opening or reading the file (null while it is followed), for /health. */
  String problem() {
    String p = readProblem;
    return p != null ? p : channel == null ? lastProblem : null;
  }

  /** Set by the pipeline while polling this file fails, cleared when it works again. */
  void readProblem(String problem) {
    readProblem = problem;
  }

  private static String uid() {
    try {
      return String.valueOf(Files.getAttribute(Path.of("/proc/self"), "unix:uid"));
    } catch (IOException | RuntimeException e) {
      return System.getProperty("user.name");
    }
  }
}
