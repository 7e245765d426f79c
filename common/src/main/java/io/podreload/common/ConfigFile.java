package io.podreload.common;

import java.util.Arrays;
import java.util.Locale;

/**
 * One config file as read from a directory: its user-visible name and its bytes.
 *
 * @param name the file name (no directory part), e.g. {@code application.yml}
 * @param content the raw bytes
 */
public record ConfigFile(String name, byte[] content) {

  /** The file extensions that hold configuration, in the order formats are documented. */
  public static final String[] EXTENSIONS = {".yml", ".yaml", ".json", ".properties"};

  /** True for names that are config files: a supported extension and not a dot-entry. */
  public static boolean isConfigName(String name) {
    if (name.startsWith(".")) {
      return false; // kubelet internals (..data, ..2024_...) and hidden files
    }
    String lower = name.toLowerCase(Locale.ROOT);
    for (String ext : EXTENSIONS) {
      if (lower.endsWith(ext) && lower.length() > ext.length()) {
        return true;
      }
    }
    return false;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ConfigFile other
        && name.equals(other.name)
        && Arrays.equals(content, other.content);
  }

  @Override
  public int hashCode() {
    return name.hashCode() * 31 + Arrays.hashCode(content);
  }

  @Override
  public String toString() {
    return name + " (" + content.length + " bytes)";
  }
}
