package io.podreload.app;

import io.micronaut.runtime.Micronaut;

/** The reloadable app: serves {@code app.greeting}, reloads its config dirs on SIGHUP. */
public final class Application {
  private Application() {}

  public static void main(String[] args) {
    Micronaut.build(args).mainClass(Application.class).banner(false).start();
  }
}
