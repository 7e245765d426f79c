package io.podreload.app;

import static org.assertj.core.api.Assertions.assertThat;

import io.micronaut.context.env.AbstractPropertySourceLoader;
import io.micronaut.context.env.PropertySource;
import io.podreload.micronaut.SettingsBinder;
import org.junit.jupiter.api.Test;

class ApplicationTest {

  @Test
  void theBuiltInConfigIsAPropertySourceBelowTheMountedOne() {
    PropertySource builtIn = Application.builtInConfig();
    assertThat(builtIn.get("app.greeting")).isEqualTo("Hello from the built-in config");
    assertThat(builtIn.get("micronaut.server.port")).isEqualTo("${MICRONAUT_SERVER_PORT:8080}");
    assertThat(builtIn.getOrder())
        .isEqualTo(AbstractPropertySourceLoader.DEFAULT_POSITION)
        .isLessThan(SettingsBinder.MOUNTED_ORDER);
  }

  @Test
  void noConfigAtTheClasspathRootForMicronautToReReadOnEveryRefresh() {
    // Found there, Micronaut opens the whole jar as a zip file system on every reload.
    for (String name : new String[] {"application.yml", "application.yaml", "application.json"}) {
      assertThat(Application.class.getResource("/" + name)).as(name).isNull();
    }
  }
}
