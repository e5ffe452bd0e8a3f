package dev.robojail.cli;

import dev.robojail.testkit.TestWorld;
import java.io.PrintWriter;
import java.io.StringWriter;
import picocli.CommandLine;

/** The {@code robojail} command run in this JVM, on the library opened on a test world. */
final class InProcess {
  private InProcess() {}

  static Result run(TestWorld world, String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cl = Robojail.commandLine(world::jails, args);
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    int code = cl.execute(args);
    return new Result(code, out.toString(), err.toString());
  }
}
