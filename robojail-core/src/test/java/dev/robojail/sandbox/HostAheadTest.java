package dev.robojail.sandbox;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.robojail.ffm.FreshJvm;
import dev.robojail.ffm.Kernel;
import dev.robojail.ffm.NeedsUserNamespaces;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The host's part of a start, done ahead on the link thread ({@link HostAhead}): its result is what
 * the start would have found itself, it serves only the walk it was made for and only once, and a
 * walk that fails ahead fails the start as it does without it. Tagged, so that it runs as nobody
 * too, whose walk of {@code /etc} covers more.
 */
@NeedsUserNamespaces
class HostAheadTest {
  @TempDir Path tmp;

  @AfterEach
  void nothingLeftPending() {
    HostAhead.dropCovers();
    HostAhead.takeFacts();
  }

  @Test
  void theWalkAheadIsAFreshWalksAndServesOnce() throws Exception {
    Path etc = Path.of("/etc").toRealPath();
    HostAhead.Work w = claimAtOnce(HostAhead.start(false, Path.of("/etc")), Path.of("/etc"));
    assertNotNull(w, "nothing walked ahead");
    List<Mount.Cover> ahead = HostAhead.covers(w, etc, "/etc");
    assertNotNull(ahead, "the walk ahead left no result");
    assertEquals(HostEtc.covers(etc, "/etc"), ahead);
    assertNull(HostAhead.claimWalk(Path.of("/etc")), "the walk ahead served twice");
  }

  @Test
  void theFactsAheadAreAFreshProbesAndServeOnce() throws Exception {
    HostAhead.start(true);
    HostFacts ahead = HostAhead.takeFacts();
    assertNotNull(ahead, "the probe ahead left no result");
    assertEquals(HostFacts.probeHost(), ahead);
    assertNull(HostAhead.takeFacts(), "the probe ahead served twice");
    // a start that joins walks nothing
    assertNull(HostAhead.claimWalk(Path.of("/etc")));
  }

  @Test
  void theWalkAheadServesNoOtherEtcNorTargetAndOnlyTheFirstSpecToAsk() throws Exception {
    Path etc = Path.of("/etc").toRealPath();
    Path other = Files.createDirectories(tmp.resolve("etc"));
    HostEtcTest.file(other.resolve("shadow"), "SECRET", "rw-------");
    HostAhead.start(false);
    assertNull(HostAhead.claimWalk(other), "served another /etc");
    assertNull(HostAhead.claimWalk(Path.of("/etc")), "kept for a later spec");

    Path source = Path.of("/etc");
    assertNull(
        HostAhead.covers(claimAtOnce(HostAhead.start(false, source), source), etc, "/elsewhere"));
    // /etc resolving elsewhere since the walk
    assertNull(
        HostAhead.covers(
            claimAtOnce(HostAhead.start(false, source), source), other.toRealPath(), "/etc"));

    // The spec of another /etc walks that one: its covers are its own.
    HostAhead.start(false);
    Sandbox spec = Presets.minimalSystem(Sandbox.builder(), other).command("/bin/true").build();
    assertEquals(List.of(new Mount.Cover("/etc/shadow", false)), covers(spec));

    // A spec to join drops the walk: the next spec walks for itself.
    HostAhead.start(false);
    Sandbox.builder().minimalSystemToJoin();
    assertNull(HostAhead.claimWalk(Path.of("/etc")), "kept past a spec to join");
  }

  @Test
  void aSpecBuiltWithTheWalkAheadIsTheSpecBuiltWithout() throws Exception {
    // The covers go in at their place when the spec is built: a mount replaced before them
    // (moving that place) and a file of robojail's over a covered one (replacing the cover) read
    // as they do when the walk is made at once.
    Path etc = Files.createDirectories(tmp.resolve("etc"));
    HostEtcTest.file(etc.resolve("passwd"), "root:x:0:0::/:/bin/sh", "rw-------");
    HostEtcTest.file(etc.resolve("shadow"), "SECRET", "rw-------");
    HostEtcTest.file(etc.resolve("hosts"), "127.0.0.1 localhost", "rw-r--r--");
    Files.createDirectories(etc.resolve("ssl/private"));
    Files.setPosixFilePermissions(
        etc.resolve("ssl/private"), PosixFilePermissions.fromString("rwx------"));
    Sandbox without = spec(etc);
    HostAhead.start(false, etc);
    Sandbox ahead = spec(etc);
    assertNull(HostAhead.claimWalk(etc), "the walk ahead was not taken");
    assertEquals(without.mounts(), ahead.mounts());
    assertTrue(
        without.mounts().contains(new Mount.Cover("/etc/shadow", false)), "" + without.mounts());
    assertFalse(
        without.mounts().contains(new Mount.Cover("/etc/passwd", false)), "" + without.mounts());
  }

