package dev.robojail.ffm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
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

  private static FreshJvm.Output probe(List<String> jvm, String mode, int delayMillis)
      throws Exception {
    return FreshJvm.run(
        jvm,
        List.of(Kernel.class, LinkAheadProbe.class),
        LinkAheadProbe.class,
        mode,
        Integer.toString(delayMillis));
  }
}
