package io.podreload.app;

import io.micronaut.context.annotation.ConfigurationProperties;
import io.micronaut.core.annotation.Introspected;
import io.micronaut.core.bind.annotation.Bindable;
import jakarta.validation.constraints.DecimalMax;
import jakarta.validation.constraints.DecimalMin;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.Size;

/**
 * The app's typed configuration, under {@code app.*}. A candidate config is bound to this record
 * and validated before it replaces the one being served.
 *
 * @param greeting the text {@code GET /} answers with; required
 * @param failureRate a demo fault: the share of {@code GET /} answered 500 (0 to 1, default 0). Any
 *     value validates; a bad one shows only in the answers, which is what a progressive rollout's
 *     health gate catches (docs/rollout.md)
 */
@Introspected
@ConfigurationProperties("app")
public record AppSettings(
    @NotBlank @Size(max = 4096) String greeting,
    @Bindable(defaultValue = "0") @DecimalMin("0") @DecimalMax("1") double failureRate) {}
