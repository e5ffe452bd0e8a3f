package dev.robojail.ffm;

/**
 * A fresh JVM's first native call, made {@code args[1]} ms after {@link Kernel#linkAhead} ({@code
 * args[0]} = {@code ahead}) or without it: prints the pid the kernel returns, or the failure with
 * its causes. With {@code args[2]} = {@code foreign-arch}, {@code os.arch} names an architecture
 * without robojail's routines by the first native call (on the link thread, after the link, when
 * ahead), and the main thread makes two calls, so that the code page's failure is seen from the
 * thread that did not meet it first, and twice.
 */
final class LinkAheadProbe {
  private LinkAheadProbe() {}

  public static void main(String[] args) throws InterruptedException {
    boolean foreign = args.length > 2 && args[2].equals("foreign-arch");
    if (args[0].equals("ahead") && foreign) {
      Thread t =
          Kernel.linkAhead(
              () -> {
                System.setProperty("os.arch", "riscv64");
                try {
                  Syscalls.raw(Sysno.GETPID);
                } catch (Throwable e) {
                  // the main thread's calls tell what it sees
                }
              });
      t.join();
    } else if (args[0].equals("ahead")) {
      Kernel.linkAhead();
    } else if (foreign) {
      System.setProperty("os.arch", "riscv64");
    }
    Thread.sleep(Long.parseLong(args[1]));
    for (int i = 0; i < (foreign ? 2 : 1); i++) {
      try {
        System.out.println(Syscalls.raw(Sysno.GETPID));
      } catch (Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
          System.out.println(c.getClass().getName() + ": " + c.getMessage());
        }
      }
    }
  }
}
