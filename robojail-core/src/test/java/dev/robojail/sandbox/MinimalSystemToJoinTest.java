package dev.robojail.sandbox;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.robojail.ffm.Kernel;
import dev.robojail.ffm.NeedsUserNamespaces;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link Sandbox.Builder#minimalSystemToJoin()}: the spec of a session that only joins, without the
 * walk of the host's {@code /etc}. Its join is the join of the full spec, step for step, and the
 * joined session sees the running sandbox's {@code /etc}, secrets covered, not the host's.
 */
class MinimalSystemToJoinTest {
  private static final HostFacts FACTS = new HostFacts(Long.MAX_VALUE, Long.MAX_VALUE, 7, 40, 9);

  @TempDir Path dir;

  static Stream<Long> seeds() {
    return Stream.of(1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L);
  }

  /**
   * Over seeded specs (writable and read-only binds, tmpfs, Landlock on or off, a terminal or not),
   * the joining session's program from {@code minimalSystemToJoin()} is the one from {@code
   * minimalSystem()}: a join reads of the mounts only which are writable, and {@code /etc} is not.
   */
  @ParameterizedTest
  @MethodSource("seeds")
  void theJoinOfEitherSpecIsTheSame(long seed) throws Exception {
    Random r = new Random(seed);
    Path rw = Files.createDirectories(dir.resolve("rw"));
    Path ro = Files.createDirectories(dir.resolve("ro"));
    Path file = Files.writeString(dir.resolve("f"), "x");
    int processes = 1 + r.nextInt(500);
    List<UnaryOperator<Sandbox.Builder>> extras =
        List.of(
            b -> b.bind(rw, "/work"),
            b -> b.readOnlyBind(ro, "/ro"),
            b -> b.bind(file, "/f"),
            b -> b.tmpfs("/scratch", 1 << 20, 0700),
            b -> b.landlock(false),
            b -> b.stdin(Stdio.terminal(24, 80)).stdout(Stdio.terminal(24, 80)),
            b -> b.etcFile("passwd", "u:x:1000:1000::/home/u:/bin/sh\n", 0644),
            b -> b.etcFile("group", "u:x:1000:\n", 0644),
            b -> b.processes(processes));
    boolean[] pick = new boolean[extras.size()];
    for (int i = 0; i < pick.length; i++) {
      pick[i] = r.nextBoolean();
    }
    String full = joinOf(Sandbox.builder().minimalSystem(), extras, pick);
    String toJoin = joinOf(Sandbox.builder().minimalSystemToJoin(), extras, pick);
    assertEquals(full, toJoin);
  }

  private static String joinOf(
      Sandbox.Builder b, List<UnaryOperator<Sandbox.Builder>> extras, boolean[] pick) {
    for (int i = 0; i < pick.length; i++) {
      if (pick[i]) {
        b = extras.get(i).apply(b);
      }
    }
    return b.command("sh")
        .env("PATH", "/usr/bin:/bin")
        .workingDirectory("/")
        .newSession(true)
        .build()
        .joinPlan(FACTS)
        .toString();
  }

  /** Nothing of the host's /etc is in the spec: no bind of it, no cover, no file bound from it. */
  @Test
  void theSpecToJoinHasNothingOfTheHostsEtc() {
    Sandbox full = Sandbox.builder().minimalSystem().command("true").build();
    Sandbox toJoin = Sandbox.builder().minimalSystemToJoin().command("true").build();
    assertTrue(targetsUnderEtc(full) > 1, "the full spec binds and covers /etc");
    assertEquals(0, targetsUnderEtc(toJoin));
    assertEquals(
        full.mounts().stream().map(Mount::target).filter(t -> !underEtc(t)).toList(),
        toJoin.mounts().stream().map(Mount::target).toList(),
        "the same mounts but the host's /etc");
  }

  private static long targetsUnderEtc(Sandbox s) {
    return s.mounts().stream().map(Mount::target).filter(MinimalSystemToJoinTest::underEtc).count();
  }

  // hosts and resolv.conf, where their links lead out of /etc (systemd-resolved), are /etc's too
  private static boolean underEtc(String target) {
    return target.equals("/etc")
        || target.startsWith("/etc/")
        || Presets.FOLLOWED.stream()
            .anyMatch(n -> HostEtc.placeOf(n).filter(target::equals).isPresent());
  }

  /**
   * The attack: a session joined with the spec to join reads the host's secrets in {@code /etc}. It
   * sees the first session's {@code /etc}: the same listing, {@code shadow} an empty cover.
   */
  @Test
  @NeedsUserNamespaces
  void aSessionJoinedWithTheSpecToJoinSeesTheRunningSandboxsEtc() throws Exception {
    assertTrue(Files.exists(Path.of("/etc/shadow")), "the host has an /etc/shadow");
    String probe = "ls -la --time-style=+ /etc; wc -c < /etc/shadow; cat /etc/shadow";
    Kernel kernel = Kernel.linux();
    SandboxProcess first =
        Jailed.base()
            .bind(dir, "/work")
            .command(
                "/bin/sh",
                "-c",
                "{ "
                    + probe
                    + "; } > /work/.first 2>&1; mv /work/.first /work/first; exec sleep 600")
            .stdout(Stdio.discard())
            .start();
    int pidfd = kernel.pidfdOpen((int) first.pid(), 0);
    try {
      dev.robojail.ffm.Await.until("the first session's view", () -> seen("first").isPresent());
      SandboxProcess joined =
          Sandbox.builder()
              .minimalSystemToJoin()
              .env("PATH", "/usr/bin:/bin")
              .bind(dir, "/work")
              .command("/bin/sh", "-c", "{ " + probe + "; } > /work/joined 2>&1")
              .stdin(Stdio.discard())
              .build()
              .join((int) first.pid(), pidfd);
      assertTrue(joined.waitFor(60, TimeUnit.SECONDS));
      String view = seen("joined").orElseThrow();
      assertEquals(seen("first").orElseThrow(), view);
      assertTrue(view.contains(" shadow\n"), view);
      assertTrue(view.endsWith("\n0\n"), "shadow is an empty cover: " + view);
      assertFalse(view.contains("root:"), view);
    } finally {
      kernel.close(pidfd);
      first.destroy();
      first.waitFor(30, TimeUnit.SECONDS);
    }
  }

  private java.util.Optional<String> seen(String name) {
    try {
      String s = Files.readString(dir.resolve(name), StandardCharsets.UTF_8);
      return java.util.Optional.of(s);
    } catch (java.io.IOException e) {
      return java.util.Optional.empty();
    }
  }
}
