package io.podreload.devtools;

import io.podreload.common.KubeletVolume;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/**
 * Publishes a plain file into a ConfigMap-style volume dir the way the kubelet does, so that the
 * pod runs on one machine without a cluster ({@code bin/local-pod}). Every save of the file (an
 * in-place write or an editor's rename-over save) becomes one atomic {@code ..data} swap, after an
 * optional delay like the kubelet's sync period.
 *
 * <pre>
 * java -cp devtools/target/devtools.jar:common/target/common.jar io.podreload.devtools.LocalKubelet FILE VOLUME_DIR [DELAY]
 * </pre>
 */
public final class LocalKubelet {

  private final EditedFile edited;

  LocalKubelet(Path source, Path volume, Duration delay) {
    this.edited =
        new EditedFile(
            source,
            delay,
            (name, content) -> {
              KubeletVolume.write(volume, Map.of(name, content), null);
              System.out.printf("published %s into %s (%d bytes)%n", name, volume, content.length);
            });
  }

  public static void main(String[] args) throws Exception {
    if (args.length < 2 || args.length > 3) {
      System.err.println("usage: LocalKubelet FILE VOLUME_DIR [DELAY_SECONDS]");
      System.exit(2);
    }
    Duration delay =
        Duration.ofMillis(args.length == 3 ? (long) (Double.parseDouble(args[2]) * 1000) : 0);
    new LocalKubelet(Path.of(args[0]), Path.of(args[1]), delay).run();
  }

  void run() throws IOException, InterruptedException {
    edited.follow();
  }

  /** Publishes the file when its bytes differ from the last published ones. */
  boolean publishIfChanged() throws IOException, InterruptedException {
    return edited.publishIfChanged();
  }
}
