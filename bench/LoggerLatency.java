import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;

/**
 * From a line appended to the followed file to that line on the logger's stdout, in
 * microseconds, one figure per line: this process writes the file (as the app does, one flushed
 * line per request) and reads the logger's stdout, so one clock measures both ends.
 *
 * <p>Usage: java bench/LoggerLatency.java WORK_DIR LINES LINES_PER_SECOND [HTTP_PORT [JAR]]
 */
public class LoggerLatency {
  public static void main(String[] args) throws Exception {
    Path work = Path.of(args[0]);
    int lines = Integer.parseInt(args[1]);
    int rate = Integer.parseInt(args[2]);
    Path log = work.resolve("latency.log");
    Files.writeString(log, "");
    ProcessBuilder builder =
        new ProcessBuilder(
            List.of(
                "java",
                "@logger/jvm.options",
                "-jar",
                args.length > 4 ? args[4] : "logger/target/logger.jar"))
            .redirectError(work.resolve("logger-latency.err").toFile());
    builder.environment().put("LOGGER_FILES", log.toString());
    builder.environment().put("LOGGER_STATE_DIR", work.resolve("latency-state").toString());
    builder.environment().put("LOGGER_HTTP_PORT", args.length > 3 ? args[3] : "0");
    Process logger = builder.start();
    long[] sent = new long[lines];
    Thread.sleep(200);
    try (BufferedReader out =
            new BufferedReader(new InputStreamReader(logger.getInputStream(), StandardCharsets.UTF_8));
        OutputStream file = Files.newOutputStream(log, StandardOpenOption.APPEND)) {
      file.write("warm-up\n".getBytes(StandardCharsets.UTF_8));
      file.flush();
      while (!"warm-up".equals(out.readLine())) {
        // until the logger runs
      }
      Thread reader =
          new Thread(
              () -> {
                try {
                  for (int i = 0; i < lines; i++) {
                    String line = out.readLine();
                    long now = System.nanoTime();
                    int n = Integer.parseInt(line.substring(5, line.indexOf(' ')));
                    sent[n] = now - sent[n];
                  }
                } catch (Exception e) {
                  throw new IllegalStateException(e);
                }
              });
      reader.start();
      long interval = 1_000_000_000L / rate;
      long next = System.nanoTime();
      for (int i = 0; i < lines; i++) {
        while (System.nanoTime() < next) {
          Thread.onSpinWait();
        }
        sent[i] = System.nanoTime();
        file.write(("line=" + i + " GET /?n=" + i + " 200 5 0.100 bench\n").getBytes(StandardCharsets.UTF_8));
        file.flush();
        next += interval;
      }
      reader.join(60_000);
    } finally {
      logger.destroy();
      logger.waitFor();
    }
    for (long nanos : sent) {
      System.out.println(nanos / 1000);
    }
  }
}
