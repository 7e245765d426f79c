package io.podreload.logger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The settings read from {@code logger.*} names, in process: defaults, values and bad values. */
class LoggerSettingsTest {
  @TempDir Path dir;

  private final Map<String, String> env = new HashMap<>();

  private LoggerSettings settings() {
    return LoggerSettings.from(name -> Optional.ofNullable(env.get(name)));
  }

  @Test
  void theDefaultsAreTheDocumentedOnes() {
    LoggerSettings s = settings();
    assertThat(s.files()).containsExactly(Path.of("/var/log/app/access.log"));
    assertThat(s.stateDir()).isEqualTo(Path.of("/var/lib/logger"));
    assertThat(s.httpPort()).isEqualTo(8082);
    assertThat(s.format()).isEqualTo(LoggerSettings.Format.RAW);
    assertThat(s.maxLineBytes()).isEqualTo(256 * 1024);
    assertThat(s.partialLineTimeout()).isEqualTo(Duration.ofSeconds(1));
    assertThat(s.pollInterval()).isEqualTo(Duration.ofMillis(10));
    assertThat(s.checkpointInterval()).isEqualTo(Duration.ofSeconds(1));
    assertThat(s.shutdownTimeout()).isEqualTo(Duration.ofSeconds(25));
    assertThat(s.stallTimeout()).isEqualTo(Duration.ofMinutes(2));
    assertThat(s.elasticsearch()).isEmpty();
    assertThat(s.loki()).isEmpty();
  }

  @Test
  void filesAreAbsoluteAndNormalisedAndBlanksSkipped() {
    env.put("logger.files", " /var/log/app/../app/a.log, ,/tmp/b.log ");
    assertThat(settings().files())
        .containsExactly(Path.of("/var/log/app/a.log"), Path.of("/tmp/b.log"));
  }

  @Test
  void noFileIsAClearError() {
    env.put("logger.files", " , ");
    assertThatThrownBy(this::settings)
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("LOGGER_FILES is empty");
  }

  @Test
  void durationsTakeMillisecondsSecondsAndMinutes() {
    env.put("logger.partial-line-timeout", "250ms");
    env.put("logger.poll-interval", "2");
    env.put("logger.checkpoint-interval", "3m");
    LoggerSettings s = settings();
    assertThat(s.partialLineTimeout()).isEqualTo(Duration.ofMillis(250));
    assertThat(s.pollInterval()).isEqualTo(Duration.ofSeconds(2));
    assertThat(s.checkpointInterval()).isEqualTo(Duration.ofMinutes(3));
  }

  @Test
  void badValuesNameTheVariableAndSayWhatIsExpected() {
    env.put("logger.poll-interval", "soon");
    assertThatThrownBy(this::settings)
        .hasMessageContaining("LOGGER_POLL_INTERVAL='soon'")
        .hasMessageContaining("250ms, 1s, 2m");
    env.clear();
    env.put("logger.max-line-bytes", "10");
    assertThatThrownBy(this::settings)
        .hasMessageContaining("LOGGER_MAX_LINE_BYTES='10' must be a whole number from 1024");
    env.clear();
    env.put("logger.format", "xml");
    assertThatThrownBy(this::settings).hasMessageContaining("LOGGER_FORMAT='xml'");
    env.clear();
    env.put("logger.loki.url", "http://loki:3100");
    env.put("logger.loki.labels", "job");
    assertThatThrownBy(this::settings).hasMessageContaining("'job' is not name=value");
    env.clear();
    env.put("logger.elasticsearch.url", "ftp://user:secret@es");
    assertThatThrownBy(this::settings)
        .hasMessageContaining("LOGGER_ELASTICSEARCH_URL")
        .hasMessageNotContaining("secret");
  }

  @Test
  void credentialsInTheUrlBecomeBasicAuthAndAreNeverDescribed() {
    env.put("logger.elasticsearch.url", "https://user:s%3Acret@es:9200/");
    env.put("logger.format", "JSON");
    LoggerSettings s = settings();
    LoggerSettings.ElasticsearchSettings es = s.elasticsearch().orElseThrow();
    assertThat(es.url().toString()).isEqualTo("https://es:9200");
    assertThat(es.index()).isEqualTo("podreload-access");
    assertThat(es.access().authorization())
        .contains(
            "Basic "
                + Base64.getEncoder()
                    .encodeToString("user:s:cret".getBytes(StandardCharsets.UTF_8)));
    assertThat(s.format()).isEqualTo(LoggerSettings.Format.JSON);
    assertThat(s.describe()).contains("auth=Basic (set, not shown)").doesNotContain("cret");
    assertThat(LoggerSettings.redacted("https://user:pw@es:9200/x"))
        .isEqualTo("https://***@es:9200/x");
  }

  @Test
  void anApiKeyComesFromAFileAndExcludesAUsername() throws Exception {
    Path key = Files.writeString(dir.resolve("key"), "abc123\n");
    env.put("logger.elasticsearch.url", "http://es:9200");
    env.put("logger.elasticsearch.api-key-file", key.toString());
    assertThat(settings().elasticsearch().orElseThrow().access().authorization())
        .contains("ApiKey abc123");
    env.put("logger.elasticsearch.username", "u");
    assertThatThrownBy(this::settings).hasMessageContaining("are both set: use one of them");
    env.remove("logger.elasticsearch.username");
    env.put("logger.elasticsearch.api-key", "other");
    assertThatThrownBy(this::settings)
        .hasMessageContaining(
            "LOGGER_ELASTICSEARCH_API_KEY and LOGGER_ELASTICSEARCH_API_KEY_FILE are both set");
    env.remove("logger.elasticsearch.api-key");
    Files.writeString(key, "  \n");
    assertThatThrownBy(this::settings).hasMessageContaining("is empty: put the secret in it");
    env.put("logger.elasticsearch.api-key-file", dir.resolve("missing").toString());
    assertThatThrownBy(this::settings).hasMessageContaining("cannot be read");
  }

  @Test
  void lokiTakesLabelsAndItsOwnBatching() {
    env.put("logger.loki.url", "http://loki:3100");
    env.put("logger.loki.labels", "job=app, env=dev");
    env.put("logger.loki.batch-lines", "50");
    env.put("logger.loki.batch-wait", "200ms");
    LoggerSettings.LokiSettings loki = settings().loki().orElseThrow();
    assertThat(loki.labels()).containsExactly(Map.entry("job", "app"), Map.entry("env", "dev"));
    assertThat(loki.batching())
        .isEqualTo(new LoggerSettings.Batching(50, 4 * 1024 * 1024, Duration.ofMillis(200)));
    assertThat(loki.access().authorization()).isEmpty();
    assertThat(loki.access().caCert()).isEmpty();
  }
}
