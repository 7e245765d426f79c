package io.podreload.reloader.vault;

import java.nio.file.Path;
import java.time.Duration;

/** {@link VaultSettings} for tests: short intervals, changed field by field. */
final class TestSettings {
  String address;
  String token;
  Path tokenFile;
  String namespace;
  String path = "secret/app";
  int kvVersion = 2;
  String auth = "token";
  String role;
  Path jwtFile = Path.of("/nonexistent/jwt");
  String authMount = "kubernetes";
  Duration pollInterval = Duration.ofMillis(100);
  Duration backoffMax = Duration.ofMillis(400);
  Duration degradedAfter = Duration.ofMillis(800);
  Duration startTimeout = Duration.ofSeconds(5);
  Path secretsDir;
  String fileMode = "0400";

  TestSettings(String address, Path secretsDir) {
    this.address = address;
    this.secretsDir = secretsDir;
  }

  VaultSettings build() {
    return new VaultSettings(
        address,
        token,
        tokenFile,
        namespace,
        null,
        path,
        null,
        kvVersion,
        auth,
        role,
        jwtFile,
        authMount,
        pollInterval,
        Duration.ofSeconds(2),
        backoffMax,
        degradedAfter,
        startTimeout,
        secretsDir,
        "vault.properties",
        fileMode);
  }
}
