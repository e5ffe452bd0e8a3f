package dev.robojail.cli;

import dev.robojail.jail.Jails;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.function.Supplier;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;
import picocli.CommandLine.ParseResult;

/**
 * The hot commands' picocli models made through picocli's programmatic API: reading the annotations
 * (picocli's reflection, and a dynamic proxy class the JDK spins for each annotation type, which no
 * AOT cache holds) was a third of {@code list}'s CPU time.
 *
 * <p>A quick model only parses: its options and parameters are the annotated ones' names, arities
 * and order, without descriptions. Whatever it does not take as a plain run of the command — help
 * or version asked for, or a command line it refuses — is handed to the annotated model ({@link
 * Robojail#commandLine(Supplier, String[])}) from the start, so that help, usage errors and their
 * suggestions are the annotated model's, word for word. {@code QuickModelTest} holds each quick
 * model to the annotated one over seeded command lines.
 */
final class QuickModel {
  private QuickModel() {}

  // The commands with a quick model; the others (status and its git work among them) gain little.
  private static final List<String> COMMANDS = List.of("list", "run", "exec", "forward");

  /**
   * {@code args} run as {@link Main} runs them; {@code out} and {@code err}, when not null, replace
   * the standard streams (tests, the AOT training).
   */
  static int execute(Supplier<Jails> jails, String[] args, PrintWriter out, PrintWriter err) {
    // The version alone is the annotations' one line: reading them (every command's, and the
    // dynamic proxies the JDK spins) were most of its time.
    if (args.length == 1 && (args[0].equals("--version") || args[0].equals("-V"))) {
      PrintWriter w = out != null ? out : new PrintWriter(System.out);
      w.println(Robojail.VERSION_LINE);
      w.flush();
      return 0;
    }
    Function<String[], Integer> annotated =
        a -> {
          CommandLine cl = Robojail.commandLine(jails, a);
          if (out != null) {
            cl.setOut(out);
          }
          if (err != null) {
            cl.setErr(err);
          }
          return flushed(cl, cl.execute(a));
        };
    if (args.length == 0 || !COMMANDS.contains(args[0])) {
      return annotated.apply(args);
    }
    CommandLine cl = commandLine(jails, args[0]);
    if (out != null) {
      cl.setOut(out);
    }
    if (err != null) {
      cl.setErr(err);
    }
    boolean[] executing = {false};
    cl.setExecutionStrategy(
        parsed -> {
          if (helpAsked(parsed)) {
            return annotated.apply(args);
          }
          bind(parsed.subcommand());
          executing[0] = true;
          return new CommandLine.RunLast().execute(parsed);
        });
    // A usage error the command itself finds (missing the command after --) is reported as the
    // annotated model would; one in parsing is the annotated model's to word.
    cl.setParameterExceptionHandler(
        (e, a) -> executing[0] ? Errors.handleParseException(e, a) : annotated.apply(args));
    return flushed(cl, cl.execute(args));
  }

  // Main may halt the JVM once a command returns, which flushes no writer.
  private static int flushed(CommandLine cl, int status) {
    cl.getOut().flush();
    cl.getErr().flush();
    return status;
  }