  @Test
  void aWalkOlderThanItsBoundServesNoSpec() throws Exception {
    // A spec made long after the command started (a library caller's, a start that waited) walks
    // /etc itself: a file made secret meanwhile is covered.
    Path etc = Files.createDirectories(tmp.resolve("etc"));
    HostAhead.Work w = HostAhead.start(false, etc);
    assertNull(HostAhead.claimWalk(etc, w.startedNanos + HostAhead.MAX_AGE_NANOS + 1));
    // and it is dropped: no later spec takes it either
    assertNull(HostAhead.claimWalk(etc, w.startedNanos));
    HostAhead.Work young = HostAhead.start(false, etc);
    assertNotNull(HostAhead.claimWalk(etc, young.startedNanos + HostAhead.MAX_AGE_NANOS));
  }

  @Test
  void theCgroupPlaceAheadIsAFreshFindsAndServesTheFirstCgroupOnly() {
    HostAhead.start(false);
    java.util.Optional<Cgroup.Place> ahead = HostAhead.takePlace();
    assertNotNull(ahead, "the place ahead left no result");
    assertEquals(Cgroup.find(), ahead);
    assertNull(HostAhead.takePlace(), "the place ahead served twice");
    // the prefix was read ahead too, and is what a fresh read gives
    assertTrue(Cgroup.prefix().startsWith("robojail-" + ProcessHandle.current().pid() + "-"));

    // A start that joins makes no cgroup: nothing is found for it.
    HostAhead.start(true);
    assertNull(HostAhead.takePlace());
    HostAhead.takeFacts();

    // A start that waited (the walk dropped) finds it again, as it walks again.
    HostAhead.start(false);
    HostAhead.dropCovers();
    assertNull(HostAhead.takePlace(), "served past a dropped walk");

    // So does a cgroup made past the walk's age bound.
    HostAhead.Work w = HostAhead.start(false, Path.of("/etc"));
    assertNull(HostAhead.takePlace(w.startedNanos + HostAhead.MAX_AGE_NANOS + 1));
    HostAhead.Work young = HostAhead.start(false, Path.of("/etc"));
    assertEquals(Cgroup.find(), HostAhead.takePlace(young.startedNanos + HostAhead.MAX_AGE_NANOS));
  }

  @Test
  void aWalkDroppedBeforeItBeginsIsNotMadeAndTheFactsStillAre() {
    // A spec to join drops the walk; the link thread, not yet at it, makes only the facts, which
    // the joining session's probe waits for.
    HostAhead.Work w = new HostAhead.Work(true, Path.of("/etc"), System.nanoTime());
    w.dropped = true;
    w.run();
    assertNull(w.covers, "walked a dropped /etc");
    assertNull(w.etc, "walked a dropped /etc");
    assertNull(w.place, "found a place for a dropped start");
    assertEquals(HostFacts.probeHost(), w.facts);
  }

  @Test
  void aSpecToJoinOrAWaitingStartDropsTheWalkForTheLinkThread() throws Exception {
    HostAhead.Work w = HostAhead.start(false, Path.of("/etc"));
    Sandbox.builder().minimalSystemToJoin();
    assertTrue(w.dropped, "the link thread was not told");
    HostAhead.Work waited = HostAhead.start(false, Path.of("/etc"));
    HostAhead.dropCovers();
    assertTrue(waited.dropped, "the link thread was not told");
    assertNull(HostAhead.claimWalk(Path.of("/etc"), waited.startedNanos));
  }

  // A file whose name a cover cannot be made of: the walk fails.
  private static void secretWithAnUnsafeName(Path etc) throws Exception {
    EtcTrees.python(
        etc,
        "open(b'top-\\xff\\x1b[2J', 'w').write('SECRET'); os.chmod(b'top-\\xff\\x1b[2J', 0o600)",
        "");
  }

  // The claim at the very moment the work was started: never past the bound, however slow the
  // machine is between the two.
  private static HostAhead.Work claimAtOnce(HostAhead.Work started, Path source) {
    assertNotNull(started, "nothing started");
    return HostAhead.claimWalk(source, started.startedNanos);
  }

  private static Sandbox spec(Path etc) {
    Sandbox.Builder b = Presets.minimalSystem(Sandbox.builder(), etc);
    b.replace(new Mount.Tmpfs("/usr", 0, 0755));
    return b.etcFile("passwd", "root:x:0:0::/:/bin/sh\n", 0644).command("/bin/true").build();
  }

