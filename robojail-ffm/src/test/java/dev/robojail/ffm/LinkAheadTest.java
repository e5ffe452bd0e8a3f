package dev.robojail.ffm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Linking ahead on a thread of its own, in fresh JVMs (class initialisation happens once per JVM):
 * the first native call is right whether it comes before, during or after the link, never hangs on
 * the class initialisation the two threads share, and fails exactly as it does without it.
 */
class LinkAheadTest {
  // The link takes ~15 ms: a first call at once, while it runs, and after it.
  @ParameterizedTest
  @ValueSource(ints = {0, 0, 1, 2, 4, 6, 8, 12, 20, 40})
  void theFirstNativeCallIsRightWhereverItMeetsTheLink(int delayMillis) throws Exception {
    FreshJvm.Output p = probe(List.of("--enable-native-access=ALL-UNNAMED"), "ahead", delayMillis);
    assertEquals(List.of(Long.toString(p.pid())), p.lines());
  }

  @ParameterizedTest
  @ValueSource(ints = {0, 20})
  void aLinkThatFailsFailsTheFirstCallAsWithoutIt(int delayMillis) throws Exception {
    // Native access denied: the linker refuses on both threads, and the first call must report
    // it as it does when nothing linked ahead.
    List<String> deny = List.of("--illegal-native-access=deny");
    List<String> without = probe(deny, "now", delayMillis).lines();
    List<String> ahead = probe(deny, "ahead", delayMillis).lines();
    assertTrue(
        without.stream().anyMatch(l -> l.startsWith("java.lang.IllegalCallerException")),
        () -> "the probe did not meet the refusal: " + without);
    assertEquals(without, ahead);
  }

  @Test
  void aCodePageThatCannotBeMadeFailsEveryCallAlikeOnEitherThread() throws Exception {
    // The failure of the code page's making (here: an architecture without robojail's routines)
    // met first on the link thread reads on the caller's as when the caller met it itself, and a
    // second call reads as the first: never a NoClassDefFoundError that hides the reason.
    List<String> jvm = List.of("--enable-native-access=ALL-UNNAMED");
    List<String> without = probe(jvm, "now", 0, "foreign-arch").lines();
    List<String> once =
        List.of(
            "java.lang.AssertionError: syscall downcall failed",
            "java.lang.ExceptionInInitializerError: null",
            "java.lang.UnsupportedOperationException: robojail's system calls exist for x86-64"
                + " only; riscv64 is not supported yet");
    List<String> twice = new ArrayList<>(once);
    twice.addAll(once);
    assertEquals(twice, without);
    assertEquals(without, probe(jvm, "ahead", 0, "foreign-arch").lines());
  }

  // Without a bound of its own, the test would hang with the JVM: JUnit's fails it instead.
  @Test
  @Timeout(30)
  void aJvmThatHangsFailsItsTestInsteadOfHangingTheBuild() {
    AssertionError e =
        assertThrows(
            AssertionError.class,
            () ->
                FreshJvm.run(
                    Duration.ofSeconds(2),
                    List.of(),
                    List.of(LinkAheadProbe.class),
                    Sleeper.class));
    assertTrue(e.getMessage().startsWith("Sleeper hung: "), e.getMessage());
  }

  /** A JVM that never ends, its output left open: for the test above. */
  static final class Sleeper {
    private Sleeper() {}

    public static void main(String[] args) throws InterruptedException {
      System.out.println("asleep");
      Thread.sleep(Long.MAX_VALUE);
    }
  }

  private static FreshJvm.Output probe(
      List<String> jvm, String mode, int delayMillis, String... more) throws Exception {
    List<String> args = new ArrayList<>(List.of(mode, Integer.toString(delayMillis)));
    args.addAll(List.of(more));
    return FreshJvm.run(
        jvm,
        List.of(Kernel.class, LinkAheadProbe.class),
        LinkAheadProbe.class,
        args.toArray(String[]::new));
  }
}
