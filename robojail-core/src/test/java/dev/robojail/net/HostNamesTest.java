package dev.robojail.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import java.util.stream.LongStream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A plain ASCII host name is canonicalised without {@link java.net.IDN} (a start-up cost): over
 * seeded random names — empty and over-long labels, dots at either end, hyphens, underscores, upper
 * case, characters a host name cannot have — the fast path accepts exactly what the IDNA path
 * accepts, and gives the same name.
 */
class HostNamesTest {
  static LongStream seeds() {
    return LongStream.range(0, 30);
  }

  private static final String ALPHABET = "abcdefXYZ019-_..*/ :@";

  @ParameterizedTest
  @MethodSource("seeds")
  void asciiNamesGetTheSameAnswerWithAndWithoutIdn(long seed) {
    Random r = new Random(seed);
    int accepted = 0;
    for (int n = 0; n < 200; n++) {
      StringBuilder name = new StringBuilder();
      int length = r.nextInt(5) == 0 ? 60 + r.nextInt(200) : r.nextInt(12);
      for (int i = 0; i < length; i++) {
        name.append(ALPHABET.charAt(r.nextInt(ALPHABET.length())));
      }
      String s = name.toString();
      String idn = outcome(s, true);
      assertEquals(idn, outcome(s, false), "for \"" + s + "\"");
      accepted += idn.startsWith("ok ") ? 1 : 0;
    }
    // Names both paths accept are the point; a generator that only made refusals would not test it.
    assertTrue(accepted >= 5, accepted + " of 200 accepted");
  }

  private static String outcome(String name, boolean alwaysIdn) {
    try {
      return "ok " + HostNames.canonical(name, alwaysIdn);
    } catch (IllegalArgumentException e) {
      return "refused";
    }
  }
}
