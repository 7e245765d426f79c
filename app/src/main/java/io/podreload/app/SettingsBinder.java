package io.podreload.app;

import io.micronaut.context.env.Environment;
import io.micronaut.context.env.PropertySource;
import io.micronaut.context.env.PropertySourcePropertyResolver;
import io.micronaut.core.beans.BeanIntrospection;
import io.micronaut.core.convert.ArgumentConversionContext;
import io.micronaut.core.convert.ConversionContext;
import io.micronaut.core.convert.ConversionService;
import io.micronaut.core.naming.NameUtils;
import io.micronaut.core.type.Argument;
import io.micronaut.validation.validator.Validator;
import jakarta.inject.Singleton;
import jakarta.validation.ConstraintViolation;
import java.util.Comparator;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Binds a candidate config to {@link AppSettings} and validates it, without touching the config
 * being served: the candidate is resolved over the same property sources as the running app
 * (built-in application.yml, environment, system properties), with the mounted source replaced.
 */
@Singleton
public final class SettingsBinder {

  /** Above application.yml (-300), below environment variables (-200) and system properties. */
  public static final int MOUNTED_ORDER = -250;

  public static final String MOUNTED_SOURCE = "mounted-config";

  private static final String PREFIX = "app";

  private final Environment environment;
  private final Validator validator;
  private final ConversionService conversionService;
  private final BeanIntrospection<AppSettings> introspection =
      BeanIntrospection.getIntrospection(AppSettings.class);

  public SettingsBinder(
      Environment environment, Validator validator, ConversionService conversionService) {
    this.environment = environment;
    this.conversionService = conversionService;
    this.validator = validator;
  }

  /**
   * The property source that puts {@code properties} above the built-in config, taken literally: no
   * {@code ${...}} in them is expanded ({@link LiteralText}).
   */
  public static PropertySource mountedSource(Map<String, Object> properties) {
    return PropertySource.of(MOUNTED_SOURCE, LiteralText.protect(properties), MOUNTED_ORDER);
  }

  /**
   * Binds and validates.
   *
   * @throws InvalidConfigException naming each invalid property and why; never quoting values
   */
  public AppSettings bind(Map<String, Object> mounted) throws InvalidConfigException {
    PropertySourcePropertyResolver resolver = new PropertySourcePropertyResolver(conversionService);
    environment.getPropertySources().stream()
        .filter(source -> !MOUNTED_SOURCE.equals(source.getName()))
        .forEach(resolver::addPropertySource);
    resolver.addPropertySource(mountedSource(mounted));

    Argument<?>[] arguments = introspection.getConstructorArguments();
    Object[] values = new Object[arguments.length];
    for (int i = 0; i < arguments.length; i++) {
      String key = PREFIX + "." + NameUtils.hyphenate(arguments[i].getName());
      ArgumentConversionContext<?> context = ConversionContext.of(arguments[i]);
      values[i] = resolver.getProperty(key, context).orElse(null);
      if (context.getLastError().isPresent()) {
        throw new InvalidConfigException(key + ": not a valid " + arguments[i].getTypeName());
      }
    }
    AppSettings settings = introspection.instantiate(values);
    Set<ConstraintViolation<AppSettings>> violations = validator.validate(settings);
    if (!violations.isEmpty()) {
      throw new InvalidConfigException(
          violations.stream()
              .sorted(Comparator.comparing(v -> v.getPropertyPath().toString()))
              .map(
                  v ->
                      PREFIX
                          + "."
                          + NameUtils.hyphenate(v.getPropertyPath().toString())
                          + " "
                          + v.getMessage())
              .collect(Collectors.joining("; ")));
    }
    return settings;
  }

  /** A candidate config whose values do not bind or validate. */
  public static final class InvalidConfigException extends Exception {
    public InvalidConfigException(String message) {
      super("invalid config: " + message);
    }
  }
}