  // Met at the build, or before it where JailProfile waits for the covers ahead of its first side
  // effect (awaitCovers): either way as the walk's own failure in minimalSystem without the walk
  // ahead, and kept for the next build.
  @ParameterizedTest
  @ValueSource(booleans = {false, true})
  void aWalkThatFailsAheadFailsTheSpecAsWithoutIt(boolean awaited) throws Exception {
    Path etc = Files.createDirectories(tmp.resolve("etc"));
    secretWithAnUnsafeName(etc);
    String without =
        assertThrows(
                SandboxException.InvalidSpec.class,
                () -> Presets.minimalSystem(Sandbox.builder(), etc).command("/bin/true").build())
            .getMessage();
    HostAhead.start(false, etc);
    Sandbox.Builder b = Presets.minimalSystem(Sandbox.builder(), etc).command("/bin/true");
    String ahead =
        assertThrows(
                SandboxException.InvalidSpec.class,
                awaited ? () -> HostAhead.awaitCovers(b) : b::build)
            .getMessage();
    assertTrue(without.startsWith("cannot hide "), without);
    assertEquals(without, ahead);
    // and the builder the failure left still has its covers to make: never a spec without them
    assertThrows(SandboxException.InvalidSpec.class, b::build);
  }

  @Test
  void coversAwaitedOnceAreInAndAwaitNothingMore() throws Exception {
    Path etc = Files.createDirectories(tmp.resolve("etc"));
    HostEtcTest.file(etc.resolve("shadow"), "SECRET", "rw-------");
    HostAhead.start(false, etc);
    Sandbox.Builder b = Presets.minimalSystem(Sandbox.builder(), etc);
    HostAhead.awaitCovers(b);
    HostAhead.awaitCovers(b);
    assertEquals(
        List.of(new Mount.Cover("/etc/shadow", false)), covers(b.command("/bin/true").build()));
  }

  @Test
  void anEtcChangedAfterTheWalkAheadIsSeenAsTheWalkSawIt() throws Exception {
    // The spec takes the snapshot the walk made, as it does of a walk of its own: a change between
    // the walk and the mount is not seen either way (SECURITY.md: /etc is covered as it was when
    // the command started).
    Path etc = Files.createDirectories(tmp.resolve("etc"));
    Path later = HostEtcTest.file(etc.resolve("later"), "public", "rw-r--r--");
    HostAhead.Work w = claimAtOnce(HostAhead.start(false, etc), etc);
    List<Mount.Cover> before = HostAhead.covers(w, etc.toRealPath(), "/etc");
    Files.setPosixFilePermissions(later, PosixFilePermissions.fromString("rw-------"));
    assertEquals(List.of(), before);
    assertEquals(List.of(), HostAhead.covers(w, etc.toRealPath(), "/etc"));
    assertEquals(
        List.of(new Mount.Cover("/etc/later", false)), HostEtc.covers(etc.toRealPath(), "/etc"));
  }

  // In fresh JVMs, since class initialisation happens once per JVM: the work ahead and a run's
  // main thread meet the classes they share in either order, at several distances, and neither
  // hangs; the start's covers are a fresh walk's.
  @ParameterizedTest
  @ValueSource(ints = {0, 0, 1, 2, 4, 8, 15, 30})
  void aheadAndTheStartMeetTheirClassesInEitherOrderWithoutHanging(int delayMillis)
      throws Exception {
    for (String order : List.of("ahead", "behind")) {
      assertEquals(
          List.of("covers: a fresh walk's", "exit 0"),
          probe(order, delayMillis),
          order + " " + delayMillis);
    }
  }

  // Native access denied: the link fails, nothing runs after it, and the start fails as it does
  // with nothing started ahead; with spec-first, the claim and the wait for the walk come before
  // any native call, and the wait for a walk that never comes ends with the dead thread.
  @ParameterizedTest
  @ValueSource(ints = {0, 20})
  void aLinkThatFailsAheadFailsTheStartAsWithoutIt(int delayMillis) throws Exception {
    List<String> deny = List.of("--illegal-native-access=deny");
    for (String first : List.of("terminal-first", "spec-first")) {
      List<String> without = probe(deny, "none", delayMillis, first);
      assertTrue(
          without.stream().anyMatch(l -> l.startsWith("java.lang.IllegalCallerException")),
          () -> "the probe did not meet the refusal: " + without);
      assertEquals(without, probe(deny, "ahead", delayMillis, first), first);
    }
  }

  private static List<Mount> covers(Sandbox spec) {
    List<Mount> covers = new ArrayList<>();
    for (Mount m : spec.mounts()) {
      if (m instanceof Mount.Cover) {
        covers.add(m);
      }
    }
    return covers;
  }

  private static List<String> probe(String order, int delayMillis) throws Exception {
    return probe(List.of("--enable-native-access=ALL-UNNAMED"), order, delayMillis, "");
  }

  private static List<String> probe(List<String> jvm, String order, int delayMillis, String first)
      throws Exception {
    return FreshJvm.run(
            jvm,
            List.of(Sandbox.class, Kernel.class, HostAheadProbe.class),
            HostAheadProbe.class,
            order,
            Integer.toString(delayMillis),
            first)
        .lines();
  }
}
