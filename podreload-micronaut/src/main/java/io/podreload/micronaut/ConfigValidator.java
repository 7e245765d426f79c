package io.podreload.micronaut;

import java.util.List;

/**
 * The host app's own check of a candidate config, run after it is bound and validated and before it
 * is served: a bean implementing this can veto the candidate. The reload is then rejected with the
 * messages in the status file and {@code /config}, and the last good config keeps serving.
 */
@FunctionalInterface
public interface ConfigValidator {

  /**
   * @return what is wrong, one message per problem saying what to fix; empty to accept. A message
   *     must not quote secret values: it is written to the status file.
   */
  List<String> problems(ConfigCandidate candidate);
}
