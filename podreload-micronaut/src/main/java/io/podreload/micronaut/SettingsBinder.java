package io.podreload.micronaut;

import io.micronaut.context.annotation.ConfigurationReader;
import io.micronaut.context.annotation.Requires;
import io.micronaut.context.env.PropertySource;
import io.micronaut.context.env.PropertySourcePropertyResolver;
import io.micronaut.core.beans.BeanIntrospection;
import io.micronaut.core.beans.BeanIntrospector;
import io.micronaut.core.beans.BeanProperty;
import io.micronaut.core.bind.annotation.Bindable;
import io.micronaut.core.convert.ArgumentConversionContext;
import io.micronaut.core.convert.ConversionContext;
import io.micronaut.core.convert.ConversionService;
import io.micronaut.core.naming.NameUtils;
import io.micronaut.core.type.Argument;
import io.micronaut.validation.validator.Validator;
import jakarta.inject.Singleton;
import jakarta.validation.ConstraintViolation;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Binds a candidate config to every {@code @ConfigurationProperties} type of the host app and
 * validates each, without touching the config being served: the candidate is resolved over the same
 * property sources as the running app (its application.yml, environment, system properties), with
 * the mounted source replaced.
 *
 * <p>The host's types are found once, at start: each {@code @ConfigurationProperties} type with a
 * bean introspection ({@code @Introspected}); Micronaut's own and this module's are left out.
 * Constructor arguments and settable properties are bound.
 */
@Singleton
@Requires(property = PodreloadSettings.PREFIX + ".enabled", notEquals = "false")
public final class SettingsBinder {

  /** Above application.yml (-300), below environment variables (-200) and system properties. */
  public static final int MOUNTED_ORDER = -250;

  public static final String MOUNTED_SOURCE = "mounted-config";

  private static final Logger LOG = LoggerFactory.getLogger(SettingsBinder.class);

  private final Validator validator;
  private final ConversionService conversionService;
  private final List<Target<?>> targets;
  private final List<String> firstWords;
  private volatile Narrowed narrowed;

  public SettingsBinder(Validator validator, ConversionService conversionService) {
    this.conversionService = conversionService;
    this.validator = validator;
    this.targets = targets();
    this.firstWords =
        targets.stream()
            .map(t -> t.prefix().toLowerCase(Locale.ROOT).split("[.\\-_]", 2)[0])
            .distinct()
            .toList();
    LOG.info(
        "bound and validated on every reload: {}",
        targets.stream().map(t -> t.prefix() + ".* (" + t.type().getSimpleName() + ")").toList());
  }

  /**
   * The property source that puts {@code properties} above the built-in config, taken literally: no
   * {@code ${...}} in them is expanded ({@link LiteralText}).
   */
  public static PropertySource mountedSource(Map<String, Object> properties) {
    return PropertySource.of(MOUNTED_SOURCE, LiteralText.protect(properties), MOUNTED_ORDER);
  }

  /** The host's types that are bound, in the order found. */
  public List<Class<?>> types() {
    return targets.stream().<Class<?>>map(Target::type).toList();
  }

  /**
   * Binds and validates every type.
   *
   * @param mounted the candidate's properties
   * @param others the app's other property sources (its application.yml, environment, ...)
   * @return each type's candidate instance
   * @throws InvalidConfigException naming each invalid property and why; never quoting values
   */
  public Map<Class<?>, Object> bind(Map<String, Object> mounted, List<PropertySource> others)
      throws InvalidConfigException {
    List<PropertySource> sources = new ArrayList<>(relevant(others));
    sources.add(mountedSource(underPrefixes(mounted)));
    // The resolver lets the source added last win: added by order, as Micronaut's environment
    // does, so that an environment variable wins over the mounted config here too.
    sources.sort(Comparator.comparingInt(PropertySource::getOrder));
    PropertySourcePropertyResolver resolver = new PropertySourcePropertyResolver(conversionService);
    sources.forEach(resolver::addPropertySource);

    Map<Class<?>, Object> bound = new LinkedHashMap<>();
    List<String> problems = new ArrayList<>();
    for (Target<?> target : targets) {
      bind(target, resolver, bound, problems);
    }
    if (!problems.isEmpty()) {
      throw new InvalidConfigException(String.join("; ", problems));
    }
    return bound;
  }

