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
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The plan and the seccomp filter as they were before the architecture was reshaped (commit 83b42ca
 * printed {@code golden-plan.txt} and encoded these filters): the reshaping promised no change in
 * behaviour, and these pin it. A deliberate change to the plan or the filter updates the golden
 * text or hashes in the same commit, where a reviewer sees it.
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
    Sandbox s =
        Sandbox.builder()
            .command("/bin/sh", "-c", "echo hi")
            .uid(1000)
            .gid(1000)
            .hostname("golden")
            .network(false)
            .bind(work, "/work")
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
    assertEquals(golden(), printed);
  }

  @ParameterizedTest(name = "ptrace {0}, user namespaces {1}, AF_UNIX only {2}")
  @CsvSource({
    "false, false, false, 20c35329120ef2f177eed2a7cec194a52c116a09dff59b81b8924949d6839fd3",
    "true,  false, false, 33ead3fac4764e5ce9bd3ed108c2234148dab880ecd982bd09f949170333525f",
    "false, true,  false, 7673a41729da0d7d0291c69f2f0532c1d6e53fb672cd177a472d9b3526650968",
    "true,  true,  false, 77ba3b13ca4bb4bfbee9a1c45370e550566cf2fcff292892577567cd025274c5",
    "false, false, true,  0e2d7d3bd73bc1ae97aa02abcffd29d959fc623e93dc8d6cda9ede38630eaed9",
    "true,  false, true,  b22cec0f7fa1024519b6c8fbf34e8c42c04d6408d550c5757f056834a355950b",
    "false, true,  true,  3f30eb992cc8f6030b591c7c6e6870e614c791e7e6f69f6ec8a1ab34b0aa72e0",
    "true,  true,  true,  4e42ec86a09dfe497f337b6345a5676db65cbc40cae6ee7372ff8a554c7da845"
  })
  void theFilterIsByteForByteTheOneBefore(
      boolean ptrace, boolean userNamespaces, boolean unixOnly, String sha256)
      throws NoSuchAlgorithmException {
    byte[] filter = Seccomp.encode(SyscallFilter.program(ptrace, userNamespaces, unixOnly));
    assertEquals(
        sha256, HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(filter)));
  }

  private static String golden() throws IOException {
    try (InputStream in = SetupPlanGoldenTest.class.getResourceAsStream("golden-plan.txt")) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }
}
