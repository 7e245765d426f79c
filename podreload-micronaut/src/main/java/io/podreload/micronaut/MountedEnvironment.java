package io.podreload.micronaut;

import io.micronaut.context.env.Environment;
import io.micronaut.context.env.PropertySource;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Micronaut's own view of the mounted config ({@code environment.getProperty}, {@code @Value},
 * {@code @Refreshable} beans, logger levels), kept in step with each applied config at a cost that
 * follows what changed.
 *
 * <p>The mounted config is one property source, registered once. When a reload only adds keys or
 * changes scalar values that no higher source (environment variables, system properties) also sets,
 * only those keys are indexed again; everything else stays as Micronaut indexed it. A removed key,
 * a changed list or map, or a key a higher source shadows makes Micronaut rebuild its whole index
 * ({@link Environment#refresh()}), since it has no way to take one key out: its cost grows with the
 * whole config.
 *
 * <p>{@link #follow} runs on one thread at a time; {@link #otherSources} on any.
 */
final class MountedEnvironment {

  private final Environment environment;
  private final MountedSource source = new MountedSource();
  private final Object sourcesLock = new Object();
  private Map<String, Object> followed;

  MountedEnvironment(Environment environment) {
    this.environment = environment;
  }

  /**
   * Every property source of the environment but the mounted config, as they are between two
   * refreshes (a refresh takes them out and puts them back).
   */
  List<PropertySource> otherSources() {
    synchronized (sourcesLock) {
      return environment.getPropertySources().stream()
          .filter(other -> !SettingsBinder.MOUNTED_SOURCE.equals(other.getName()))
          .toList();
    }
  }

  /**
   * Makes {@code after} Micronaut's mounted config in place of the one it followed last.
   *
   * @return the keys whose value changed, was added or removed, and how they were indexed
   */
  Sync follow(Map<String, Object> after) {
    Map<String, Object> before = followed;
    followed = after;
    if (before == null) {
      source.values = after;
      environment.addPropertySource(source); // indexes every key once
      return new Sync(true, List.copyOf(after.keySet()), false, after.size());
    }
    List<String> changed = new ArrayList<>();
    boolean removed = false;
    boolean structural = false;
    for (Map.Entry<String, Object> entry : after.entrySet()) {
      Object old = before.get(entry.getKey());
      if (old == null || !Objects.equals(old, entry.getValue())) {
        changed.add(entry.getKey());
        structural |= isStructural(entry.getKey(), old) || isStructural(null, entry.getValue());
      }
    }
    List<String> keys = new ArrayList<>(changed);
    for (String key : before.keySet()) {
      if (!after.containsKey(key)) {
        keys.add(key);
        removed = true;
      }
    }
    source.values = after;
    if (keys.isEmpty()) {
      return new Sync(false, keys, false, 0);
    }
    if (removed || structural || shadowed(changed)) {
      synchronized (sourcesLock) {
        environment.refresh(); // Micronaut reads every source again, the mounted one included
      }
      return new Sync(false, keys, true, after.size());
    }
    source.only = changed;
    try {
      environment.addPropertySource(source); // the same source, by name: indexes `changed` only
    } finally {
      source.only = null;
    }
    return new Sync(false, keys, false, changed.size());
  }

  /** A list or map is indexed as several entries ({@code key[0]}, ...) that a re-index leaves. */
  private static boolean isStructural(String key, Object value) {
    return value instanceof Collection<?>
        || value instanceof Map<?, ?>
        || (key != null && key.indexOf('[') >= 0);
  }

  /**
   * Whether a source Micronaut ranks above the mounted config sets one of {@code keys} under any of
   * its spellings ({@code APP_GREETING}, {@code app.greeting}, {@code app-greeting}): indexing the
   * key again would put the mounted value over it. Compared by a hash without separators or case: a
   * false match (or a collision) only costs a full refresh.
   */
  private boolean shadowed(List<String> keys) {
    Set<Integer> above = new HashSet<>();
    for (PropertySource other : environment.getPropertySources()) {
      if (other != source && other.getOrder() >= SettingsBinder.MOUNTED_ORDER) {
        other.forEach(key -> above.add(looseHash(key)));
      }
    }
    for (String key : keys) {
      if (above.contains(looseHash(key))) {
        return true;
      }
    }
    return false;
  }

  /** A hash of the key's letters and digits, lower case: equal for all spellings of a key. */
  static int looseHash(String key) {
    int hash = 0;
    for (int i = 0; i < key.length(); i++) {
      char c = key.charAt(i);
      if (c != '.' && c != '-' && c != '_') {
        hash = 31 * hash + Character.toLowerCase(c);
      }
    }
    return hash;
  }

  /**
   * How one reload reached Micronaut's environment.
   *
   * @param first whether this was the first config Micronaut got (no change to announce)
   * @param changedKeys every key whose value changed, was added or removed
   * @param fullRefresh whether Micronaut re-read and re-indexed every source
   * @param keysIndexed how many mounted keys were indexed
   */
  record Sync(boolean first, List<String> changedKeys, boolean fullRefresh, int keysIndexed) {}

  /**
   * The mounted config as a property source: the current properties, each value taken literally
   * ({@link LiteralText}); while {@code only} is set, Micronaut's indexing walks just those keys.
   */
  private static final class MountedSource implements PropertySource {
    private volatile Map<String, Object> values = Map.of();
    private volatile Collection<String> only;

    @Override
    public String getName() {
      return SettingsBinder.MOUNTED_SOURCE;
    }

    @Override
    public int getOrder() {
      return SettingsBinder.MOUNTED_ORDER;
    }

    @Override
    public Object get(String key) {
      Object value = values.get(key);
      return value == null ? null : LiteralText.literal(value);
    }

    @Override
    public Iterator<String> iterator() {
      Collection<String> keys = only;
      return (keys != null ? keys : values.keySet()).iterator();
    }
  }
}
