package dev.robojail.sandbox;

import java.nio.charset.StandardCharsets;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What the output filter costs per 8 KiB read (the relay's buffer), on plain text and on a
 * full-screen program's redraws (cursor moves, truecolor SGR, UTF-8 box drawing), next to the copy
 * the relay made before it filtered. Run with {@code bench/terminal-filter.sh}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 3)
@Fork(1)
public class TerminalFilterBenchmark {
  @Param({"text", "tui"})
  public String kind;

  private byte[] read;
  private TerminalFilter filter;

  @Setup
  public void setUp() {
    Random r = new Random(1);
    StringBuilder s = new StringBuilder();
    while (s.length() < 8192) {
      if (kind.equals("text")) {
        s.append("INFO building module ").append(r.nextInt(1000)).append(" ok\n");
      } else {
        s.append("\u001b[").append(r.nextInt(40)).append(';').append(r.nextInt(120)).append('H');
        s.append("\u001b[38;2;").append(r.nextInt(256)).append(';').append(r.nextInt(256));
        s.append(";").append(r.nextInt(256)).append("m│ ✓ claude ─ ").append("\u001b[0m\u001b[K");
      }
    }
    read = s.toString().getBytes(StandardCharsets.UTF_8);
    filter = new TerminalFilter();
  }

  @Benchmark
  public byte[] filtered() {
    return filter.filter(read, 0, read.length);
  }

  @Benchmark
  public byte[] copied() {
    return java.util.Arrays.copyOf(read, read.length);
  }
}
