package dev.robojail.ffm;

import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.lang.foreign.Arena;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.lang.foreign.StructLayout;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Collectors;

/**
 * What a freshly cloned child does before it becomes the jailed command: an ordered list of raw
 * system calls with their arguments, decided entirely in Java beforehand. The {@link SetupRunner}
 * executes it in the child with machine code, never Java. A program is plain data: it can be
 * printed, compared and tested without privileges.
 *
 * @param steps the calls, in order; the last is normally {@code execve}
 */
public record SetupProgram(List<Step> steps) {
  /**
   * One step as the runner reads it; field offsets must match {@code runner-x86_64.s}. {@code
   * result_to} points at the step's result slot (or is 0), {@code flags} has bit {@code i} set when
   * argument {@code i} is the address of a slot whose value the runner loads, and {@code
   * FLAG_EXPECT} when the result must equal {@code expected}.
   */
  static final StructLayout STEP =
      MemoryLayout.structLayout(
          JAVA_LONG.withName("nr"),
          MemoryLayout.sequenceLayout(6, JAVA_LONG).withName("args"),
          JAVA_LONG.withName("tolerated"),
          JAVA_LONG.withName("result_to"),
          JAVA_LONG.withName("flags"),
          JAVA_LONG.withName("expected"));

  /** Size in bytes of one step as the runner reads it. */
  static final int STEP_SIZE = (int) STEP.byteSize();

  private static final long STEP_NR = Structs.offset(STEP, "nr");
  private static final long STEP_ARGS = Structs.offset(STEP, "args");
  private static final long STEP_TOLERATED = Structs.offset(STEP, "tolerated");
  private static final long STEP_RESULT = Structs.offset(STEP, "result_to");
  private static final long STEP_FLAGS = Structs.offset(STEP, "flags");
  private static final long STEP_EXPECTED = Structs.offset(STEP, "expected");

  /** {@code struct sock_fprog} for {@code seccomp(SECCOMP_SET_MODE_FILTER)}. */
  static final StructLayout SOCK_FPROG =
      MemoryLayout.structLayout(
          JAVA_SHORT.withName("len"), MemoryLayout.paddingLayout(6), JAVA_LONG.withName("filter"));

  private static final long SOCK_FPROG_LEN = Structs.offset(SOCK_FPROG, "len");
  private static final long SOCK_FPROG_FILTER = Structs.offset(SOCK_FPROG, "filter");

  private static final int FLAG_EXPECT = 1 << 8;

  public SetupProgram {
    steps = List.copyOf(steps);
  }

  /** A program of these steps. */
  public static SetupProgram of(List<Step> steps) {
    return new SetupProgram(steps);
  }

  /** The program followed by more steps. */
  public SetupProgram then(List<Step> more) {
    List<Step> all = new ArrayList<>(steps);
    all.addAll(more);
    return new SetupProgram(all);
  }

