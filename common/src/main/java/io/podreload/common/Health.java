package io.podreload.common;

import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One answer of a health endpoint, the shape all three programs serve: {@code
 * {"status":"UP"|"DOWN", ...details}}, 200 when up and 503 when down ({@link
 * StatusHttpServer.Answer#health(Health)}).
 *
 * @param details more fields of the body, after {@code status}; never secrets or exception text
 *     that may quote them
 */
public record Health(boolean up, Map<String, ?> details) {

  public Health {
    details = details == null ? Map.of() : details;
  }

  public static Health healthy() {
    return new Health(true, Map.of());
  }

  public static Health down(String problem) {
    return new Health(false, Map.of("problem", problem));
  }

  /** Liveness: up while every heartbeat is fresh; down names every thread that is not. */
  public static Health of(Collection<Heartbeat> heartbeats) {
    Map<String, Object> problems = new LinkedHashMap<>();
    for (Heartbeat heartbeat : heartbeats) {
      String problem = heartbeat.problem();
      if (problem != null) {
        problems.put(heartbeat.name(), problem);
      }
    }
    return problems.isEmpty() ? healthy() : new Health(false, Map.of("threads", problems));
  }
}
