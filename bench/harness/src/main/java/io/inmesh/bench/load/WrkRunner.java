package io.inmesh.bench.load;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Saturation throughput with Debian's wrk (closed loop, keep-alive), optionally pinned with taskset. */
public final class WrkRunner {
  private static final Pattern REQUESTS = Pattern.compile("(\\d+) requests in ([\\d.]+)(us|ms|s|m)");
  private static final Pattern RPS = Pattern.compile("Requests/sec:\\s+([\\d.]+)");
  private static final Pattern NON2XX = Pattern.compile("Non-2xx or 3xx responses:\\s+(\\d+)");
  private static final Pattern SOCKET_ERRORS = Pattern.compile("Socket errors: connect (\\d+), read (\\d+), write (\\d+), timeout (\\d+)");

  private final List<String> pinPrefix;

  public WrkRunner(List<String> pinPrefix) {
    this.pinPrefix = pinPrefix;
  }

  public record WrkResult(long requests, double seconds, double requestsPerSecond, long non2xx, long socketErrors, String output) {}

  public List<String> command(String url, int connections, int seconds) {
    List<String> cmd = new ArrayList<>(pinPrefix);
    cmd.addAll(List.of("wrk", "-t1", "-c" + connections, "-d" + seconds + "s", "--timeout", "5s", url));
    return cmd;
  }

  public WrkResult run(String url, int connections, int seconds, Path outputFile) throws IOException, InterruptedException {
    ProcessBuilder pb = new ProcessBuilder(command(url, connections, seconds)).redirectErrorStream(true).redirectOutput(outputFile.toFile());
    pb.environment().remove("JAVA_TOOL_OPTIONS");
    Process p = pb.start();
    if (!p.waitFor(seconds + 30L, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new IOException("wrk did not finish within " + (seconds + 30) + " s");
    }
    return parse(Files.readString(outputFile, StandardCharsets.UTF_8));
  }

  /** Reads wrk's summary. */
  public static WrkResult parse(String out) {
    long requests = 0;
    double secs = 0;
    Matcher m = REQUESTS.matcher(out);
    if (m.find()) {
      requests = Long.parseLong(m.group(1));
      double v = Double.parseDouble(m.group(2));
      secs =
          switch (m.group(3)) {
            case "us" -> v / 1e6;
            case "ms" -> v / 1e3;
            case "m" -> v * 60;
            default -> v;
          };
    }
    double rps = 0;
    m = RPS.matcher(out);
    if (m.find()) {
      rps = Double.parseDouble(m.group(1));
    }
    long non2xx = 0;
    m = NON2XX.matcher(out);
    if (m.find()) {
      non2xx = Long.parseLong(m.group(1));
    }
    long socketErrors = 0;
    m = SOCKET_ERRORS.matcher(out);
    if (m.find()) {
      for (int g = 1; g <= 4; g++) {
        socketErrors += Long.parseLong(m.group(g));
      }
    }
    return new WrkResult(requests, secs, rps, non2xx, socketErrors, out);
  }
}
