package io.podreload.app;

import io.micronaut.context.annotation.Factory;
import jakarta.inject.Singleton;

/** Start-up settings come from the process environment, like every setting of the pod. */
@Factory
final class AppFactory {

  @Singleton
  AppEnvironment appEnvironment() {
    return AppEnvironment.from(System.getenv());
  }
}