  /**
   * Only the keys some bound type can read: Micronaut's resolver indexes every key it is given
   * (several spellings each), so with 10,000 keys of which a few are settings, binding would cost
   * what the whole config costs.
   */
  private Map<String, Object> underPrefixes(Map<String, Object> mounted) {
    Map<String, Object> relevant = new LinkedHashMap<>();
    mounted.forEach(
        (key, value) -> {
          for (Target<?> target : targets) {
            if (key.startsWith(target.prefix())
                && (key.length() == target.prefix().length()
                    || key.charAt(target.prefix().length()) == '.')) {
              relevant.put(key, value);
              return;
            }
          }
        });
    return relevant;
  }

  /**
   * The other sources narrowed to the keys a bound type may read, computed again only when the
   * sources are not the same objects as last time (a refresh replaces them). The resolver indexes
   * each environment variable under every dotted spelling it could stand for; the environment, the
   * system properties and the app's own application.yml are the same on every reload. Narrowing is
   * left out when a kept value holds a {@code ${...}} placeholder: it may name any key.
   */
  private List<PropertySource> relevant(List<PropertySource> others) {
    Narrowed last = narrowed;
    if (last != null && sameObjects(last.from(), others)) {
      return last.to();
    }
    List<PropertySource> narrowedSources = new ArrayList<>(others.size());
    for (PropertySource source : others) {
      Map<String, Object> kept = new LinkedHashMap<>();
      for (String key : source) {
        if (mayBeRead(key)) {
          Object value = source.get(key);
          if (String.valueOf(value).contains("${")) {
            narrowed = new Narrowed(others, others);
            return others;
          }
          kept.put(key, value);
        }
      }
      narrowedSources.add(new NarrowedSource(source, kept));
    }
    narrowed = new Narrowed(others, List.copyOf(narrowedSources));
    return narrowed.to();
  }

  /**
   * Whether some bound type may read {@code key}, in any spelling: {@code APP_GREETING} or {@code
   * app.greeting} for the prefix {@code app}. Generous (it compares the prefix's first word only):
   * a key kept for nothing costs a little, a key left out would change what binds.
   */
  private boolean mayBeRead(String key) {
    String lower = key.toLowerCase(Locale.ROOT);
    for (String word : firstWords) {
      if (lower.startsWith(word)) {
        return true;
      }
    }
    return false;
  }

  private static boolean sameObjects(List<PropertySource> a, List<PropertySource> b) {
    if (a.size() != b.size()) {
      return false;
    }
    for (int i = 0; i < a.size(); i++) {
      if (a.get(i) != b.get(i)) {
        return false;
      }
    }
    return true;
  }

  private <T> void bind(
      Target<T> target,
      PropertySourcePropertyResolver resolver,
      Map<Class<?>, Object> bound,
      List<String> problems) {
    BeanIntrospection<T> introspection = target.introspection();
    int problemsBefore = problems.size();
    Argument<?>[] arguments = introspection.getConstructorArguments();
    Object[] values = new Object[arguments.length];
    for (int i = 0; i < arguments.length; i++) {
      Optional<?> value = resolve(target, arguments[i], resolver, problems);
      values[i] = value.orElse(null);
    }
    if (problems.size() > problemsBefore) {
      return;
    }
    // Not strict about nulls: a missing required value is the validator's to report (@NotNull),
    // with the property's name, rather than an exception about a constructor argument.
    T instance = introspection.instantiate(false, values);
    for (BeanProperty<T, Object> property : introspection.getBeanProperties()) {
      if (!property.isReadOnly() && !isConstructorArgument(arguments, property.getName())) {
        resolve(target, property.asArgument(), resolver, problems)
            .ifPresent(value -> property.set(instance, value));
      }
    }
    Set<ConstraintViolation<T>> violations = validator.validate(instance);
    violations.stream()
        .sorted(Comparator.comparing(v -> v.getPropertyPath().toString()))
        .map(
            v ->
                target.prefix()
                    + "."
                    + NameUtils.hyphenate(v.getPropertyPath().toString())
                    + " "
                    + v.getMessage())
        .forEach(problems::add);
    bound.put(target.type(), instance);
  }

