package io.podreload.logger;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import io.podreload.common.PrometheusRegistry;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Lines to the fake of Loki's push API, in process. */
class LokiOutputTest {

  @Test
  void aPieceOfAnOverLongLineCarriesTheSplitMarkerAsOnStdout() throws Exception {
    try (FakeLoki loki = new FakeLoki()) {
      LokiOutput output =
          new LokiOutput(
              new LoggerSettings.LokiSettings(
                  URI.create(loki.url()),
                  Map.of("job", "test"),
                  new LoggerSettings.Access(Optional.empty(), Optional.empty()),
                  new LoggerSettings.Batching(10, 1024, Duration.ZERO)),
              new Metrics(new PrometheusRegistry()).forOutput("loki"));
      Batch batch = new Batch();
      Path file = Path.of("/var/log/app/access.log");
      byte[] first = "aaaa".getBytes(UTF_8);
      byte[] rest = "bb".getBytes(UTF_8);
      batch.add(file, "1:2:3", 0, first, 0, first.length, true);
      batch.add(file, "1:2:3", 4, rest, 0, rest.length, false);
      output.write(batch, () -> true);
      assertThat(loki.lines).containsExactly("aaaa" + Output.SPLIT_MARKER, "bb");
    }
  }
}
