package dev.robojail.cli;

import dev.robojail.sandbox.ShutdownHooks;
import java.io.File;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.time.LocalTime;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * {@code status --watch}: looks again every interval and draws only when something changed. On a
 * terminal it draws in place: the cursor goes home and each line is overwritten and cleared to its
 * end, then the rest of the screen; the screen is cleared once, never per frame, and each frame is
 * one synchronized update where the terminal supports it, so nothing flickers. Lines are cut at the
 * screen's edge (autowrap off) and at its height, so that home is always the top. Anywhere else it
 * prints each changed status as a block under a time stamp. Ctrl-C stops it; the terminal gets its
 * cursor and autowrap back.
 */
final class StatusWatch {
  private static final String RESTORE = "\u001b[?7h\u001b[?25h";

  private StatusWatch() {}

  static int run(Supplier<List<String>> status, double intervalSeconds, PrintWriter out) {
    java.io.Console console = System.console();
    boolean terminal = console != null && console.isTerminal();
    long sleep = Math.round(intervalSeconds * 1000);
    String every = (sleep % 1000 == 0 ? Long.toString(sleep / 1000) : "" + intervalSeconds) + "s";
    Thread restore =
        new Thread(
            () -> {
              out.print(RESTORE);
              out.println();
              out.flush();
            },
            "robojail-watch-restore");
    if (terminal) {
      ShutdownHooks.add(restore);
      out.print("\u001b[?25l\u001b[?7l\u001b[H\u001b[2J");
    }
    try {
      List<String> last = null;
      while (true) {
        List<String> now = status.get();
        if (!now.equals(last)) {
          String header =
              "every "
                  + every
                  + ", changed at "
                  + LocalTime.now().truncatedTo(ChronoUnit.SECONDS)
                  + "; Ctrl-C stops";
          if (terminal) {
            draw(out, header, now, rows());
          } else {
            out.println("--- " + header);
            now.forEach(out::println);
          }
          out.flush();
          last = now;
        }
        Thread.sleep(sleep);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Errors.OK;
    } finally {
      if (terminal) {
        try {
          ShutdownHooks.remove(restore);
          restore.run();
        } catch (IllegalStateException shuttingDown) {
          // the hook restores the terminal
        }
      }
    }
  }

  static void draw(PrintWriter out, String header, List<String> lines, int rows) {
    List<String> shown = new ArrayList<>();
    shown.add(header);
    shown.addAll(lines);
    // A terminal of no size (a pseudo-terminal nobody sized) is one of unknown size.
    if (rows >= 3 && shown.size() > rows - 1) {
      int hidden = shown.size() - (rows - 2);
      shown = new ArrayList<>(shown.subList(0, rows - 2));
      shown.add("… " + hidden + " more lines");
    }
    StringBuilder frame = new StringBuilder("\u001b[?2026h\u001b[H");
    for (String line : shown) {
      frame.append(line).append("\u001b[K\n");
    }
    frame.append("\u001b[J\u001b[?2026l");
    out.print(frame);
  }

  // The terminal's height, from stty on the controlling terminal; unknown is no limit.
  private static int rows() {
    try {
      Process p =
          new ProcessBuilder("stty", "size")
              .redirectInput(new File("/dev/tty"))
              .redirectError(ProcessBuilder.Redirect.DISCARD)
              .start();
      String size = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
      p.waitFor();
      return Integer.parseInt(size.strip().split(" ")[0]);
    } catch (IOException | RuntimeException e) {
      return Integer.MAX_VALUE;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Integer.MAX_VALUE;
    }
  }
}
