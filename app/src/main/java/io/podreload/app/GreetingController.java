package io.podreload.app;

import io.micronaut.http.HttpStatus;
import io.micronaut.http.MediaType;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Get;
import io.micronaut.http.annotation.Produces;
import io.micronaut.http.exceptions.HttpStatusException;
import io.podreload.micronaut.ConfigReloader;
import java.util.concurrent.atomic.AtomicLong;

/** {@code GET /}: the configured greeting. */
@Controller
public final class GreetingController {

  private final ConfigReloader reloader;
  private final AtomicLong answered = new AtomicLong();

  public GreetingController(ConfigReloader reloader) {
    this.reloader = reloader;
  }

  @Get
  @Produces(MediaType.TEXT_PLAIN)
  public String greeting() {
    AppSettings settings =
        reloader
            .current(AppSettings.class)
            // Not ready: readiness keeps the Service's traffic away; a direct caller learns why.
            .orElseThrow(
                () ->
                    new HttpStatusException(
                        HttpStatus.SERVICE_UNAVAILABLE, "no valid config loaded yet: see /config"));
    if (fails(settings.failureRate())) {
      throw new HttpStatusException(
          HttpStatus.INTERNAL_SERVER_ERROR, "app.failure-rate (a demo fault) failed this request");
    }
    return settings.greeting();
  }

  /** The demo fault: evenly spread, exactly {@code rate} of the requests fail. */
  private boolean fails(double rate) {
    if (rate <= 0) {
      return false;
    }
    long n = answered.incrementAndGet();
    return (long) (n * rate) > (long) ((n - 1) * rate);
  }
}
