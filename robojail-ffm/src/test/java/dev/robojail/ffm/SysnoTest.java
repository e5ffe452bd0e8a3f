package dev.robojail.ffm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.abort;

import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Every number in {@link Sysno} is the kernel's: a wrong one in the seccomp deny list would block
 * some other call and silently let the one it names through. Checked against the kernel's UAPI
 * header as the C library installs it; without the header the test skips, and in CI (CI=true,
 * .ci/run installs linux-libc-dev) it fails, because a skipped check checks nothing.
 */
class SysnoTest {
  // Debian and Ubuntu put the x86-64 header under the multiarch directory; Arch and Fedora do not.
  private static final List<Path> HEADERS =
      List.of(
          Path.of("/usr/include/x86_64-linux-gnu/asm/unistd_64.h"),
          Path.of("/usr/include/asm/unistd_64.h"));

  private static final Pattern DEFINE =
      Pattern.compile("^#define __NR_([a-z0-9_]+)\\s+(\\d+)\\s*$", Pattern.MULTILINE);

  // Calls newer than the UAPI headers of some distributions robojail builds on (Debian 12 ships
  // Linux 6.1's): each is checked only when the header knows it, and otherwise must lie above
  // every number the header defines, since numbers are only ever appended. Numbers from
  // arch/x86/entry/syscalls/syscall_64.tbl.
  private static final Map<String, Integer> NEWER_THAN_SOME_HEADERS =
      Map.of("fchmodat2", 452, "setxattrat", 463, "open_tree_attr", 467, "file_setattr", 469);

  @Test
  void everyNumberIsTheKernelsX8664Number() throws Exception {
    Map<String, Integer> kernel = kernelNumbers();
    int highest = kernel.values().stream().mapToInt(Integer::intValue).max().orElseThrow();
    int checked = 0;
    for (Field f : Sysno.class.getDeclaredFields()) {
      if (!Modifier.isStatic(f.getModifiers()) || f.getType() != int.class) {
        continue;
      }
      String name = f.getName().toLowerCase(Locale.ROOT);
      Integer expected = kernel.get(name);
      if (expected == null && NEWER_THAN_SOME_HEADERS.containsKey(name)) {
        assertEquals(NEWER_THAN_SOME_HEADERS.get(name), f.getInt(null), "Sysno." + f.getName());
        assertTrue(f.getInt(null) > highest, "Sysno." + f.getName() + " is below the header's end");
        continue;
      }
      if (expected == null) {
        fail("Sysno." + f.getName() + " has no __NR_" + name + " in the kernel's header");
      }
      assertEquals(expected, f.getInt(null), "Sysno." + f.getName());
      checked++;
    }
    // The table holds, among others, the whole seccomp deny list; an empty walk proves nothing.
    assertTrue(checked >= 90, "only " + checked + " constants were checked");
  }

  @Test
  void theParserReadsNumbersThatNeverMoved() throws Exception {
    // Anchors that have not moved since x86-64 Linux began, so that a parser that misreads the
    // header cannot agree with a table that is wrong in the same way.
    Map<String, Integer> kernel = kernelNumbers();
    assertEquals(0, kernel.get("read"));
    assertEquals(59, kernel.get("execve"));
    assertEquals(101, kernel.get("ptrace"));
    assertEquals(435, kernel.get("clone3"));
  }

  private static Map<String, Integer> kernelNumbers() throws IOException {
    for (Path h : HEADERS) {
      if (Files.isRegularFile(h)) {
        Map<String, Integer> numbers = new HashMap<>();
        Matcher m = DEFINE.matcher(Files.readString(h));
        while (m.find()) {
          numbers.put(m.group(1), Integer.parseInt(m.group(2)));
        }
        return numbers;
      }
    }
    String missing = "the kernel's unistd_64.h is not installed (" + HEADERS + ")";
    if ("true".equalsIgnoreCase(System.getenv("CI"))) {
      fail(missing + ", and CI=true: .ci/run installs linux-libc-dev so that this check runs");
    }
    return abort(missing);
  }
}
