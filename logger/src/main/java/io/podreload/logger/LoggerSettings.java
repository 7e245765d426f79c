package io.podreload.logger;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * Everything the logger is told, read once at start-up from the environment variables {@code
 * LOGGER_*} (or the same names as {@code logger.*} system properties, which win). Bad values fail
 * start-up with a message naming the variable.
 */
public record LoggerSettings(
    List<Path> files,
    Path stateDir,
    int httpPort,
    Format format,
    int maxLineBytes,
    Duration partialLineTimeout,
    Duration pollInterval,
    Duration checkpointInterval,
    Duration shutdownTimeout,
    Duration stallTimeout,
    long behindWarnBytes,
    Optional<ElasticsearchSettings> elasticsearch,
    Optional<LokiSettings> loki) {

  /** How a line is written to stdout. */
  public enum Format {
    RAW,
    JSON
  }

  /** The optional Elasticsearch/OpenSearch bulk output. */
  public record ElasticsearchSettings(URI url, String index, Access access, Batching batching) {}

  /** The optional Loki push output. */
  public record LokiSettings(
      URI url, Map<String, String> labels, Access access, Batching batching) {}

  /**
   * How a backend is reached: the {@code Authorization} header, if any (basic auth or an API key),
   * and the PEM file of the certificate authorities to trust beside the JVM's own, if any.
   */
  public record Access(Optional<String> authorization, Optional<Path> caCert) {

    /** The settings' credentials and trust, for the start-up log: never a secret. */
    String describe() {
      return "auth="
          + authorization
              .map(a -> a.substring(0, a.indexOf(' ')) + " (set, not shown)")
              .orElse("none")
          + " cacert="
          + caCert.map(Path::toString).orElse("(the JVM's)");
    }
  }

  /** When a backend batch is sent: whichever of the three limits is reached first. */
  public record Batching(int maxLines, int maxBytes, Duration maxWait) {}

  /** Every setting for the start-up log, credentials left out. */
  public String describe() {
    return "files="
        + files
        + " stateDir="
        + stateDir
        + " httpPort="
        + httpPort
        + " format="
        + format.name().toLowerCase()
        + " maxLineBytes="
        + maxLineBytes
        + " partialLineTimeout="
        + partialLineTimeout
        + " pollInterval="
        + pollInterval
        + " checkpointInterval="
        + checkpointInterval
        + " shutdownTimeout="
        + shutdownTimeout
        + " stallTimeout="
        + stallTimeout
        + " behindWarnBytes="
        + behindWarnBytes
        + " elasticsearch="
        + elasticsearch
            .map(
                es ->
                    es.url()
                        + " index="
                        + es.index()
                        + " "
                        + es.access().describe()
                        + " "
                        + es.batching())
            .orElse("off")
        + " loki="
        + loki.map(
                l ->
                    l.url()
                        + " labels="
                        + l.labels()
                        + " "
                        + l.access().describe()
                        + " "
                        + l.batching())
            .orElse("off");
  }

  /** The settings from the environment: {@code logger.state-dir} is {@code LOGGER_STATE_DIR}. */
  public static LoggerSettings fromEnvironment() {
    return from(
        name -> {
          String value = System.getProperty(name);
          return Optional.ofNullable(value != null ? value : System.getenv(envName(name)));
        });
  }

  /** The settings from {@code p}, which maps a property name to its value, if set. */
  public static LoggerSettings from(Function<String, Optional<String>> p) {
    List<Path> files = new ArrayList<>();
    for (String f : string(p, "logger.files", "/var/log/app/access.log").split(",")) {
      if (!f.isBlank()) {
        files.add(Path.of(f.trim()).toAbsolutePath().normalize());
      }
    }
    if (files.isEmpty()) {
      throw new IllegalArgumentException(
          "LOGGER_FILES is empty: set it to a comma-separated list of files to follow");
    }
    return new LoggerSettings(
        List.copyOf(files),
        Path.of(string(p, "logger.state-dir", "/var/lib/logger")),
        integer(p, "logger.http-port", 8082, 0, 65535),
        format(string(p, "logger.format", "raw")),
        integer(p, "logger.max-line-bytes", 256 * 1024, 1024, 64 * 1024 * 1024),
        duration(p, "logger.partial-line-timeout", "1s"),
        duration(p, "logger.poll-interval", "10ms"),
        duration(p, "logger.checkpoint-interval", "1s"),
        duration(p, "logger.shutdown-timeout", "25s"),
        duration(p, "logger.stall-timeout", "2m"),
        integer(p, "logger.behind-warn-bytes", 64 * 1024 * 1024, 0, Integer.MAX_VALUE),
        optionalString(p, "logger.elasticsearch.url")
            .map(
                url ->
                    new ElasticsearchSettings(
                        uri("logger.elasticsearch.url", url),
                        string(p, "logger.elasticsearch.index", "podreload-access"),
                        access(p, "logger.elasticsearch", url, true),
                        batching(p, "logger.elasticsearch"))),
        optionalString(p, "logger.loki.url")
            .map(
                url ->
                    new LokiSettings(
                        uri("logger.loki.url", url),
                        labels(string(p, "logger.loki.labels", "job=podreload-logger")),
                        access(p, "logger.loki", url, false),
                        batching(p, "logger.loki"))));
  }

  /**
   * A backend's credentials and trust: {@code <prefix>.username} with {@code .password} (or {@code
   * .password-file}), or user and password in the URL; {@code .api-key} (or {@code .api-key-file})
   * where the backend takes one; {@code .cacert}, a PEM file of certificate authorities. That is
   * LOGGER_ELASTICSEARCH_USERNAME, LOGGER_ELASTICSEARCH_PASSWORD,
   * LOGGER_ELASTICSEARCH_PASSWORD_FILE, LOGGER_ELASTICSEARCH_API_KEY,
   * LOGGER_ELASTICSEARCH_API_KEY_FILE, LOGGER_ELASTICSEARCH_CACERT, LOGGER_LOKI_USERNAME,
   * LOGGER_LOKI_PASSWORD, LOGGER_LOKI_PASSWORD_FILE and LOGGER_LOKI_CACERT.
   */
  private static Access access(
      Function<String, Optional<String>> p, String prefix, String url, boolean apiKeys) {
    Optional<String> username = optionalString(p, prefix + ".username");
    Optional<String> password = secret(p, prefix + ".password");
    String userInfo = URI.create(url.trim()).getRawUserInfo();
    if (userInfo != null && username.isEmpty()) {
      int colon = userInfo.indexOf(':');
      username = Optional.of(decode(colon < 0 ? userInfo : userInfo.substring(0, colon)));
      if (colon >= 0 && password.isEmpty()) {
        password = Optional.of(decode(userInfo.substring(colon + 1)));
      }
    }
    Optional<String> apiKey = apiKeys ? secret(p, prefix + ".api-key") : Optional.empty();
    if (apiKey.isPresent() && username.isPresent()) {
      throw new IllegalArgumentException(
          envName(prefix + ".api-key")
              + " and a username (in "
              + envName(prefix + ".username")
              + " or the URL) are both set: use one of them");
    }
    String secret = password.orElse("");
    Optional<String> basic = username.map(u -> u + ":" + secret);
    Optional<String> authorization =
        apiKey
            .map(k -> "ApiKey " + k)
            .or(
                () ->
                    basic.map(
                        b ->
                            "Basic "
                                + java.util.Base64.getEncoder()
                                    .encodeToString(
                                        b.getBytes(java.nio.charset.StandardCharsets.UTF_8))));
    Optional<Path> caCert = optionalString(p, prefix + ".cacert").map(Path::of);
    caCert.ifPresent(ca -> Tls.trusting(ca, envName(prefix + ".cacert"))); // fails early
    return new Access(authorization, caCert);
  }

  /** {@code name}, or the content of the file {@code name-file} (a mounted Secret). */
  private static Optional<String> secret(Function<String, Optional<String>> p, String name) {
    Optional<String> value = optionalString(p, name);
    Optional<String> file = optionalString(p, name + "-file");
    if (value.isPresent() && file.isPresent()) {
      throw new IllegalArgumentException(
          envName(name) + " and " + envName(name + "-file") + " are both set: use one of them");
    }
    if (file.isEmpty()) {
      return value;
    }
    try {
      String content = java.nio.file.Files.readString(Path.of(file.get())).strip();
      if (content.isEmpty()) {
        throw new IllegalArgumentException(
            envName(name + "-file") + "=" + file.get() + " is empty: put the secret in it");
      }
      return Optional.of(content);
    } catch (java.io.IOException e) {
      throw new IllegalArgumentException(
          envName(name + "-file")
              + "="
              + file.get()
              + " cannot be read ("
              + e
              + "): mount the Secret there, readable by this user");
    }
  }

  /** {@code url} with any user and password in it replaced by {@code ***}. */
  static String redacted(String url) {
    return url.replaceAll("(?<=//)[^/?#]*@", "***@");
  }

  private static String decode(String s) {
    return java.net.URLDecoder.decode(
        s.replace("+", "%2B"), java.nio.charset.StandardCharsets.UTF_8);
  }

  private static Batching batching(Function<String, Optional<String>> p, String prefix) {
    return new Batching(
        integer(p, prefix + ".batch-lines", 1000, 1, 1_000_000),
        integer(p, prefix + ".batch-bytes", 4 * 1024 * 1024, 1024, 256 * 1024 * 1024),
        duration(p, prefix + ".batch-wait", "1s"));
  }

  static Map<String, String> labels(String spec) {
    Map<String, String> labels = new LinkedHashMap<>();
    for (String pair : spec.split(",")) {
      if (pair.isBlank()) {
        continue;
      }
      int eq = pair.indexOf('=');
      if (eq <= 0) {
        throw new IllegalArgumentException(
            "LOGGER_LOKI_LABELS: '" + pair + "' is not name=value (example: job=app,env=dev)");
      }
      labels.put(pair.substring(0, eq).trim(), pair.substring(eq + 1).trim());
    }
    return labels;
  }

  private static Format format(String value) {
    return switch (value.trim().toLowerCase()) {
      case "raw" -> Format.RAW;
      case "json" -> Format.JSON;
      default ->
          throw new IllegalArgumentException(
              "LOGGER_FORMAT='" + value + "' is not supported: use raw (the default) or json");
    };
  }

  private static String envName(String property) {
    return property.toUpperCase().replace('.', '_').replace('-', '_');
  }

  private static Optional<String> optionalString(
      Function<String, Optional<String>> p, String name) {
    return p.apply(name).filter(s -> !s.isBlank()).map(String::trim);
  }

  private static String string(Function<String, Optional<String>> p, String name, String fallback) {
    return optionalString(p, name).orElse(fallback);
  }

  private static int integer(
      Function<String, Optional<String>> p, String name, int fallback, int min, int max) {
    String raw = string(p, name, Integer.toString(fallback));
    try {
      int value = Integer.parseInt(raw);
      if (value < min || value > max) {
        throw new NumberFormatException();
      }
      return value;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          envName(name) + "='" + raw + "' must be a whole number from " + min + " to " + max);
    }
  }

  static Duration duration(Function<String, Optional<String>> p, String name, String fallback) {
    String raw = string(p, name, fallback);
    try {
      return parseDuration(raw);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          envName(name) + "='" + raw + "' is not a duration: use forms like 250ms, 1s, 2m");
    }
  }

  static Duration parseDuration(String raw) {
    String s = raw.trim().toLowerCase();
    int i = 0;
    while (i < s.length() && Character.isDigit(s.charAt(i))) {
      i++;
    }
    if (i == 0) {
      throw new IllegalArgumentException(raw);
    }
    long n = Long.parseLong(s.substring(0, i));
    return switch (s.substring(i)) {
      case "ms" -> Duration.ofMillis(n);
      case "s", "" -> Duration.ofSeconds(n);
      case "m" -> Duration.ofMinutes(n);
      default -> throw new IllegalArgumentException(raw);
    };
  }

  /** The URL without user and password, which {@link #access} takes: they are never logged. */
  private static URI uri(String name, String raw) {
    try {
      URI uri = URI.create(raw.endsWith("/") ? raw.substring(0, raw.length() - 1) : raw);
      if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme())) {
        throw new IllegalArgumentException();
      }
      if (uri.getRawUserInfo() != null) {
        uri =
            new URI(
                uri.getScheme(),
                null,
                uri.getHost(),
                uri.getPort(),
                uri.getPath(),
                uri.getQuery(),
                uri.getFragment());
      }
      return uri;
    } catch (java.net.URISyntaxException e) {
      throw new IllegalArgumentException(
          envName(name) + "='" + redacted(raw) + "' is not a valid URL: " + e.getReason());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          envName(name)
              + "='"
              + redacted(raw)
              + "' is not an http(s) URL (example: http://opensearch:9200)");
    }
  }
}
