package io.podreload.app;

import io.micronaut.context.env.AbstractPropertySourceLoader;
import io.micronaut.context.env.PropertySource;
import io.micronaut.context.env.yaml.YamlPropertySourceLoader;
import io.micronaut.runtime.Micronaut;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/** The reloadable app: serves {@code app.greeting}, reloads its config dirs on SIGHUP. */
public final class Application {

  /** Not at the classpath root, where Micronaut would look for it on every refresh. */
  static final String BUILT_IN_CONFIG = "/built-in/application.yml";

  private Application() {}

  public static void main(String[] args) {
    Micronaut.build(args)
        .mainClass(Application.class)
        .banner(false)
        .propertySources(builtInConfig())
        .start();
  }

  /**
   * The jar's built-in config, read once. Micronaut re-reads a root {@code application.yml} on
   * every environment refresh (each reload) by opening the whole jar as a zip file system: a 1.2 MB
   * directory parsed and left to the finalizer each time. Given as a property source of the same
   * precedence, it is read here once and only re-applied on refresh.
   */
  static PropertySource builtInConfig() {
    try (InputStream in = Application.class.getResourceAsStream(BUILT_IN_CONFIG)) {
      if (in == null) {
        throw new IllegalStateException(BUILT_IN_CONFIG + " is missing from the jar");
      }
      return PropertySource.of(
          "built-in application.yml",
          new YamlPropertySourceLoader().read("built-in application.yml", in),
          AbstractPropertySourceLoader.DEFAULT_POSITION);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + BUILT_IN_CONFIG, e);
    }
  }
}
