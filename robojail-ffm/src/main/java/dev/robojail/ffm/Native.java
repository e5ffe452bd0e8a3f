package dev.robojail.ffm;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

/**
 * The one place that uses restricted Foreign Function and Memory methods: linking downcalls and
 * giving raw addresses a size. Everything else in robojail goes through the typed wrappers in
 * {@link Syscalls}.
 *
 * <p>There is one downcall shape, a function at a given address that takes seven longs and returns
 * one, and every native call goes through it: robojail's own raw system call routine, the C
 * library's {@code mmap} and {@code mprotect} that make the page it lives in, the setup runner, and
 * the batch routine that makes many system calls in one crossing. Each distinct shape, and the
 * option that captures errno from the C library, costs a command's JVM classes and method handles
 * spun at run time, which no AOT cache keeps: the one unbound shape is linked once, and the routine
 * returns {@code -errno} itself.
 */
@SuppressWarnings("restricted")
final class Native {
  private static final int PAGE = 4096;
  private static final int PROT_READ = 1;
  private static final int PROT_WRITE = 2;
  private static final int PROT_EXEC = 4;
  private static final int MAP_PRIVATE = 2;
  private static final int MAP_ANONYMOUS = 0x20;

  // Where the runner starts in the code page, after the system call routine.
  private static final int RUNNER_OFFSET = 64;

  // Where the batch routine starts, after the runner.
  private static final int BATCH_OFFSET = 512;

  private Native() {}

  /**
   * Makes a system call. Returns the kernel's result, or {@code -errno} on failure, the way the raw
   * system call interface reports it.
   */
  static long syscall(long nr, long a0, long a1, long a2, long a3, long a4, long a5) {
    try {
      Code.check();
      return (long) Code.CALL.invokeExact(Code.SYSCALL, nr, a0, a1, a2, a3, a4, a5);
    } catch (Throwable t) {
      throw new AssertionError("syscall downcall failed", t);
    }
  }

  /**
   * Calls the setup runner on the program whose header is at {@code header}; the caller keeps that
   * memory alive until the child is done with it.
   */
  static long run(MemorySegment header) {
    try {
      Code.check();
      return (long) Code.CALL.invokeExact(Code.RUNNER, header.address(), 0L, 0L, 0L, 0L, 0L, 0L);
    } catch (Throwable t) {
      throw new AssertionError("runner downcall failed", t);
    }
  }

  /**
   * Makes the {@code count} system calls described at {@code calls} (the records of {@code
   * batch-x86_64.s}) in one downcall, each result stored in its record; the caller keeps that
   * memory alive for the call.
   */
  static void batch(MemorySegment calls, long count) {
    try {
      Code.check();
      long unused =
          (long) Code.CALL.invokeExact(Code.BATCH, calls.address(), count, 0L, 0L, 0L, 0L, 0L);
    } catch (Throwable t) {
      throw new AssertionError("batch downcall failed", t);
    }
  }

  /** Where the system call routine is, for the test that checks its page's protection. */
  static long routineAddress() {
    Code.check();
    return Code.SYSCALL.address();
  }

  /** Whether robojail has its routines for this machine's architecture (x86-64 only, so far). */
  static boolean supported() {
    String arch = System.getProperty("os.arch");
    return "amd64".equals(arch) || "x86_64".equals(arch);
  }

  /**
   * Starts linking the one downcall shape on a daemon thread of its own: the linker's first use
   * (its classes, the method handles it spins, the stub it generates) costs a command's JVM about
   * 15 ms, which then overlaps the caller's own start instead of stalling its first native call.
   * The linker keeps the handle it made for a shape, and a thread that asks for the same shape
   * while it is being made waits for it, so {@link Code} gets that handle; one call through it
   * warms its first use. Any failure there is left to the first native call, which then fails as it
   * would have without this, and {@code then} is not run, since its native calls would fail. A
   * failure of {@link Code}'s initialiser on this thread reaches the caller's native calls as it
   * would have without it (see {@link Code}).
   *
   * <p>Class initialisation on two threads deadlocks only on a cycle: a class whose initialiser,
   * run by one thread, needs a class whose initialiser the other thread is running and which needs
   * the first. The link itself runs only the JDK's code (and the C library's {@code getpid}), never
   * an initialiser of robojail's. {@code then} may run robojail's, so each of those must need
   * nothing of robojail's but classes whose own initialisers need only the JDK: then no wait of
   * either thread can lead back to a class the waiting thread is initialising. {@link Code}'s needs
   * the JDK's linker and robojail's routines' bytes ({@code X86_64Syscall}…, which have none).
   *
   * @return the thread, for a caller that waits for {@code then}; null when nothing was started
   */
  static Thread linkAhead(Runnable then) {
    if (!supported()) {
      return null;
    }
    Thread t = new Thread(new Link(then), "robojail-link");
    t.setDaemon(true);
    t.start();
    return t;
  }