  private Optional<?> resolve(
      Target<?> target,
      Argument<?> argument,
      PropertySourcePropertyResolver resolver,
      List<String> problems) {
    String key = target.prefix() + "." + NameUtils.hyphenate(argument.getName());
    ArgumentConversionContext<?> context = ConversionContext.of(argument);
    Optional<?> value = resolver.getProperty(key, context);
    if (context.getLastError().isPresent()) {
      problems.add(key + ": not a valid " + argument.getTypeName());
      return Optional.empty();
    }
    if (value.isEmpty()) {
      // What Micronaut binds when the key is absent: the @Bindable default.
      Optional<String> fallback =
          argument.getAnnotationMetadata().stringValue(Bindable.class, "defaultValue");
      if (fallback.isPresent()) {
        ArgumentConversionContext<?> defaultContext = ConversionContext.of(argument);
        value = conversionService.convert(fallback.get(), defaultContext);
      }
    }
    if (value.isEmpty() && resolver.containsProperty(key)) {
      problems.add(key + ": not a valid " + argument.getTypeName());
    }
    return value;
  }

  private static boolean isConstructorArgument(Argument<?>[] arguments, String name) {
    for (Argument<?> argument : arguments) {
      if (argument.getName().equals(name)) {
        return true;
      }
    }
    return false;
  }

  /**
   * From the introspections, not the bean definitions: this runs while the context starts (the
   * first load), when Micronaut does not list bean definitions yet.
   */
  private static List<Target<?>> targets() {
    List<Target<?>> targets = new ArrayList<>();
    for (BeanIntrospection<Object> introspection :
        BeanIntrospector.SHARED.findIntrospections(ConfigurationReader.class)) {
      Class<?> type = introspection.getBeanType();
      if (type.getName().startsWith("io.micronaut.")
          || type.getPackageName().equals(SettingsBinder.class.getPackageName())) {
        continue; // Micronaut's own, and this module's PodreloadSettings
      }
      Optional<String> prefix = introspection.stringValue(ConfigurationReader.class, "prefix");
      if (prefix.isEmpty() || prefix.get().contains("*")) {
        continue; // @EachProperty: one bean per entry, not bound here
      }
      targets.add(target(prefix.get(), introspection));
    }
    targets.sort(Comparator.comparing(Target::prefix));
    return List.copyOf(targets);
  }

  private static <T> Target<T> target(String prefix, BeanIntrospection<T> introspection) {
    return new Target<>(prefix, introspection.getBeanType(), introspection);
  }

  private record Target<T>(String prefix, Class<T> type, BeanIntrospection<T> introspection) {}

  /** The other sources as last seen, and narrowed to the keys that may be read. */
  private record Narrowed(List<PropertySource> from, List<PropertySource> to) {}

  /** A source's kept keys, with its name, order, origin and naming convention. */
  private static final class NarrowedSource implements PropertySource {
    private final PropertySource source;
    private final Map<String, Object> kept;

    NarrowedSource(PropertySource source, Map<String, Object> kept) {
      this.source = source;
      this.kept = kept;
    }

    @Override
    public String getName() {
      return source.getName();
    }

    @Override
    public Object get(String key) {
      return kept.get(key);
    }

    @Override
    public Iterator<String> iterator() {
      return kept.keySet().iterator();
    }

    @Override
    public int getOrder() {
      return source.getOrder();
    }

    @Override
    public Origin getOrigin() {
      return source.getOrigin();
    }

    @Override
    public PropertyConvention getConvention() {
      return source.getConvention();
    }
  }

  /** A candidate config whose values do not bind or validate, or that a validator vetoed. */
  public static final class InvalidConfigException extends Exception {
    public InvalidConfigException(String message) {
      super("invalid config: " + message);
    }
  }
}