  /**
   * The quick model of subcommand {@code name} under a root; its parse results are bound into the
   * command objects by {@link #bind}.
   */
  static CommandLine commandLine(Supplier<Jails> jails, String name) {
    Robojail root = new Robojail(jails);
    CommandSpec top = CommandSpec.wrapWithoutInspection(root, FACTORY).name("robojail");
    helpOptions(top);
    root.spec = top;
    JailCommand command =
        switch (name) {
          case "list" -> new ListCommand();
          case "run" -> new RunCommand();
          case "exec" -> new ExecCommand();
          case "forward" -> new ForwardCommand();
          default -> throw new IllegalArgumentException("no quick model for " + name);
        };
    CommandSpec sub = CommandSpec.wrapWithoutInspection(command, FACTORY).name(name);
    helpOptions(sub);
    // Chains of instanceof rather than pattern switches, here and in bind: a switch over types is
    // bootstrapped at run time with a class spun for it, which no AOT cache keeps (about 3 ms for
    // the first in a JVM), and list would meet no other.
    if (command instanceof ListCommand) {
      sub.addOption(OptionSpec.builder("--json").build());
      sub.addOption(OptionSpec.builder("-q", "--quiet").build());
    } else if (command instanceof RunCommand || command instanceof ExecCommand) {
      sub.addPositional(positional("0", "1", String.class));
      sub.addPositional(positional("1..*", "1..*", List.class));
    } else {
      sub.addPositional(positional("0", "1", String.class));
      sub.addPositional(positional("1", "1", String.class));
    }
    command.root = root;
    command.spec = sub;
    CommandLine cl = new CommandLine(top, FACTORY);
    cl.addSubcommand(name, new CommandLine(sub, FACTORY));
    cl.setExecutionExceptionHandler(Errors::handleExecutionException);
    cl.setExitCodeExceptionMapper(Errors::exitCode);
    CommandLine subLine = cl.getSubcommands().get(name);
    if (Errors.runsACommand(subLine)) {
      subLine.setStopAtPositional(true);
    }
    return cl;
  }

  /** Puts the parsed values where the annotations would have: into the command's fields. */
  static void bind(ParseResult parsed) {
    Object command = parsed.commandSpec().userObject();
    if (command instanceof ListCommand c) {
      c.json = parsed.hasMatchedOption("--json");
      c.quiet = parsed.hasMatchedOption("--quiet");
    } else if (command instanceof RunCommand c) {
      c.name = parsed.matchedPositionalValue(0, null);
      c.command = strings(parsed.matchedPositionalValue(1, List.of()));
    } else if (command instanceof ExecCommand c) {
      c.name = parsed.matchedPositionalValue(0, null);
      c.command = strings(parsed.matchedPositionalValue(1, List.of()));
    } else if (command instanceof ForwardCommand c) {
      c.name = parsed.matchedPositionalValue(0, null);
      c.ports = parsed.matchedPositionalValue(1, null);
    } else {
      throw new IllegalArgumentException("no quick model for " + command);
    }
  }

  private static List<String> strings(List<?> values) {
    List<String> out = new ArrayList<>();
    for (Object v : values) {
      out.add((String) v);
    }
    return out;
  }

  static boolean helpAsked(ParseResult parsed) {
    for (ParseResult p = parsed; p != null; p = p.subcommand()) {
      if (p.isUsageHelpRequested() || p.isVersionHelpRequested()) {
        return true;
      }
    }
    return false;
  }

  // mixinStandardHelpOptions would read picocli's own annotated mixin.
  private static void helpOptions(CommandSpec spec) {
    spec.addOption(OptionSpec.builder("-h", "--help").usageHelp(true).build());
    spec.addOption(OptionSpec.builder("-V", "--version").versionHelp(true).build());
  }

  private static PositionalParamSpec positional(String index, String arity, Class<?> type) {
    // Required, as an annotated parameter whose arity starts at 1 is.
    PositionalParamSpec.Builder b =
        PositionalParamSpec.builder().index(index).arity(arity).required(true);
    if (type == List.class) {
      b.type(List.class).auxiliaryTypes(String.class);
    } else {
      b.type(type);
    }
    return b.build();
  }

  // picocli's default factory looks for Groovy's closures on the class path at its first use,
  // which opens every jar there; a quick model only needs lists.
  private static final CommandLine.IFactory FACTORY =
      new CommandLine.IFactory() {
        @Override
        public <K> K create(Class<K> cls) throws Exception {
          if (cls == List.class) {
            return cls.cast(new ArrayList<>());
          }
          return CommandLine.defaultFactory().create(cls);
        }
      };
}
