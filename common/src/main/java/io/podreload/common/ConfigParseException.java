package io.podreload.common;

/** A config file that cannot be used, with a message that names the file and the place. */
public final class ConfigParseException extends Exception {

  private final String file;

  public ConfigParseException(String file, String problem) {
    super(file + ": " + problem);
    this.file = file;
  }

  public String file() {
    return file;
  }
}
