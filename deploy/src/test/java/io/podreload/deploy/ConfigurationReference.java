package io.podreload.deploy;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The environment variables that docs/configuration.md documents, by program: the first column of
 * every "setting (env)" table under a program's {@code ## app}, {@code ## reloader} or {@code ##
 * logger} heading (its {@code ###} subsections included).
 */
record ConfigurationReference(Map<String, Set<String>> settingsByProgram) {
  static final String PATH = "docs/configuration.md";
  // `LOGGER_X_USERNAME` / `_PASSWORD`: a name, then suffixes that replace its last words.
  private static final Pattern NAME = Pattern.compile("`(_?[A-Z][A-Z0-9_]*)`");

  static ConfigurationReference read() {
    return parse(Repo.read(PATH));
  }

  static ConfigurationReference parse(String markdown) {
    Map<String, Set<String>> settings = new LinkedHashMap<>();
    String program = null;
    boolean inSettingsTable = false;
    for (String line : markdown.split("\n")) {
      String trimmed = line.trim();
      if (trimmed.startsWith("## ")) {
        program = trimmed.substring(3).trim().split("\\s+")[0].toLowerCase(Locale.ROOT);
        inSettingsTable = false;
      } else if (!trimmed.startsWith("|")) {
        inSettingsTable = false;
      } else if (firstCell(trimmed).contains("setting (env)")) {
        inSettingsTable = program != null;
      } else if (inSettingsTable) {
        Matcher names = NAME.matcher(firstCell(trimmed));
        String previous = null;
        while (names.find()) {
          String name = names.group(1);
          if (name.startsWith("_")) {
            if (previous == null) {
              continue;
            }
            int words = name.substring(1).split("_").length;
            String[] base = previous.split("_");
            name = String.join("_", Arrays.copyOf(base, base.length - words)) + name;
          }
          settings.computeIfAbsent(program, p -> new LinkedHashSet<>()).add(name);
          previous = name;
        }
      }
    }
    return new ConfigurationReference(settings);
  }

  Set<String> settings(String program) {
    return settingsByProgram.getOrDefault(program, Set.of());
  }

  private static String firstCell(String row) {
    int end = row.indexOf('|', 1);
    return end < 0 ? row.substring(1) : row.substring(1, end);
  }
}
