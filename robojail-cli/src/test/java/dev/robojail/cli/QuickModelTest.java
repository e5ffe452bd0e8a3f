package dev.robojail.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;

/**
 * The quick models (picocli's programmatic API) against the annotated ones: over seeded random
 * command lines, each takes exactly the lines the other takes, and binds the same values; help,
 * version and every refused line go to the annotated model, so their output is its own.
 */
class QuickModelTest {
  private static final List<String> COMMANDS = List.of("list", "run", "exec", "forward");
  private static final List<String> TOKENS =
      List.of(
          "J",
          "x y",
          "--json",
          "-q",
          "--quiet",
          "-qq",
          "-q=1",
          "--",
          "-h",
          "--help",
          "-V",
          "--version",
          "true",
          "-c",
          "8080",
          "1:2",
          "--jso",
          "-x",
          "list",
          "run",
          "",
          "-");

  static LongStream seeds() {
    return LongStream.range(0, 20);
  }

  @ParameterizedTest
  @MethodSource("seeds")
  void aQuickModelTakesWhatTheAnnotatedOneTakesAndBindsTheSame(long seed) {
    Random random = new Random(seed);
    int taken = 0;
    for (int i = 0; i < 200; i++) {
      List<String> line = new ArrayList<>();
      line.add(COMMANDS.get(random.nextInt(COMMANDS.size())));
      for (int n = random.nextInt(6); n > 0; n--) {
        line.add(TOKENS.get(random.nextInt(TOKENS.size())));
      }
      String[] args = line.toArray(String[]::new);
      String annotated = parse(Robojail.commandLine(() -> null, args), args, false);
      String quick = parse(QuickModel.commandLine(() -> null, args[0]), args, true);
      if (quick != null || annotated != null) {
        assertEquals(annotated, quick, () -> "robojail " + String.join(" ", args));
        taken++;
      }
    }
    // Not a vacuous comparison: a good share of the lines are plain runs of a command.
    assertTrue(taken > 20, "only " + taken + " lines were taken");
  }

  // The bound command as text, or null when the model refuses the line or it asks for help.
  private static String parse(CommandLine cl, String[] args, boolean quick) {
    ParseResult parsed;
    try {
      parsed = cl.parseArgs(args);
    } catch (ParameterException e) {
      return null;
    }
    if (QuickModel.helpAsked(parsed)) {
      return null;
    }
    ParseResult sub = parsed.subcommand();
    Object command = sub.commandSpec().userObject();
    if (quick) {
      // The annotated model has set the fields already; the quick one leaves them to bind().
      QuickModel.bind(sub);
    }
    return switch (command) {
      case ListCommand c -> "list json=" + c.json + " quiet=" + c.quiet;
      case RunCommand c -> "run " + c.name + " " + c.command;
      case ExecCommand c -> "exec " + c.name + " " + c.command;
      case ForwardCommand c -> "forward " + c.name + " " + c.ports;
      default -> throw new AssertionError(command);
    };
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "list --help",
        "list -h",
        "run --help",
        "exec -h",
        "forward --help",
        "list --nope",
        "list extra",
        "run",
        "run J",
        "forward J",
        "forward J 1 2",
        "run J --",
        "exec J --"
      })
  void helpVersionAndUsageErrorsAreTheAnnotatedModelsWordForWord(String line) {
    String[] args = line.split(" ");
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = QuickModel.execute(() -> null, args, new PrintWriter(out), new PrintWriter(err));
    StringWriter aout = new StringWriter();
    StringWriter aerr = new StringWriter();
    CommandLine cl = Robojail.commandLine(() -> null, args);
    cl.setOut(new PrintWriter(aout));
    cl.setErr(new PrintWriter(aerr));
    int acode = cl.execute(args);
    assertEquals(aout.toString(), out.toString(), line);
    assertEquals(aerr.toString(), err.toString(), line);
    assertEquals(acode, code, line);
    assertTrue(!aout.toString().isEmpty() || !aerr.toString().isEmpty(), line);
  }

  @Test
  void theQuickModelsNameTheirCommandsAsTheAnnotatedOnesDo() {
    for (String name : COMMANDS) {
      CommandLine quick = QuickModel.commandLine(() -> null, name).getSubcommands().get(name);
      CommandLine annotated =
          Robojail.commandLine(() -> null, new String[] {name}).getSubcommands().get(name);
      assertEquals(
          annotated.getCommandSpec().qualifiedName(), quick.getCommandSpec().qualifiedName());
      assertEquals(Errors.runsACommand(annotated), Errors.runsACommand(quick), name);
      assertEquals(annotated.isStopAtPositional(), quick.isStopAtPositional(), name);
    }
  }
}
