package dev.robojail.ffm;

import static dev.robojail.ffm.SetupProgram.Arg.of;
import static dev.robojail.ffm.SetupProgram.Arg.str;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.robojail.ffm.SetupProgram.Arg;
import dev.robojail.ffm.SetupProgram.Slot;
import dev.robojail.ffm.SetupProgram.Step;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The program is written exactly as runner-x86_64.s reads it. */
class SetupProgramTest {
  @Test
  void headerAndStepsHaveTheRunnersLayout() {
    Slot fd = new Slot("fd");
    SetupProgram p =
        SetupProgram.of(
            List.of(
                Step.of("openat", Sysno.OPENAT, of(-100), str("/x"), of(0))
                    .into(fd)
                    .tolerating(2, 17),
                Step.of("close", Sysno.CLOSE, Arg.result(fd)).expecting(0)));
    try (Arena a = Arena.ofConfined()) {
      MemorySegment cloneArgs = a.allocate(CloneArgs.LAYOUT);
      MemorySegment h = p.marshal(a, cloneArgs);
      assertEquals(cloneArgs.address(), h.get(JAVA_LONG, 0));
      assertEquals(88, h.get(JAVA_LONG, 8));
      assertEquals(2, h.get(JAVA_LONG, 16));
      assertEquals(-1, h.get(JAVA_LONG, 32));
      MemorySegment steps = MemorySegment.ofAddress(h.get(JAVA_LONG, 24));
      MemorySegment s0 = Native.at(steps.address(), 2L * SetupProgram.STEP_SIZE);
      assertEquals(Sysno.OPENAT, s0.get(JAVA_LONG, 0));
      assertEquals(-100, s0.get(JAVA_LONG, 8));
      assertEquals("/x", Native.at(s0.get(JAVA_LONG, 16), 3).getString(0));
      assertEquals((1L << 2) | (1L << 17), s0.get(JAVA_LONG, 56));
      long slot = s0.get(JAVA_LONG, 64);
      assertNotEquals(0, slot);
      assertEquals(0, s0.get(JAVA_LONG, 72));
      // second step: argument 0 is indirect through the slot, result must be 0
      long base = SetupProgram.STEP_SIZE;
      assertEquals(Sysno.CLOSE, s0.get(JAVA_LONG, base));
      assertEquals(slot, s0.get(JAVA_LONG, base + 8));
      assertEquals(0, s0.get(JAVA_LONG, base + 64));
      assertEquals(1L | (1L << 8), s0.get(JAVA_LONG, base + 72));
      assertEquals(0, s0.get(JAVA_LONG, base + 80));
    }
  }

  @Test
  void everyStringAndArrayIsInPlaceBeyondOnePageChunk() {
    // more than one chunk of staged pages: strings and arrays land wherever they were put
    List<String> argv = new java.util.ArrayList<>();
    for (int i = 0; i < 3000; i++) {
      argv.add("argument-" + i + "-" + "x".repeat(i % 50));
    }
    SetupProgram p =
        SetupProgram.of(
            List.of(
                Step.of("openat", Sysno.OPENAT, of(-100), str("/first"), of(0)),
                Step.of("execve", Sysno.EXECVE, str("/bin/true"), Arg.strings(argv), of(0)),
                Step.of("write", Sysno.WRITE, of(1), Arg.bytes(new byte[] {7, 0, 9}, "b"), of(3))));
    try (Arena a = Arena.ofConfined()) {
      MemorySegment h = p.marshal(a, a.allocate(88));
      MemorySegment table = Native.at(h.get(JAVA_LONG, 24), 3L * SetupProgram.STEP_SIZE);
      long step = SetupProgram.STEP_SIZE;
      assertEquals("/first", Native.at(table.get(JAVA_LONG, 16), 7).getString(0));
      assertEquals("/bin/true", Native.at(table.get(JAVA_LONG, step + 8), 10).getString(0));
      MemorySegment array = Native.at(table.get(JAVA_LONG, step + 16), 8L * (argv.size() + 1));
      for (int i = 0; i < argv.size(); i++) {
        assertEquals(argv.get(i), Native.at(array.getAtIndex(JAVA_LONG, i), 200).getString(0));
      }
      assertEquals(0, array.getAtIndex(JAVA_LONG, argv.size()));
      MemorySegment bytes = Native.at(table.get(JAVA_LONG, 2 * step + 16), 3);
      assertEquals(
          List.of((byte) 7, (byte) 0, (byte) 9),
          List.of(
              bytes.get(java.lang.foreign.ValueLayout.JAVA_BYTE, 0),
              bytes.get(java.lang.foreign.ValueLayout.JAVA_BYTE, 1),
              bytes.get(java.lang.foreign.ValueLayout.JAVA_BYTE, 2)));
    }
  }

