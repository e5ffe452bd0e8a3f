package dev.robojail.net;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
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
 *
 * <p>The jail decides how many lines there are: a loop of refused requests writes one each. So the
 * log is bounded: once it reaches {@link #MAX_BYTES} it is renamed to {@code NAME.log.1}, replacing
 * the one before, and a new one begins; the user's disk holds at most twice the bound, and {@code
 * status} reads no more than that.
 */
public final class ConnectionLog {
  /** The size at which the log is rotated. */
  public static final long MAX_BYTES = 4L << 20;

  // The proxy and the host-port relay of one jail log to the same file, each through its own
  // instance; one lock keeps a rotation from racing the other's append.
  private static final Object LOCK = new Object();

  private final Path file;
  private final long maxBytes;

  ConnectionLog(Path file) {
    this(file, MAX_BYTES);
  }

  ConnectionLog(Path file, long maxBytes) {
    this.file = file;
    this.maxBytes = maxBytes;
  }

  /** Where the lines from before the last rotation are. */
  public static Path previous(Path file) {
    return file.resolveSibling(file.getFileName() + ".1");
  }

  /** One connection, as logged. */
  record Line(boolean allowed, String host, int port, long up, long down, String reason) {}

  void append(Line l) {
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
    byte[] bytes = line.getBytes(StandardCharsets.UTF_8);
    synchronized (LOCK) {
      try {
        Files.createDirectories(file.getParent());
        if (size(file) + bytes.length > maxBytes) {
          Files.move(file, previous(file), StandardCopyOption.REPLACE_EXISTING);
        }
        Files.write(
            file,
            bytes,
            StandardOpenOption.CREATE,
            StandardOpenOption.APPEND,
            StandardOpenOption.WRITE);
      } catch (IOException e) {
        // the log is a record, not a gate: a full disk must not stop the jail's traffic
      }
    }
  }

  private static long size(Path file) throws IOException {
    try {
      return Files.size(file);
    } catch (NoSuchFileException e) {
      return 0;
    }
  }

  /**
   * The refused {@code host:port} destinations in a log and the part before its last rotation, with
   * how often each was refused, most often first; empty when there is no log.
   */
  public static Map<String, Integer> refused(Path file) throws IOException {
    List<String> lines = new ArrayList<>();
    for (Path f : List.of(previous(file), file)) {
      try {
        lines.addAll(Files.readAllLines(f, StandardCharsets.UTF_8));
      } catch (NoSuchFileException e) {
        // not rotated yet, or nothing logged
      }
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
