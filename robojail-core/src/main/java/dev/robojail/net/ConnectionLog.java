package dev.robojail.net;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The per-jail record of every connection through its proxy, one tab-separated line each:
 *
 * <pre>
 * TIME  allowed|refused  HOST  PORT  BYTES_UP  BYTES_DOWN  REASON
 * </pre>
 *
 * Hosts are logged in their printable form ({@link HostNames#printable}), so that a name the jail
 * chose cannot put escape sequences or line breaks into the file.
 */
public final class ConnectionLog {
  private final Path file;

  ConnectionLog(Path file) {
    this.file = file;
  }

  /** One connection, as logged. */
  record Line(boolean allowed, String host, int port, long up, long down, String reason) {}

  synchronized void append(Line l) {
    if (file == null) {
      return;
    }
    String line =
        String.join(
                "\t",
                Instant.now().toString(),
                l.allowed() ? "allowed" : "refused",
                HostNames.printable(l.host()),
                Integer.toString(l.port()),
                Long.toString(l.up()),
                Long.toString(l.down()),
                l.reason() == null ? "-" : l.reason().replaceAll("[\\p{Cntrl}]", " "))
            + "\n";
    try {
      Files.createDirectories(file.getParent());
      Files.writeString(
          file,
          line,
          StandardCharsets.UTF_8,
          StandardOpenOption.CREATE,
          StandardOpenOption.APPEND,
          StandardOpenOption.WRITE);
    } catch (IOException e) {
      // the log is a record, not a gate: a full disk must not stop the jail's traffic
    }
  }

  /**
   * The refused {@code host:port} destinations in a log, with how often each was refused, most
   * often first; empty when there is no log.
   */
  public static Map<String, Integer> refused(Path file) throws IOException {
    List<String> lines;
    try {
      lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      return Map.of();
    }
    Map<String, Integer> counts = new TreeMap<>();
    for (String l : lines) {
      String[] f = l.split("\t", -1);
      if (f.length >= 4 && f[1].equals("refused")) {
        counts.merge(f[2] + ":" + f[3], 1, Integer::sum);
      }
    }
    Map<String, Integer> sorted = new LinkedHashMap<>();
    counts.entrySet().stream()
        .sorted(Map.Entry.<String, Integer>comparingByValue().reversed())
        .forEach(e -> sorted.put(e.getKey(), e.getValue()));
    return sorted;
  }
}
