package io.podreload.app;

import io.micronaut.http.MediaType;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Get;
import io.micronaut.http.annotation.Produces;

/** {@code GET /}: the configured greeting. */
@Controller
public final class GreetingController {

  private final ConfigReloader reloader;

  public GreetingController(ConfigReloader reloader) {
    this.reloader = reloader;
  }

  @Get
  @Produces(MediaType.TEXT_PLAIN)
  public String greeting() {
    return reloader.current().settings().greeting();
  }
}
