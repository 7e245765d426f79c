package io.podreload.reloader.rollout;

import io.podreload.common.ConfigFile;
import io.podreload.common.DirSnapshot;
import io.podreload.common.KubeletVolume;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Under progressive rollout the app reads the render dir only, and only what the rollout allows
 * reaches it. The source (the kubelet's volume, or the API) offers each new content; this keeps the
 * contents it was offered by version (the directory's content hash), so the pod can serve a version
 * when its wave opens and return to the promoted one after a rollback, also after the source moved
 * on; and it renders one version into the render dir in the kubelet's layout (one {@code ..data}
 * swap: the app never sees half a version).
 */
public final class ApprovedContent {

  private final Path renderDir;
  private final int keep;
  private final LinkedHashMap<String, Map<String, byte[]>> versions = new LinkedHashMap<>();
  private String offered;
  private String rendered;
  private String pinned;

  /**
   * @param renderDir the app's render dir (it must be in the app's {@code APP_CONFIG_DIRS}, and the
   *     raw volume must not be)
   * @param keep how many versions to keep besides the rendered one (at least 2: the promoted one
   *     and the one rolling out); the rendered, the offered and the pinned one are never dropped
   */
  public ApprovedContent(Path renderDir, int keep) {
    if (keep < 2) {
      throw new IllegalArgumentException("keep at least 2 versions: the promoted and the new one");
    }
    this.renderDir = renderDir;
    this.keep = keep;
  }

  /** The source shows this content now; returns its version. */
  public synchronized String offer(DirSnapshot snapshot) {
    String version = snapshot.hash();
    versions.remove(version);
    versions.put(version, files(snapshot));
    offered = version;
    List<String> old = new ArrayList<>(versions.keySet());
    for (int i = 0; versions.size() > keep + 1 && i < old.size(); i++) {
      if (!old.get(i).equals(rendered)
          && !old.get(i).equals(offered)
          && !old.get(i).equals(pinned)) {
        versions.remove(old.get(i));
      }
    }
    return version;
  }

  /**
   * Keeps {@code version}'s content (the last promoted one, which a rollback returns to) however
   * many versions are offered after it; the version pinned before is no longer held for that.
   */
  public synchronized void pin(String version) {
    pinned = version;
  }

  /**
   * Content found in the render dir at start (an earlier run rendered it, so it was approved):
   * kept, and counted as the rendered version, without being offered.
   */
  public synchronized void keep(DirSnapshot rendered) {
    versions.put(rendered.hash(), files(rendered));
    this.rendered = rendered.hash();
  }

  private static Map<String, byte[]> files(DirSnapshot snapshot) {
    Map<String, byte[]> files = new TreeMap<>();
    for (ConfigFile file : snapshot.files()) {
      files.put(file.name(), file.content());
    }
    return files;
  }

  /** The version the source shows now, or null before any. */
  public synchronized String offered() {
    return offered;
  }

  /** Whether the content of {@code version} is at hand. */
  public synchronized boolean has(String version) {
    return version != null && versions.containsKey(version);
  }

  /** The version in the render dir, if any was rendered. */
  public synchronized Optional<String> rendered() {
    return Optional.ofNullable(rendered);
  }

  /**
   * Renders {@code version} into the render dir (nothing else ever reaches it).
   *
   * @throws IllegalStateException when the version's content is not at hand
   */
  public synchronized void render(String version) throws IOException {
    Map<String, byte[]> files = versions.get(version);
    if (files == null) {
      throw new IllegalStateException(
          "version " + version + " was never offered by the source: nothing to render");
    }
    KubeletVolume.write(renderDir, files, null);
    rendered = version;
  }
}
