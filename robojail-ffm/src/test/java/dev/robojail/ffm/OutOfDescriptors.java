package dev.robojail.ffm;

import java.util.function.Supplier;

/**
 * Runs a test's code while this JVM can open no descriptor above its standard streams (a soft
 * {@code RLIMIT_NOFILE} of 3): every open then fails with {@code EMFILE}, as in a JVM that ran out
 * of them. The limit is back before anything is returned or thrown. What the code needs should be
 * loaded before (a class loaded from a jar under the limit fails), its exceptions' classes too.
 */
public final class OutOfDescriptors {
  private OutOfDescriptors() {}

  public static <T> T during(Supplier<T> code) {
    Rlimit old = Syscalls.prlimit64(0, Rlimit.RLIMIT_NOFILE);
    Syscalls.prlimit64(0, Rlimit.RLIMIT_NOFILE, 3, old.hard());
    try {
      return code.get();
    } finally {
      Syscalls.prlimit64(0, Rlimit.RLIMIT_NOFILE, old.soft(), old.hard());
    }
  }
}
