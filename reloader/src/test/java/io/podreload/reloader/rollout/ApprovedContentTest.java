package io.podreload.reloader.rollout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.podreload.common.DirSnapshot;
import io.podreload.common.KubeletVolume;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The render dir under progressive rollout, on real files: the kubelet publishes every version in
 * the volume (here with the same {@code ..data} swap), and only the version the rollout allows
 * reaches the render dir.
 */
class ApprovedContentTest {

  @TempDir Path tmp;

  private DirSnapshot publish(Path volume, String greeting) throws Exception {
    KubeletVolume.write(
        volume,
        Map.of(
            "application.yml",
            ("app:\n  greeting: " + greeting + "\n").getBytes(StandardCharsets.UTF_8)),
        null);
    return KubeletVolume.read(volume);
  }

  private String served(Path render) throws Exception {
    return Files.readString(render.resolve("application.yml"));
  }

  @Test
  void theRenderDirHoldsOnlyTheAllowedVersionAndCanReturnToThePromotedOneAfterTheVolumeMovedOn()
      throws Exception {
    Path volume = tmp.resolve("volume");
    Path render = tmp.resolve("render");
    ApprovedContent content = new ApprovedContent(render, 2);

    String v0 = content.offer(publish(volume, "first"));
    content.render(v0);
    String v1 = content.offer(publish(volume, "second"));
    // the kubelet delivered v1 to the volume; the rollout has not allowed it to this pod
    assertThat(served(volume)).contains("second");
    assertThat(served(render)).contains("first");
    assertThat(content.offered()).isEqualTo(v1);

    content.render(v1); // its wave opened
    assertThat(served(render)).contains("second");
    assertThat(Files.isSymbolicLink(render.resolve(KubeletVolume.DATA_LINK))).isTrue();

    content.render(v0); // rolled back: v0 again, though the volume shows v1
    assertThat(served(render)).contains("first");
    assertThat(content.rendered()).contains(v0);
  }

  @Test
  void aVersionNeverOfferedCannotBeRenderedAndOldVersionsAreDroppedButNotTheRenderedOne()
      throws Exception {
    Path volume = tmp.resolve("volume");
    ApprovedContent content = new ApprovedContent(tmp.resolve("render"), 2);
    String v0 = content.offer(publish(volume, "a"));
    content.render(v0);
    String v1 = content.offer(publish(volume, "b"));
    String v2 = content.offer(publish(volume, "c"));
    String v3 = content.offer(publish(volume, "d"));
    assertThat(content.has(v0)).as("rendered: kept").isTrue();
    assertThat(content.has(v1)).as("oldest: dropped").isFalse();
    assertThat(content.has(v2)).isTrue();
    assertThat(content.has(v3)).isTrue();
    assertThatThrownBy(() -> content.render(v1))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("never offered");
    assertThat(content.has(null)).isFalse();
  }

  @Test
  void thePinnedPromotedVersionIsKeptHoweverManyEditsLandDuringOneRollout() throws Exception {
    Path volume = tmp.resolve("volume");
    Path render = tmp.resolve("render");
    ApprovedContent content = new ApprovedContent(render, 2);
    String promoted = content.offer(publish(volume, "promoted"));
    content.render(promoted);
    content.pin(promoted);
    String canary = content.offer(publish(volume, "canary"));
    content.render(canary); // this pod is the canary
    for (int edit = 0; edit < 6; edit++) {
      content.offer(publish(volume, "edit " + edit)); // edits land while the canary bakes
    }

    assertThat(content.has(promoted)).isTrue();
    content.render(promoted); // rolled back
    assertThat(served(render)).contains("promoted");
  }
}
