package dev.robojail.cli;

import dev.robojail.testkit.TestWorld;
import java.io.PrintWriter;
import java.io.StringWriter;

/** The {@code robojail} command run in this JVM, on the library opened on a test world. */
final class InProcess {
  private InProcess() {}

  static Result run(TestWorld world, String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    // Main's way: the hot commands through their quick models.
    int code =
        QuickModel.execute(
            world::jails, args, new PrintWriter(out, true), new PrintWriter(err, true));
    return new Result(code, out.toString(), err.toString());
  }
}
