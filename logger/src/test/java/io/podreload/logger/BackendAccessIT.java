package io.podreload.logger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * How the logger reaches a backend that wants TLS with its own certificate authority and
 * credentials: the fake bulk API over HTTPS with a self-signed certificate, and what the logger
 * sends and logs.
 */
class BackendAccessIT {
  @TempDir Path dir;

  @Test
  void aBackendWithItsOwnCaAndCredentialsInTheUrlGetsEveryLineAndThePasswordIsNeverLogged()
      throws Exception {
    TestCertificate certificate = TestCertificate.create(dir);
    Path log = dir.resolve("access.log");
    try (FakeBulkServer bulk = new FakeBulkServer(certificate);
        SequenceWriter writer = new SequenceWriter(log)) {
      writer.write(100);
      String url = bulk.url().replace("https://", "https://elastic:s3cr%40t-pw@");
      try (LoggerProcess logger =
          LoggerProcess.start(
              dir,
              dir.resolve("stdout.txt"),
              Map.of(
                  "LOGGER_FILES",
                  log.toString(),
                  "LOGGER_ELASTICSEARCH_URL",
                  url,
                  "LOGGER_ELASTICSEARCH_CACERT",
                  certificate.pem.toString(),
                  "LOGGER_ELASTICSEARCH_BATCH_WAIT",
                  "100ms"))) {
        await().atMost(Duration.ofSeconds(60)).until(() -> bulk.acceptedMessages().size() == 100);
        assertThat(bulk.authorizations)
            .allMatch(a -> a.equals("Basic " + base64("elastic:s3cr@t-pw")));
        assertThat(logger.terminate()).isEqualTo(LoggerProcess.EXIT_ON_SIGTERM);
        assertThat(logger.errors())
            .contains("https://127.0.0.1:")
            .doesNotContain("s3cr")
            .doesNotContain(base64("elastic:s3cr@t-pw"));
      }
    }
  }

  @Test
  void anApiKeyIsReadFromAFileAndAnUntrustedCertificateIsRefusedWithTheReason() throws Exception {
    TestCertificate certificate = TestCertificate.create(dir);
    Path log = dir.resolve("access.log");
    Path key = Files.writeString(dir.resolve("api-key"), "a2V5OnNlY3JldA==\n");
    try (FakeBulkServer bulk = new FakeBulkServer(certificate);
        SequenceWriter writer = new SequenceWriter(log)) {
      writer.write(10);
      Map<String, String> env =
          Map.of(
              "LOGGER_FILES", log.toString(),
              "LOGGER_ELASTICSEARCH_URL", bulk.url(),
              "LOGGER_ELASTICSEARCH_API_KEY_FILE", key.toString(),
              "LOGGER_ELASTICSEARCH_BATCH_WAIT", "100ms");
      // without the CA: the certificate is refused, said in the log, and nothing is sent
      try (LoggerProcess logger = LoggerProcess.start(dir, dir.resolve("stdout.txt"), env)) {
        await()
            .atMost(Duration.ofSeconds(60))
            .until(() -> logger.errors().contains("SSLHandshakeException"));
        assertThat(bulk.acceptedMessages()).isEmpty();
        logger.terminate();
      }
      Map<String, String> trusting = new java.util.HashMap<>(env);
      trusting.put("LOGGER_ELASTICSEARCH_CACERT", certificate.pem.toString());
      try (LoggerProcess logger = LoggerProcess.start(dir, dir.resolve("stdout.txt"), trusting)) {
        await().atMost(Duration.ofSeconds(60)).until(() -> bulk.acceptedMessages().size() == 10);
        assertThat(bulk.authorizations).allMatch("ApiKey a2V5OnNlY3JldA=="::equals);
        assertThat(logger.errors()).doesNotContain("a2V5OnNlY3JldA==");
      }
    }
  }

  private static String base64(String s) {
    return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
  }
}
