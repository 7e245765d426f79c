package io.podreload.reloader.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** When the heap is given back: after changes only, and never on past a change that came in. */
class HeapGiveBackTest {

  final AtomicInteger collections = new AtomicInteger();
  final AtomicReference<Runnable> during = new AtomicReference<>(() -> {});
  final HeapGiveBack heap =
      new HeapGiveBack(
          () -> {
            collections.incrementAndGet();
            during.get().run();
          });

  @Test
  void aQuietTickWithNoChangeSinceTheLastCollectsNothing() {
    heap.whenQuiet();
    assertThat(collections).hasValue(0);
  }

  @Test
  void theFirstQuietTickAfterAChangeCollectsUntilTheHeapStopsShrinking() {
    heap.changed();
    heap.whenQuiet();
    // the first collection, then at least one that shows whether the heap still shrinks
    await().atMost(Duration.ofSeconds(30)).until(() -> collections.get() >= 2);
    assertThat(collections.get()).isLessThanOrEqualTo(HeapGiveBack.MAX_COLLECTIONS);
  }

  @Test
  void aChangeDuringTheCollectionsEndsThemAfterTheOneUnderWay() throws Exception {
    during.set(heap::changed); // a change comes in during the first collection
    heap.changed();
    heap.whenQuiet();
    await().atMost(Duration.ofSeconds(30)).until(() -> collections.get() >= 1);
    await().pollDelay(Duration.ofMillis(200)).until(() -> true);
    assertThat(collections).hasValue(1);
  }
}
