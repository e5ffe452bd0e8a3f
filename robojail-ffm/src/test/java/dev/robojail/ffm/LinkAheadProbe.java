package dev.robojail.ffm;

/**
 * A fresh JVM's first native call, made {@code args[1]} ms after {@link Kernel#linkAhead} ({@code
 * args[0]} = {@code ahead}) or without it: prints the pid the kernel returns, or the failure with
 * its causes.
 */
final class LinkAheadProbe {
  private LinkAheadProbe() {}

  public static void main(String[] args) throws InterruptedException {
    if (args[0].equals("ahead")) {
      Kernel.linkAhead();
    }
    Thread.sleep(Long.parseLong(args[1]));
    try {
      System.out.println(Syscalls.raw(Sysno.GETPID));
    } catch (Throwable t) {
      for (Throwable c = t; c != null; c = c.getCause()) {
        System.out.println(c.getClass().getName() + ": " + c.getMessage());
      }
    }
  }
}