  // What the link thread runs: a class rather than a lambda, to hold then.
  private static final class Link implements Runnable {
    private final Runnable then;

    Link(Runnable then) {
      this.then = then;
    }

    @Override
    public void run() {
      if (link() && then != null) {
        then.run();
      }
    }
  }

  private static boolean link() {
    try {
      Linker linker = Linker.nativeLinker();
      MethodHandle call = linker.downcallHandle(shape());
      // One harmless call through it, to the C library's getpid: the first call of a downcall
      // initialises its stub and spins the invoker's forms, and the first lookup loads the C
      // library's lookup (~3.5 ms of an interpreted JVM, measured), which the code page's mmap
      // would otherwise pay on the caller's thread. Its value is of no use.
      MemorySegment getpid = linker.defaultLookup().find("getpid").orElseThrow();
      long unused = (long) call.invokeExact(getpid, 0L, 0L, 0L, 0L, 0L, 0L, 0L);
      return true;
    } catch (Throwable e) {
      // The first native call links again and reports the failure itself.
      return false;
    }
  }

  // Seven longs in, one out: a function at an address given with each call.
  private static FunctionDescriptor shape() {
    return FunctionDescriptor.of(
        JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG);
  }

  /**
   * {@code size} bytes of fresh anonymous pages, unmapped when {@code arena} closes. The kernel
   * hands them out zeroed as they are first touched: {@code Arena.allocate} zeroes what it gives in
   * a Java loop, which in cold code costs about as much per kilobyte as a system call.
   */
  static MemorySegment pages(Arena arena, long size) {
    long addr =
        syscall(Sysno.MMAP, 0, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (addr < 0) {
      throw new SyscallException("mmap(NULL, " + size + ", PROT_READ|PROT_WRITE)", (int) -addr);
    }
    return MemorySegment.ofAddress(addr)
        .reinterpret(size, arena, s -> syscall(Sysno.MUNMAP, s.address(), size, 0, 0, 0, 0));
  }

  /** A view of {@code size} bytes of native memory at a raw address. */
  static MemorySegment at(long address, long size) {
    return MemorySegment.ofAddress(address).reinterpret(size);
  }

  /**
   * The downcall and the code page, made on the first native call: the system call routine at its
   * start and the runner after it, written while the page is writable and only then made read and
   * execute, never both at once.
   *
   * <p>Its initialiser never throws: a failure to make them (native access denied, an architecture
   * without robojail's routines, a refused mmap or mprotect) is kept, and every native call, on
   * whichever thread first initialised the class (the link thread ahead, or the caller's), throws
   * it the same way, as the first call without the work ahead would have: the call's {@link
   * AssertionError}, caused by an {@link ExceptionInInitializerError} caused by it. A class whose
   * initialiser threw would instead fail every later use, and so the caller's after a failure on
   * the link thread, with a {@link NoClassDefFoundError} that does not say why.
   */
  private static final class Code {
    static final MethodHandle CALL;
    static final MemorySegment SYSCALL;
    static final MemorySegment RUNNER;
    static final MemorySegment BATCH;
    private static final Throwable FAILURE;

    static {
      MethodHandle call = null;
      MemorySegment page = MemorySegment.NULL;
      Throwable failure = null;
      try {
        beforeTheHandle();
        call = Linker.nativeLinker().downcallHandle(shape());
        page = page(call);
      } catch (RuntimeException | Error e) {
        failure = e;
      }
      CALL = call;
      SYSCALL = page.asSlice(0, 0);
      RUNNER = failure == null ? page.asSlice(RUNNER_OFFSET, 0) : page;
      BATCH = failure == null ? page.asSlice(BATCH_OFFSET, 0) : page;
      FAILURE = failure;
    }

    /**
     * What the page needs of the JDK that needs no handle, first: the thread that initialises this
     * class is most often the caller's, at its first native call, while the link thread is still
     * making the handle (a run's reaches it ~5 ms before), and the link thread's walk ahead waits
     * for the page. The C library's lookup, loaded once (which the link thread's call to {@code
     * getpid} after its link would otherwise load while this thread waits for it), and the JDK's
     * copy from a Java array into a segment, which tells the array's kind by a pattern switch
     * bootstrapped at its first use with a class spun for it (~0.7 ms interpreted).
     */
    private static void beforeTheHandle() {
      Linker.nativeLinker().defaultLookup();
      MemorySegment.copy(new byte[1], 0, MemorySegment.ofArray(new byte[1]), JAVA_BYTE, 0, 1);
    }

    // A fresh error each time, so that each caller's stack is its own; the cause is the one kept.
    static void check() {
      if (FAILURE != null) {
        throw new ExceptionInInitializerError(FAILURE);
      }
    }

    private static MemorySegment page(MethodHandle call) {
      if (!supported()) {
        throw new UnsupportedOperationException(
            "robojail's system calls exist for x86-64 only; "
                + System.getProperty("os.arch")
                + " is not supported yet");
      }
      byte[] syscall = X86_64Syscall.code();
      byte[] runner = X86_64Runner.code();
      byte[] batch = X86_64Batch.code();
      if (syscall.length > RUNNER_OFFSET
          || RUNNER_OFFSET + runner.length > BATCH_OFFSET
          || BATCH_OFFSET + batch.length > PAGE) {
        throw new AssertionError("the routines do not fit their places in one page");
      }
      // mmap's and mprotect's int arguments travel in the low halves of the registers, and the
      // seventh long is a stack slot neither reads: the C ABI makes the one shape fit them.
      long addr =
          libc(call, "mmap", 0, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      if (addr < 0) {
        throw new SyscallException("mmap(NULL, 4096, PROT_READ|PROT_WRITE)", (int) -addr);
      }
      MemorySegment page = at(addr, PAGE);
      MemorySegment.copy(syscall, 0, page, JAVA_BYTE, 0, syscall.length);
      MemorySegment.copy(runner, 0, page, JAVA_BYTE, RUNNER_OFFSET, runner.length);
      MemorySegment.copy(batch, 0, page, JAVA_BYTE, BATCH_OFFSET, batch.length);
      long r = libc(call, "mprotect", addr, PAGE, PROT_READ | PROT_EXEC, 0, 0, 0);
      if (r < 0) {
        throw new SyscallException("mprotect(code, 4096, PROT_READ|PROT_EXEC)", (int) -r);
      }
      return page;
    }

    // A C library function that returns -1 and sets errno on failure; returns -errno then. errno
    // is read at once through __errno_location (the thread's own), since robojail's routine that
    // would return it directly does not exist yet.
    private static long libc(
        MethodHandle call, String name, long a0, long a1, long a2, long a3, long a4, long a5) {
      try {
        long r = (long) call.invokeExact(symbol(name), a0, a1, a2, a3, a4, a5, 0L);
        if (r != -1) {
          return r;
        }
        long errno =
            (long) call.invokeExact(symbol("__errno_location"), 0L, 0L, 0L, 0L, 0L, 0L, 0L);
        // The JVM runs between the two calls and may set errno itself; a failure must never read
        // as a success (-0), so an errno lost that way is EIO.
        int e = Structs.intAt(at(errno, 4), 0);
        return -(e > 0 ? e : Errno.EIO);
      } catch (Throwable t) {
        throw new AssertionError(name + " downcall failed", t);
      }
    }

    private static MemorySegment symbol(String name) {
      return Linker.nativeLinker().defaultLookup().find(name).orElseThrow();
    }
  }
}
