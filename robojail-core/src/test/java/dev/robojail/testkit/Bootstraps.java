package dev.robojail.testkit;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What robojail's own code makes the JVM spin at run time that no AOT cache of JDK 25 keeps: a
 * pattern switch is linked by {@code SwitchBootstraps} with a {@code $$TypeSwitch} class made for
 * it, a record's {@code equals}, {@code hashCode} and {@code toString} by {@code ObjectMethods}.
 * Lambdas and string concatenation are left out: the caches keep those.
 *
 * <p>A JVM started with {@link #jvmOptions} prints every call site it links on its standard output
 * ({@code java.lang.invoke.MethodHandle.TRACE_METHOD_LINKAGE}, one {@code linkCallSite CALLER
 * BOOTSTRAP} line each) and logs each class it loads into a file; {@link #spun} reads both.
 */
public final class Bootstraps {
  private static final Pattern LINKED =
      Pattern.compile(
          "^linkCallSite (dev\\.robojail\\.\\S+) (java\\.lang\\.runtime\\.(?:SwitchBootstraps"
              + "|ObjectMethods)\\.\\w+)",
          Pattern.MULTILINE);
  private static final Pattern ANY_LINKED =
      Pattern.compile("^linkCallSite dev\\.robojail\\.", Pattern.MULTILINE);
  // A hidden class defined through a robojail class's lookup, such as Foo$$TypeSwitch/0x1234.
  private static final Pattern HIDDEN =
      Pattern.compile(" (dev\\.robojail\\.[\\w.$]+)/0x[0-9a-f]+ source: dev\\.robojail\\.");

  // What the JVM loads for a MemorySegment get or set through a var handle, or a layout path
  // lookup: the first of each spins method handles that no AOT cache keeps (~5-7 ms of a command).
  private static final Pattern SEGMENT_ACCESS =
      Pattern.compile(
          " ((?:java\\.lang\\.invoke\\.(?:SegmentVarHandle|VarHandleSegmentAs\\w+))"
              + "|jdk\\.internal\\.foreign\\.LayoutPath) source: ");

  private Bootstraps() {}

  /**
   * The classes of memory-segment var handles and layout paths that the JVM which wrote {@code log}
   * (with {@link #jvmOptions}) loaded: none, where robojail reads and writes native memory by
   * copies to and from arrays, and computes struct offsets itself.
   */
  public static List<String> segmentAccess(Path log) throws IOException {
    List<String> found = new ArrayList<>();
    Matcher m = SEGMENT_ACCESS.matcher(Files.readString(log, StandardCharsets.UTF_8));
    while (m.find()) {
      found.add(m.group(1));
    }
    return found;
  }

  /** The options that make a JVM report what it links and loads, the latter into {@code log}. */
  public static List<String> jvmOptions(Path log) {
    return List.of(
        "-Djava.lang.invoke.MethodHandle.TRACE_METHOD_LINKAGE=true",
        "-Xlog:class+load=info:file=" + log);
  }

  /**
   * Each call site of robojail's linked by {@code SwitchBootstraps} or {@code ObjectMethods}, and
   * each hidden class other than a lambda defined for a robojail class, as one line naming it.
   *
   * @param stdout what the JVM started with {@link #jvmOptions} printed
   * @param log the class loading log it wrote
   * @param loaded a class the JVM must have loaded, so that an empty answer means something
   * @throws AssertionError if the output shows no tracing, or {@code loaded} was not loaded
   */
  public static List<String> spun(String stdout, Path log, String loaded) throws IOException {
    String classes = Files.readString(log, StandardCharsets.UTF_8);
    if (!ANY_LINKED.matcher(stdout).find()) {
      throw new AssertionError("no call site of robojail's was traced:\n" + stdout);
    }
    if (!classes.contains(" " + loaded + " source: ")) {
      throw new AssertionError(loaded + " was not loaded; the class log has:\n" + classes);
    }
    List<String> found = new ArrayList<>();
    Matcher m = LINKED.matcher(stdout);
    while (m.find()) {
      found.add(m.group(1) + " linked by " + m.group(2));
    }
    Matcher h = HIDDEN.matcher(classes);
    while (h.find()) {
      if (!h.group(1).contains("$$Lambda")) {
        found.add(h.group(1) + " spun");
      }
    }
    return found;
  }
}
