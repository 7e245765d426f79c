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

  private static final java.util.regex.Pattern LINE =
      java.util.regex.Pattern.compile("( at line \\d+)");

  /**
   * The message for a file from a secret dir: the file and the line only. A parser's own message
   * may quote the offending text ({@code Unrecognized token 's3cretvalue'}).
   */
  public String placeOnly() {
    java.util.regex.Matcher line = LINE.matcher(getMessage());
    return file
        + ": cannot be parsed"
        + (line.find() ? line.group(1) : "")
        + " (details withheld: secret)";
  }
}
