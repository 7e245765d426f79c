package io.podreload.app;

import io.micronaut.http.HttpStatus;
import io.micronaut.http.MediaType;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Get;
import io.micronaut.http.annotation.Produces;
import io.micronaut.http.exceptions.HttpStatusException;
import io.podreload.micronaut.ConfigReloader;

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
    return reloader
        .current(AppSettings.class)
        .map(AppSettings::greeting)
        // Not ready: readiness keeps the Service's traffic away; a direct caller learns why here.
        .orElseThrow(
            () ->
                new HttpStatusException(
                    HttpStatus.SERVICE_UNAVAILABLE, "no valid config loaded yet: see /config"));
  }
}
