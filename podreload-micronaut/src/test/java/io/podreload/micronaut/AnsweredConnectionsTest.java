package io.podreload.micronaut;

import static org.assertj.core.api.Assertions.assertThat;

import io.micronaut.context.ApplicationContext;
import io.micronaut.context.BeanRegistration;
import io.micronaut.runtime.graceful.GracefulShutdownCapable;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Where {@link AnsweredConnections} stands in Micronaut's graceful shutdown. */
class AnsweredConnectionsTest {

  @Test
  void itsPartOfTheGracefulShutdownComesBeforeEveryOtherOneTheServersIncluded() {
    int own = new AnsweredConnections(customizer -> {}).getOrder();
    // Without the module (no signal handlers in this JVM): the parts it would be sorted among.
    try (ApplicationContext context =
        ApplicationContext.run(
            Map.of("podreload.enabled", "false", "micronaut.server.port", "-1"))) {
      assertThat(context.getBeanRegistrations(GracefulShutdownCapable.class))
          .extracting(BeanRegistration::getOrder)
          .isNotEmpty()
          .allSatisfy(other -> assertThat(other).isGreaterThan(own));
    }
  }
}
