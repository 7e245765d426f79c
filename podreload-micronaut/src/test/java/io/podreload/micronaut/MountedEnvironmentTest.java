package io.podreload.micronaut;

import static org.assertj.core.api.Assertions.assertThat;

import io.micronaut.context.ApplicationContext;
import io.micronaut.context.env.Environment;
import io.micronaut.context.env.EnvironmentPropertySource;
import io.micronaut.context.env.MapPropertySource;
import io.micronaut.core.type.Argument;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Micronaut's real environment follows each config at a cost that follows what changed, and serves
 * what a full refresh would serve: higher sources still win, removed keys and shrunk lists go.
 */
class MountedEnvironmentTest {

  private ApplicationContext context;
  private Environment environment;
  private MountedEnvironment mounted;

  @BeforeEach
  void start() {
    context = ApplicationContext.run(Map.of(PodreloadSettings.PREFIX + ".enabled", "false"));
    environment = context.getEnvironment();
    mounted = new MountedEnvironment(environment);
  }

  @AfterEach
  void stop() {
    context.close();
  }

  private static Map<String, Object> bigConfig(String greeting, int keys) {
    Map<String, Object> config = new LinkedHashMap<>();
    config.put("app.greeting", greeting);
    for (int k = 1; k < keys; k++) {
      config.put("bench.key" + k, "value-" + k);
    }
    return config;
  }

  @Test
  void aChangedValueIsIndexedAloneAndServed() {
    MountedEnvironment.Sync first = mounted.follow(bigConfig("one", 10_000));
    assertThat(first.first()).isTrue();
    assertThat(environment.getProperty("bench.key42", String.class)).contains("value-42");

    Map<String, Object> next = bigConfig("two", 10_000);
    next.put("bench.key10000", "added");
    MountedEnvironment.Sync sync = mounted.follow(next);

    assertThat(sync.fullRefresh()).isFalse();
    assertThat(sync.keysIndexed()).isEqualTo(2);
    assertThat(sync.changedKeys()).containsExactlyInAnyOrder("app.greeting", "bench.key10000");
    assertThat(environment.getProperty("app.greeting", String.class)).contains("two");
    assertThat(environment.getProperty("bench.key10000", String.class)).contains("added");
    assertThat(environment.getProperty("bench.key42", String.class)).contains("value-42");
    assertThat(environment.getProperty("bench", Map.class).orElseThrow()).hasSize(10_000);
  }

  @Test
  void anUnchangedConfigIndexesNothing() {
    mounted.follow(bigConfig("same", 100));
    MountedEnvironment.Sync sync = mounted.follow(bigConfig("same", 100));
    assertThat(sync.changedKeys()).isEmpty();
    assertThat(sync.keysIndexed()).isZero();
  }

  @Test
  void aRemovedKeyIsGoneAfterAFullRefresh() {
    mounted.follow(bigConfig("one", 100));
    Map<String, Object> next = bigConfig("one", 100);
    next.remove("bench.key7");
    MountedEnvironment.Sync sync = mounted.follow(next);
    assertThat(sync.fullRefresh()).isTrue();
    assertThat(sync.changedKeys()).containsExactly("bench.key7");
    // Micronaut's view of the prefix; its raw catalog, which a refresh does not clear (Micronaut
    // 4.10), still answers getProperty("bench.key7") with the old value.
    assertThat(environment.getProperty("bench", Map.class).orElseThrow())
        .hasSize(98)
        .doesNotContainKey("key7")
        .containsEntry("key8", "value-8");
  }

  @Test
  void aShrunkListLosesItsTailAsAfterAFullRefresh() {
    mounted.follow(Map.of("app.items", List.of("a", "b", "c")));
    MountedEnvironment.Sync sync = mounted.follow(Map.of("app.items", List.of("a")));
    assertThat(sync.fullRefresh()).isTrue();
    assertThat(environment.getProperty("app.items", Argument.listOf(String.class)))
        .contains(List.of("a"));
    assertThat(environment.getProperty("app", Map.class).orElseThrow())
        .containsEntry("items", List.of("a"));
  }

  @Test
  void aKeyAnEnvironmentVariableSetsKeepsTheVariablesValue() {
    environment.addPropertySource(
        new MapPropertySource("env-like", Map.of("APP_GREETING", "from the environment")) {
          @Override
          public int getOrder() {
            return EnvironmentPropertySource.POSITION;
          }

          @Override
          public PropertyConvention getConvention() {
            return PropertyConvention.ENVIRONMENT_VARIABLE;
          }
        });
    mounted.follow(Map.of("app.greeting", "mounted", "app.other", "x"));
    MountedEnvironment.Sync sync =
        mounted.follow(Map.of("app.greeting", "mounted again", "app.other", "x"));
    assertThat(sync.changedKeys()).containsExactly("app.greeting");
    assertThat(environment.getProperty("app.greeting", String.class))
        .contains("from the environment");
  }

  @Test
  void placeholdersStayLiteralWhenIndexedInPlace() {
    mounted.follow(Map.of("db.password", "s3cret", "app.greeting", "hello"));
    MountedEnvironment.Sync sync =
        mounted.follow(Map.of("db.password", "s3cret", "app.greeting", "pw=${db.password}"));
    assertThat(sync.fullRefresh()).isFalse();
    assertThat(environment.getProperty("app.greeting", String.class)).contains("pw=${db.password}");
  }

  @Test
  void otherSourcesLeaveTheMountedConfigOut() {
    mounted.follow(Map.of("app.greeting", "hello"));
    assertThat(mounted.otherSources())
        .isNotEmpty()
        .noneMatch(source -> source.getName().equals(SettingsBinder.MOUNTED_SOURCE));
  }
}
