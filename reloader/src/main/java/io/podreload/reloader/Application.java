package io.podreload.reloader;

import io.micronaut.runtime.Micronaut;

/** The reloader sidecar: a config change becomes a confirmed reload of the app. */
public final class Application {
  private Application() {}

  public static void main(String[] args) {
    Micronaut.build(args).mainClass(Application.class).banner(false).start();
  }
}
