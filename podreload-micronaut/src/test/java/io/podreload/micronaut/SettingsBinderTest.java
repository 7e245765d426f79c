package io.podreload.micronaut;

import static org.assertj.core.api.Assertions.assertThat;

import io.micronaut.context.ApplicationContext;
import io.micronaut.context.env.PropertySource;
import io.micronaut.context.env.PropertySource.PropertyConvention;
import io.micronaut.core.convert.ConversionService;
import io.micronaut.validation.validator.Validator;
import io.podreload.micronaut.fixture.ShopSettings;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The binder reads the host's other sources (environment variables, application.yml) the way
 * Micronaut does, also where it narrows them to the keys a bound type may read, and on the second
 * reload as on the first.
 */
class SettingsBinderTest {

  private ApplicationContext context;
  private SettingsBinder binder;

  @BeforeEach
  void start() {
    context = ApplicationContext.run(Map.of(PodreloadSettings.PREFIX + ".enabled", "false"));
    binder = new SettingsBinder(context.getBean(Validator.class), ConversionService.SHARED);
  }

  @AfterEach
  void stop() {
    context.close();
  }

  private static PropertySource environment(Map<String, Object> variables) {
    return new PropertySource() {
      @Override
      public String getName() {
        return "env";
      }

      @Override
      public Object get(String key) {
        return variables.get(key);
      }

      @Override
      public java.util.Iterator<String> iterator() {
        return variables.keySet().iterator();
      }

      @Override
      public int getOrder() {
        return -200; // where Micronaut puts environment variables: above the mounted config
      }

      @Override
      public PropertyConvention getConvention() {
        return PropertyConvention.ENVIRONMENT_VARIABLE;
      }
    };
  }

  @Test
  void anEnvironmentVariableStillWinsOverTheMountedConfigOnEveryReload() throws Exception {
    List<PropertySource> others =
        List.of(
            environment(Map.of("SHOP_MAX_ITEMS", "7", "PATH", "/bin", "HOME", "/root")),
            PropertySource.of("application.yml", Map.of("shop.banner", "built in"), -300));
    Map<String, Object> mounted = Map.of("shop.max-items", "5", "shop.banner", "mounted");

    for (int reload = 0; reload < 2; reload++) {
      ShopSettings shop = (ShopSettings) binder.bind(mounted, others).get(ShopSettings.class);
      assertThat(shop.maxItems()).isEqualTo(7);
      assertThat(shop.banner()).isEqualTo("mounted");
    }
  }

  @Test
  void aPlaceholderInTheAppsOwnConfigStillResolvesAgainstAnyVariable() throws Exception {
    List<PropertySource> others =
        List.of(
            environment(Map.of("BANNER_TEXT", "from the environment")),
            PropertySource.of("application.yml", Map.of("shop.banner", "${BANNER_TEXT}"), -300));
    Map<String, Object> mounted = Map.of("shop.max-items", "5");

    for (int reload = 0; reload < 2; reload++) {
      ShopSettings shop = (ShopSettings) binder.bind(mounted, others).get(ShopSettings.class);
      assertThat(shop.banner()).isEqualTo("from the environment");
    }
  }

  @Test
  void newSourcesAfterARefreshAreReadAgain() throws Exception {
    Map<String, Object> mounted = Map.of("shop.banner", "mounted");
    binder.bind(mounted, List.of(environment(Map.of("SHOP_MAX_ITEMS", "7"))));

    ShopSettings shop =
        (ShopSettings)
            binder
                .bind(mounted, List.of(environment(Map.of("SHOP_MAX_ITEMS", "9"))))
                .get(ShopSettings.class);

    assertThat(shop.maxItems()).isEqualTo(9);
  }
}