  @Test
  void aResultNoStepProducesIsRejected() {
    SetupProgram p =
        SetupProgram.of(List.of(Step.of("close", Sysno.CLOSE, Arg.result(new Slot("x")))));
    try (Arena a = Arena.ofConfined()) {
      assertThrows(IllegalArgumentException.class, () -> p.marshal(a, a.allocate(88)));
    }
  }

  @Test
  void onlySmallErrnosCanBeTolerated() {
    Step s = Step.of("x", 0);
    assertThrows(IllegalArgumentException.class, () -> s.tolerating(64));
    assertThrows(IllegalArgumentException.class, () -> s.tolerating(0));
    assertThrows(IllegalArgumentException.class, () -> str("a\0b"));
  }

  static Stream<Long> seeds() {
    return new Random(20261127).longs(50).boxed();
  }

  @ParameterizedTest
  @MethodSource("seeds")
  void everyIntegerArgumentAndMaskSurvivesMarshalling(long seed) {
    Random r = new Random(seed);
    int n = 1 + r.nextInt(20);
    List<Step> steps = new java.util.ArrayList<>();
    long[][] args = new long[n][];
    long[] masks = new long[n];
    for (int i = 0; i < n; i++) {
      int count = r.nextInt(7);
      args[i] = r.longs(count).toArray();
      Arg[] a = new Arg[count];
      for (int j = 0; j < count; j++) {
        a[j] = of(args[i][j]);
      }
      Step s = Step.of("s" + i, r.nextInt(450), a);
      for (int e = 1; e < 64; e++) {
        if (r.nextInt(8) == 0) {
          s = s.tolerating(e);
          masks[i] |= 1L << e;
        }
      }
      steps.add(s);
    }
    try (Arena a = Arena.ofConfined()) {
      MemorySegment h = SetupProgram.of(steps).marshal(a, a.allocate(88));
      MemorySegment table = Native.at(h.get(JAVA_LONG, 24), (long) n * SetupProgram.STEP_SIZE);
      for (int i = 0; i < n; i++) {
        long base = (long) i * SetupProgram.STEP_SIZE;
        assertEquals(steps.get(i).nr(), table.get(JAVA_LONG, base));
        for (int j = 0; j < 6; j++) {
          assertEquals(
              j < args[i].length ? args[i][j] : 0, table.get(JAVA_LONG, base + 8 + 8L * j));
        }
        assertEquals(masks[i], table.get(JAVA_LONG, base + 56));
        for (int e = 1; e < 64; e++) {
          assertEquals((masks[i] & (1L << e)) != 0, steps.get(i).tolerates(e));
        }
      }
    }
  }

  @Test
  void anArgumentsBytesNeverChangeInPlace() {
    byte[] given = {1, 2, 3};
    SetupProgram.Arg.Bytes made = new SetupProgram.Arg.Bytes(given, "b");
    given[0] = 9;
    made.data()[1] = 9;
    assertEquals("[1, 2, 3]", java.util.Arrays.toString(made.data()));
    byte[] insns = new byte[8];
    SetupProgram.Arg.Bpf bpf = new SetupProgram.Arg.Bpf(insns, "f");
    insns[0] = 1;
    bpf.instructions()[1] = 1;
    assertEquals("[0, 0, 0, 0, 0, 0, 0, 0]", java.util.Arrays.toString(bpf.instructions()));
    byte[] data = new byte[16];
    SetupProgram.Arg.Embedding e =
        new SetupProgram.Arg.Embedding(data, 8, new SetupProgram.Slot("s"), "%s");
    data[0] = 1;
    e.data()[1] = 1;
    assertEquals(16, e.data().length);
    assertEquals(0, e.data()[0] + e.data()[1]);
  }
}
