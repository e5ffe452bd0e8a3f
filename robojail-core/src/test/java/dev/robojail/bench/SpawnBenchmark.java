package dev.robojail.bench;

import dev.robojail.sandbox.Sandbox;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Latency of starting {@code /bin/true} and waiting for it, from a warm JVM: in a robojail sandbox
 * with the default isolation, as a plain {@link ProcessBuilder} child, and in bubblewrap with the
 * equivalent setup (started from the same JVM, as an embedding tool would). Sample mode reports the
 * median (p0.50) and p0.99. Run with {@code bench/spawn-latency.sh}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 3)
@Measurement(iterations = 3, time = 5)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class SpawnBenchmark {
  private Sandbox sandbox;
  private Sandbox foundation;
  private ProcessBuilder plain;
  private ProcessBuilder bwrap;

  @Setup(Level.Trial)
  public void setUp() {
    sandbox = Sandbox.builder().minimalSystem().command("/bin/true").build();
    // The foundation's isolation alone (namespaces, mounts, no_new_privs), without the
    // hardening layers that came later: init, Landlock, dropping capabilities.
    foundation = sandbox.toBuilder().init(false).landlock(false).rootInside().build();
    plain = new ProcessBuilder("/bin/true");
    Path bw = Bwrap.find().orElse(null);
    bwrap = bw == null ? null : new ProcessBuilder(Bwrap.command(bw, sandbox));
    if (bwrap != null) {
      bwrap.inheritIO();
    }
  }

  @Benchmark
  public int robojail() throws InterruptedException {
    return sandbox.start().waitFor();
  }

  @Benchmark
  public int robojailFoundation() throws InterruptedException {
    return foundation.start().waitFor();
  }

  @Benchmark
  public int processBuilder() throws IOException, InterruptedException {
    return plain.start().waitFor();
  }

  @Benchmark
  public int bwrap() throws IOException, InterruptedException {
    if (bwrap == null) {
      throw new IllegalStateException("bwrap is not installed (apt-get install bubblewrap)");
    }
    int rc = bwrap.start().waitFor();
    if (rc != 0) {
      throw new IllegalStateException("bwrap failed: " + rc + " " + List.copyOf(bwrap.command()));
    }
    return rc;
  }
}