  /**
   * One line per step, numbered from 0 and prefixed with the step's stage, if any, for {@code
   * --dry-run} and test failures.
   */
  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < steps.size(); i++) {
      Step step = steps.get(i);
      sb.append(i).append(": ");
      if (step.stage() != null) {
        sb.append('[').append(step.stage()).append("] ");
      }
      sb.append(step).append('\n');
    }
    return sb.toString();
  }

  /** A place in which one step leaves its result for later steps ({@link Arg#result}). */
  public static final class Slot {
    private final String name;

    /**
     * @param name how arguments that use the result are shown, such as {@code fd(newroot)}
     */
    public Slot(String name) {
      this.name = Objects.requireNonNull(name);
    }

    @Override
    public String toString() {
      return name;
    }
  }

  /** One argument of a step, marshalled into a 64-bit register value in the child. */
  public sealed interface Arg {
    /**
     * Calls the method of {@code visitor} that handles this kind of argument, and returns its
     * result.
     */
    <R> R accept(Visitor<R> visitor);

    /**
     * One method per kind of argument, so that code that must handle every kind (the marshalling
     * into the runner's table) is told by the compiler when a kind is added, without a pattern
     * switch: each of those is bootstrapped at run time with a class spun for it, which no AOT
     * cache keeps.
     *
     * @param <R> what the visitor makes of an argument
     */
    interface Visitor<R> {
      /** Handles an {@link Int}. */
      R integer(Int n);

      /** Handles a {@link Str}. */
      R string(Str s);

      /** Handles a {@link Strings}. */
      R strings(Strings s);

      /** Handles a {@link Bytes}. */
      R bytes(Bytes b);

      /** Handles a {@link Buffer}. */
      R buffer(Buffer b);

      /** Handles a {@link Embedding}. */
      R embedding(Embedding e);

      /** Handles a {@link FdMessage}. */
      R fdMessage(FdMessage m);

      /** Handles a {@link Bpf}. */
      R bpf(Bpf b);

      /** Handles a {@link Result}. */
      R result(Result r);
    }

    /** An integer, shown as its number. */
    static Arg of(long value) {
      return new Int(value, Long.toString(value));
    }

    /** An integer shown symbolically, such as {@code MS_BIND|MS_REC}. */
    static Arg of(long value, String shown) {
      return new Int(value, shown);
    }

    /** A NUL-terminated string, or NULL. */
    static Arg str(String s) {
      if (s != null && s.indexOf('\0') >= 0) {
        throw new IllegalArgumentException("a NUL byte cannot be passed to the kernel: " + s);
      }
      return s == null ? new Int(0, "NULL") : new Str(s);
    }

    /** A NULL-terminated {@code char *[]}. */
    static Arg strings(List<String> strings) {
      return new Strings(List.copyOf(strings));
    }

    /** A pointer to a copy of these bytes (a struct, say). */
    static Arg bytes(byte[] data, String shown) {
      return new Bytes(data, shown);
    }

    /** A pointer to a scratch buffer of {@code size} bytes that the call may write. */
    static Arg buffer(int size) {
      return new Buffer(size);
    }

    /**
     * A pointer to a {@code struct sock_fprog} for this classic BPF program (its instructions as
     * {@code struct sock_filter} bytes), for {@code seccomp(SECCOMP_SET_MODE_FILTER)}.
     */
    static Arg bpf(byte[] instructions, String shown) {
      if (instructions.length % 8 != 0 || instructions.length / 8 > 4096) {
        throw new IllegalArgumentException("a BPF program is 1-4096 instructions of 8 bytes");
      }
      return new Bpf(instructions, shown);
    }

    /**
     * A pointer to a copy of these bytes in which {@code slot} lives at {@code offset}: a step that
     * stores its result into {@code slot} fills in that field (8 bytes, so the data must have room
     * for them), for structs that carry a descriptor, such as Landlock's.
     */
    static Arg bytesWithSlot(byte[] data, int offset, Slot slot, String shown) {
      if (offset < 0 || offset + 8 > data.length) {
        throw new IllegalArgumentException("the slot must lie within the data");
      }
      return new Embedding(data, offset, slot, shown);
    }

    /**
     * A pointer to a {@code struct msghdr} that carries one byte and, as {@code SCM_RIGHTS}, the
     * descriptor an earlier step stored in {@code slot}: for {@code sendmsg}, to hand a descriptor
     * made in the child to the parent over a socket pair.
     */
    static Arg descriptorMessage(Slot slot) {
      return new FdMessage(Objects.requireNonNull(slot));
    }

    /** The result that an earlier step stored in {@code slot}. */
    static Arg result(Slot slot) {
      return new Result(slot);
    }

    /** An integer argument. */
    record Int(long value, String shown) implements Arg {
      @Override
      public <R> R accept(Visitor<R> visitor) {
        return visitor.integer(this);
      }

      @Override
      public String toString() {
        return shown;
      }
    }

    /** A string argument. */
    record Str(String value) implements Arg {
      @Override
      public <R> R accept(Visitor<R> visitor) {
        return visitor.string(this);
      }

      @Override
      public String toString() {
        return Syscalls.quote(value);
      }
    }

    /** An array of strings. */
    record Strings(List<String> values) implements Arg {
      @Override
      public <R> R accept(Visitor<R> visitor) {
        return visitor.strings(this);
      }

      @Override
      public String toString() {
        return values.stream().map(Syscalls::quote).collect(Collectors.joining(", ", "[", "]"));
      }
    }

    /** Bytes the call reads. */
    record Bytes(byte[] data, String shown) implements Arg {
      public Bytes {
        data = data.clone();
      }

      @Override
      public <R> R accept(Visitor<R> visitor) {
        return visitor.bytes(this);
      }

      // A copy: a program is reused by every start of its spec (Spawner.program), so its bytes
      // must never change in place.
      @Override
      public byte[] data() {
        return data.clone();
      }

      @Override
      public String toString() {
        return shown;
      }

      @Override
      public boolean equals(Object o) {
        return o instanceof Bytes b
            && java.util.Arrays.equals(data, b.data)
            && shown.equals(b.shown);
      }

      @Override
      public int hashCode() {
        return java.util.Arrays.hashCode(data) * 31 + shown.hashCode();
      }
    }

    /** A BPF program. */
    record Bpf(byte[] instructions, String shown) implements Arg {
      public Bpf {
        instructions = instructions.clone();
      }

      @Override
      public <R> R accept(Visitor<R> visitor) {
        return visitor.bpf(this);
      }

      // A copy, as Bytes.data().
      @Override
      public byte[] instructions() {
        return instructions.clone();
      }

      @Override
      public String toString() {
        return shown;
      }

      @Override
      public boolean equals(Object o) {
        return o instanceof Bpf b
            && java.util.Arrays.equals(instructions, b.instructions)
            && shown.equals(b.shown);
      }

      @Override
      public int hashCode() {
        return java.util.Arrays.hashCode(instructions) * 31 + shown.hashCode();
      }
    }

    /** Bytes with a slot inside. */
    record Embedding(byte[] data, int offset, Slot slot, String shown) implements Arg {
      public Embedding {
        data = data.clone();
      }

      @Override
      public <R> R accept(Visitor<R> visitor) {
        return visitor.embedding(this);
      }

      // A copy, as Bytes.data().
      @Override
      public byte[] data() {
        return data.clone();
      }

      @Override
      public String toString() {
        return shown.replace("%s", slot.toString());
      }

      @Override
      public boolean equals(Object o) {
        return o instanceof Embedding e
            && java.util.Arrays.equals(data, e.data)
            && offset == e.offset
            && slot == e.slot
            && shown.equals(e.shown);
      }

      @Override
      public int hashCode() {
        return java.util.Arrays.hashCode(data) * 31 + offset;
      }
    }

    /** A message carrying a descriptor. */
    record FdMessage(Slot slot) implements Arg {
      @Override
      public <R> R accept(Visitor<R> visitor) {
        return visitor.fdMessage(this);
      }

      @Override
      public String toString() {
        return "{iov=[1 byte], SCM_RIGHTS=[" + slot + "]}";
      }
    }

    /** A buffer the call writes. */
    record Buffer(int size) implements Arg {
      @Override
      public <R> R accept(Visitor<R> visitor) {
        return visitor.buffer(this);
      }

      @Override
      public String toString() {
        return "buf[" + size + "]";
      }
    }

    /** An earlier step's result. */
    record Result(Slot slot) implements Arg {
      @Override
      public <R> R accept(Visitor<R> visitor) {
        return visitor.result(this);
      }

      @Override
      public String toString() {
        return slot.toString();
      }
    }
  }

  /**
   * One system call.
   *
   * @param name the call's name, such as {@code mount}
   * @param nr its number
   * @param args up to six arguments
   * @param tolerated errno values (below 64) that do not fail the program, as a bit mask
   * @param resultTo where to keep the result for later steps, or null
   * @param expected the one result that counts as success, or null for any non-error result
   * @param stage a label for the part of the program the step belongs to, or null; the runner
   *     ignores it, its callers use it to tell what failed
   */
  public record Step(
      String name,
      int nr,
      List<Arg> args,
      long tolerated,
      Slot resultTo,
      Long expected,
      String stage) {
    public Step {
      Objects.requireNonNull(name);
      args = List.copyOf(args);
      if (args.size() > 6) {
        throw new IllegalArgumentException(name + ": a system call takes at most 6 arguments");
      }
    }

    /** A step of no stage. */
    public Step(String name, int nr, List<Arg> args, long tolerated, Slot resultTo, Long expected) {
      this(name, nr, args, tolerated, resultTo, expected, null);
    }

    /** A call that must succeed. */
    public static Step of(String name, int nr, Arg... args) {
      return new Step(name, nr, List.of(args), 0, null, null);
    }

    /** The same call, not failing the program with these errno values (each below 64). */
    public Step tolerating(int... errnos) {
      long mask = tolerated;
      for (int e : errnos) {
        if (e <= 0 || e >= 64) {
          throw new IllegalArgumentException("only errno values 1-63 can be tolerated: " + e);
        }
        mask |= 1L << e;
      }
      return new Step(name, nr, args, mask, resultTo, expected, stage);
    }

    /** The same call, keeping its result in {@code slot}. */
    public Step into(Slot slot) {
      return new Step(name, nr, args, tolerated, slot, expected, stage);
    }

    /** The same call, failing unless it returns exactly {@code value}. */
    public Step expecting(long value) {
      return new Step(name, nr, args, tolerated, resultTo, value, stage);
    }

    /** The same call, in this stage. */
    public Step in(String stage) {
      return new Step(name, nr, args, tolerated, resultTo, expected, stage);
    }

    /** Whether the errno value is tolerated. */
    public boolean tolerates(int errno) {
      return errno > 0 && errno < 64 && (tolerated & (1L << errno)) != 0;
    }

    @Override
    public String toString() {
      String call =
          name + args.stream().map(Arg::toString).collect(Collectors.joining(", ", "(", ")"));
      if (resultTo != null) {
        call = resultTo + " = " + call;
      }
      if (tolerated != 0) {
        List<String> names = new ArrayList<>();
        for (int e = 1; e < 64; e++) {
          if (tolerates(e)) {
            names.add(Errno.name(e));
          }
        }
        call += " [ok: " + String.join(", ", names) + "]";
      }
      return call;
    }
  }

  /**
   * Writes the program in the layout the runner reads (see {@code runner-x86_64.s}): a header
   * followed by the steps, with every string, array and buffer in fresh pages that are unmapped
   * when {@code arena} closes: the strings and bytes the calls read through one Java array ({@link
   * StagedPages}), the rest cut from pages of its own ({@link PageAllocator}).
   *
   * @param cloneArgs the {@code struct clone_args} for the runner's clone3
   * @return the header
   */
  MemorySegment marshal(Arena arena, MemorySegment cloneArgs) {
    // Written from Java arrays by copies, never field by field: see Structs on why.
    SegmentAllocator memory = new PageAllocator(arena);
    StagedPages staged = new StagedPages(arena);
    Map<Slot, MemorySegment> slots = new IdentityHashMap<>();
    Map<Arg, MemorySegment> embedded = new IdentityHashMap<>();
    for (Step s : steps) {
      for (Arg a : s.args()) {
        if (a instanceof Arg.Embedding e) {
          MemorySegment data = Structs.copy(memory, e.data, 8);
          embedded.put(a, data);
          if (slots.putIfAbsent(e.slot(), data.asSlice(e.offset(), 8)) != null) {
            throw new IllegalArgumentException(e.slot() + " is embedded twice");
          }
        } else if (a instanceof Arg.FdMessage m) {
          MemorySegment control = Structs.copy(memory, MsgHdr.rights(0), 8);
          embedded.put(a, MsgHdr.message(memory, memory.allocate(1), control));
          if (slots.putIfAbsent(m.slot(), control.asSlice(MsgHdr.RIGHTS_FD, 8)) != null) {
            throw new IllegalArgumentException(m.slot() + " is embedded twice");
          }
        }
      }
    }
    for (Step s : steps) {
      if (s.resultTo() != null) {
        slots.putIfAbsent(s.resultTo(), memory.allocate(JAVA_LONG));
      }
    }
    int width = STEP_SIZE / 8;
    long[] table = new long[width * Math.max(1, steps.size())];
    Values values = new Values(memory, staged, embedded, slots);
    for (int i = 0; i < steps.size(); i++) {
      Step s = steps.get(i);
      int e = i * width;
      table[e + (int) (STEP_NR / 8)] = s.nr();
      long flags = 0;
      for (int a = 0; a < s.args().size(); a++) {
        values.step = i;
        values.loaded = false;
        long value = s.args().get(a).accept(values);
        if (values.loaded) {
          flags |= 1L << a;
        }
        table[e + (int) ((STEP_ARGS + 8L * a) / 8)] = value;
      }
      table[e + (int) (STEP_TOLERATED / 8)] = s.tolerated();
      table[e + (int) (STEP_RESULT / 8)] =
          s.resultTo() == null ? 0 : slots.get(s.resultTo()).address();
      if (s.expected() != null) {
        flags |= FLAG_EXPECT;
        table[e + (int) (STEP_EXPECTED / 8)] = s.expected();
      }
      table[e + (int) (STEP_FLAGS / 8)] = flags;
    }
    MemorySegment stepTable = Structs.longs(memory, table);
    long[] header = new long[(int) (Header.LAYOUT.byteSize() / 8)];
    header[(int) (Header.CLONE_ARGS / 8)] = cloneArgs.address();
    header[(int) (Header.CLONE_ARGS_SIZE / 8)] = cloneArgs.byteSize();
    header[(int) (Header.STEP_COUNT / 8)] = steps.size();
    header[(int) (Header.STEPS / 8)] = stepTable.address();
    header[(int) (Header.FAILED_STEP / 8)] = -1;
    staged.flush();
    return Structs.longs(memory, header);
  }

  /**
   * The register value of each kind of argument, with what it points to in the program's memory.
   */
  private static final class Values implements Arg.Visitor<Long> {
    private final SegmentAllocator memory;
    private final StagedPages staged;
    private final Map<Arg, MemorySegment> embedded;
    private final Map<Slot, MemorySegment> slots;
    int step;
    // Whether the value is a slot's address, whose contents the runner loads when the step runs.
    boolean loaded;

    Values(
        SegmentAllocator memory,
        StagedPages staged,
        Map<Arg, MemorySegment> embedded,
        Map<Slot, MemorySegment> slots) {
      this.memory = memory;
      this.staged = staged;
      this.embedded = embedded;
      this.slots = slots;
    }

    @Override
    public Long integer(Arg.Int n) {
      return n.value();
    }

    @Override
    public Long string(Arg.Str str) {
      return staged.string(str.value());
    }

    @Override
    public Long strings(Arg.Strings ss) {
      // the last stays 0: the NULL that ends the array
      long[] pointers = new long[ss.values().size() + 1];
      for (int i = 0; i < ss.values().size(); i++) {
        pointers[i] = staged.string(CStrings.withoutNul(ss.values().get(i)));
      }
      return Structs.longs(memory, pointers).address();
    }

    @Override
    public Long bytes(Arg.Bytes b) {
      return staged.put(b.data, 0, 1);
    }

    @Override
    public Long buffer(Arg.Buffer b) {
      return memory.allocate(b.size(), 16).address();
    }

    @Override
    public Long embedding(Arg.Embedding emb) {
      return embedded.get(emb).address();
    }

    @Override
    public Long fdMessage(Arg.FdMessage m) {
      return embedded.get(m).address();
    }

    @Override
    public Long bpf(Arg.Bpf b) {
      long insns = staged.put(b.instructions, 0, 8);
      // struct sock_fprog: an unsigned short, padded to 8 bytes, then the pointer; on
      // little-endian x86-64 the short is the low bytes of the first long
      long[] fprog = new long[(int) (SOCK_FPROG.byteSize() / 8)];
      fprog[(int) (SOCK_FPROG_LEN / 8)] = b.instructions.length / 8;
      fprog[(int) (SOCK_FPROG_FILTER / 8)] = insns;
      return Structs.longs(memory, fprog).address();
    }

    @Override
    public Long result(Arg.Result r) {
      MemorySegment slot = slots.get(r.slot());
      if (slot == null) {
        throw new IllegalArgumentException(
            "step " + step + " uses " + r.slot() + ", which no step produces");
      }
      loaded = true;
      return slot.address();
    }
  }

  /**
   * The program header the runner is called with; it must match {@code runner-x86_64.s}. The child
   * writes the {@code failed_*} fields, which the parent shares through {@code CLONE_VM}.
   */
  static final class Header {
    static final StructLayout LAYOUT =
        MemoryLayout.structLayout(
            JAVA_LONG.withName("clone_args"),
            JAVA_LONG.withName("clone_args_size"),
            JAVA_LONG.withName("step_count"),
            JAVA_LONG.withName("steps"),
            JAVA_LONG.withName("failed_step"),
            JAVA_LONG.withName("failed_errno"),
            JAVA_LONG.withName("failed_result"));
    static final long CLONE_ARGS = Structs.offset(LAYOUT, "clone_args");
    static final long CLONE_ARGS_SIZE = Structs.offset(LAYOUT, "clone_args_size");
    static final long STEP_COUNT = Structs.offset(LAYOUT, "step_count");
    static final long STEPS = Structs.offset(LAYOUT, "steps");
    static final long FAILED_STEP = Structs.offset(LAYOUT, "failed_step");
    static final long FAILED_ERRNO = Structs.offset(LAYOUT, "failed_errno");
    static final long FAILED_RESULT = Structs.offset(LAYOUT, "failed_result");

    private Header() {}
  }
}
