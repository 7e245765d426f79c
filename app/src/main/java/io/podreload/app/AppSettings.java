package io.podreload.app;

import io.micronaut.context.annotation.ConfigurationProperties;
import io.micronaut.core.annotation.Introspected;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.Size;

/**
 * The app's typed configuration, under {@code app.*}. A candidate config is bound to this record
 * and validated before it replaces the one being served.
 *
 * @param greeting the text {@code GET /} answers with; required
 */
@Introspected
@ConfigurationProperties("app")
public record AppSettings(@NotBlank @Size(max = 4096) String greeting) {}
