package io.podreload.logger;

import io.micronaut.runtime.Micronaut;

/** The logger sidecar: the app's access log to stdout, nothing lost and nothing repeated. */
public final class Application {
  private Application() {}

  public static void main(String[] args) {
    Micronaut.build(args).mainClass(Application.class).banner(false).start();
  }
}
