package dev.robojail.sandbox;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.robojail.ffm.Seccomp;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The plan and the seccomp filter, pinned: {@code golden-plan.txt} and {@code golden-filters.txt}
 * were first taken from the code before the architecture was reshaped (commit 83b42ca), which
 * promised no change in behaviour. A deliberate change to the plan or the filter updates them in
 * the same commit, where a reviewer sees the difference: run this test with {@code
 * -Drobojail.updateGolden=true} to rewrite them from the code, then read {@code git diff}.
 */
class SetupPlanGoldenTest {
  // The facts of the machine the golden plan was printed on, where they matter to this spec: its
  // limits are below any hard limit, Landlock ABI 7, capabilities up to 40, and no init.
  private static final HostFacts FACTS = new HostFacts(Long.MAX_VALUE, Long.MAX_VALUE, 7, 40, -1);

  @TempDir Path tmp;

  @Test
  void aSpecWithEveryKindOfStepPlansAsBefore() throws IOException {
    Path work = Files.createDirectory(tmp.resolve("work"));
    Path conf = Files.writeString(tmp.resolve("golden.conf"), "x=1\n");
    Path cache = Files.createDirectory(tmp.resolve("cache"));
    Path upper = Files.createDirectory(tmp.resolve("upper"));
    Path scratch = Files.createDirectory(tmp.resolve("scratch"));
    Sandbox s =
        Sandbox.builder()
            .command("/bin/sh", "-c", "echo hi")
            .uid(1000)
            .gid(1000)
            .hostname("golden")
            .network(false)
            .bind(work, "/work")
            .overlay(cache, upper, scratch, "/work/cache")
            .readOnlyBind(conf, "/etc/golden.conf")
            .tmpfs("/tmp", 16L << 20, 01777)
            .proc("/proc")
            .dev("/dev")
            .dir("/var/cache", 0755)
            .symlink("usr/bin", "/bin")
            .file("/etc/hostname", "golden\n", 0644)
            .workingDirectory("/work")
            .env("PATH", "/usr/bin:/bin")
            .env("LANG", "C.UTF-8")
            .coreLimit(0)
            .openFiles(256)
            .processes(77)
            .landlock(true)
            .init(false)
            .stdout(Stdio.pipe())
            .stderr(Stdio.pipe())
            .redirectErrorStream(true)
            .build();
    String printed =
        s.plan(FACTS)
            .toString()
            // the stage labels are new, and the one intended change to the printed plan
            .replaceAll("(?m)^(\\d+): \\[[a-z]+\\] ", "$1: ")
            .replace(tmp.toRealPath().toString(), "@TMP@");
    assertEquals(golden("golden-plan.txt", printed), printed);
  }

  /**
   * A session joining a running sandbox, with a terminal of its own, and the helper that connects
   * inside for {@code forward}: pinned in {@code golden-join.txt}. The joining session has no mount
   * step and no hostname step, and the same steps as a first session from the working directory on.
   */
  @Test
  void aJoiningSessionAndTheForwardHelperPlanAsPinned() throws IOException {
    Path work = Files.createDirectory(tmp.resolve("work"));
    Sandbox s =
        Sandbox.builder()
            .command("bash", "-l")
            .uid(1000)
            .gid(1000)
            .hostname("golden")
            .network(Network.loopback())
            .minimalSystem()
            .bind(work, "/work")
            .workingDirectory("/work")
            .env("PATH", "/usr/bin:/bin")
            .processes(77)
            .stdin(Stdio.terminal(40, 120))
            .stdout(Stdio.terminal(40, 120))
            .stderr(Stdio.pipe())
            .newSession(true)
            .controllingTerminal(true)
            .build();
    HostFacts facts = new HostFacts(Long.MAX_VALUE, Long.MAX_VALUE, 7, 40, 9);
    String join = s.joinPlan(facts).toString();
    String first = s.plan(facts).toString();
    // from the working directory on, the two sessions are one and the same
    assertEquals(
        afterMounts(first).replaceAll("(?m)^.*sethostname.*\\n", ""),
        afterMounts(join),
        "a joining session differs from the first after the mounts");
    String printed =
        (join + "---\n" + SetupPlan.connect(999, 1455, 1005))
            .replace(tmp.toRealPath().toString(), "@TMP@");
    assertEquals(golden("golden-join.txt", printed), printed);
  }

  // The steps from the process stage on, without their numbers and slot numbers.
  private static String afterMounts(String plan) {
    return plan.substring(plan.indexOf("[process]"))
        .replaceAll("(?m)^\\d+: ", "")
        .replaceAll("\\bfd\\d+\\b", "fd#");
  }

  @Test
  void everyFilterIsByteForByteThePinnedOne() throws NoSuchAlgorithmException, IOException {
    StringBuilder hashes = new StringBuilder();
    for (boolean ptrace : new boolean[] {false, true}) {
      for (boolean userNamespaces : new boolean[] {false, true}) {
        for (boolean capabilitiesKept : new boolean[] {false, true}) {
          byte[] filter =
              Seccomp.encode(SyscallFilter.program(ptrace, userNamespaces, capabilitiesKept));
          hashes
              .append("ptrace=")
              .append(ptrace)
              .append(" userns=")
              .append(userNamespaces)
              .append(" capabilitiesKept=")
              .append(capabilitiesKept)
              .append(' ')
              .append(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(filter)))
              .append('\n');
        }
      }
    }
    String actual = hashes.toString();
    assertEquals(golden("golden-filters.txt", actual), actual);
  }

  private static String golden(String name, String actual) throws IOException {
    if (Boolean.getBoolean("robojail.updateGolden")) {
      Files.writeString(Path.of("src/test/resources/dev/robojail/sandbox", name), actual);
    }
    try (InputStream in = SetupPlanGoldenTest.class.getResourceAsStream(name)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }
}
