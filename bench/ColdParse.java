import io.podreload.common.ConfigFile;
import io.podreload.common.ConfigParser;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * What cold caches cost the reload path's code: the same parse of a small YAML file (the shared
 * ConfigParser, as the reloader validates and the app loads) timed hot, after 64 MiB of other memory
 * was walked (the CPU caches and the TLB then hold none of the parser), and after that walk plus a
 * stat(2). Prints the medians of 400 of each, in nanoseconds. A change comes after seconds or hours
 * of other work, so its path always runs cold.
 *
 * <p>Run with the reloader's jar on the class path: bench_java reloader/target/reloader.jar ColdParse
 */
public class ColdParse {
  static long sink;
  public static void main(String[] args) throws Exception {
    ConfigFile file = new ConfigFile("application.yml",
        "app:\n  greeting: \"hello\"\n  rate: 10\n  hosts: [a, b]\n".getBytes(StandardCharsets.UTF_8));
    File root = new File("/");
    long[] big = new long[8 << 20]; // 64 MiB
    for (int i = 0; i < 20000; i++) { ConfigParser.parse(file); }
    int n = 400;
    long[] hot = new long[n], cold = new long[n], coldStat = new long[n];
    for (int i = 0; i < n; i++) {
      ConfigParser.parse(file);
      long t0 = System.nanoTime(); ConfigParser.parse(file); hot[i] = System.nanoTime() - t0;
      for (int j = 0; j < big.length; j += 8) { sink += big[j]++; }
      long t1 = System.nanoTime(); ConfigParser.parse(file); cold[i] = System.nanoTime() - t1;
      for (int j = 0; j < big.length; j += 8) { sink += big[j]++; }
      root.exists();
      long t2 = System.nanoTime(); ConfigParser.parse(file); coldStat[i] = System.nanoTime() - t2;
    }
    Arrays.sort(hot); Arrays.sort(cold); Arrays.sort(coldStat);
    System.out.printf("parse p50: hot %d ns; after 64 MiB walked %d ns; same plus a stat(2) %d ns%n",
        hot[n / 2], cold[n / 2], coldStat[n / 2]);
  }
}
