package io.podreload.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** kustomize/components/elasticsearch: the logger ships the access log, nobody else changes. */
class ElasticsearchComponentTest {
  static List<String> elasticsearchVariants() {
    return Variants.including("elasticsearch");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("elasticsearchVariants")
  void loggerShipsTheAccessLogToAnIndex(String variant) {
    Settings logger = Settings.of(Variants.get(variant), "logger");

    assertThat(logger.get("LOGGER_ELASTICSEARCH_URL")).matches("https?://[^/]+(/.*)?");
    assertThat(logger.get("LOGGER_ELASTICSEARCH_INDEX")).isNotBlank();
  }

  @org.junit.jupiter.api.Test
  void onlyTheLoggerIsConfiguredForElasticsearch() {
    Manifests m = Variants.get("base+components/elasticsearch");

    assertThat(m.env("app")).doesNotContainKeys("LOGGER_ELASTICSEARCH_URL");
    assertThat(m.env("reloader")).doesNotContainKeys("LOGGER_ELASTICSEARCH_URL");
    assertThat(m.pod())
        .isEqualTo(
            Variants.get("base").pod().toBuilder()
                .withInitContainers(m.pod().getInitContainers())
                .build());
  }
}
