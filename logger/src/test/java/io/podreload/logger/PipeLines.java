package io.podreload.logger;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** Reads a process's stdout pipe line by line on its own thread, from when it is started. */
final class PipeLines {
  private final List<String> lines = new ArrayList<>();

  private PipeLines(InputStream in) {
    Thread reader =
        new Thread(
            () -> {
              try (BufferedReader r =
                  new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
                for (String line = r.readLine(); line != null; line = r.readLine()) {
                  synchronized (lines) {
                    lines.add(line);
                  }
                }
              } catch (IOException e) {
                // the process ended
              }
            },
            "stdout-reader");
    reader.setDaemon(true);
    reader.start();
  }

  static PipeLines readFrom(Process process) {
    return new PipeLines(process.getInputStream());
  }

  List<String> lines() {
    synchronized (lines) {
      return new ArrayList<>(lines);
    }
  }
}
